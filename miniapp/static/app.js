// The coordinator's page: inside Telegram, post the signed initData once; on every page, Telegram's colours.
// Telegram passes tgWebAppData and tgWebAppThemeParams in the address's fragment when it opens a Mini App.
(function () {
  "use strict";
  var hash = new URLSearchParams(location.hash.slice(1));
  var themeText = hash.get("tgWebAppThemeParams");
  if (themeText) { try { sessionStorage.setItem("tgTheme", themeText); } catch (e) {} }
  try { themeText = themeText || sessionStorage.getItem("tgTheme"); } catch (e) {}
  if (themeText) {
    try {
      var theme = JSON.parse(themeText), root = document.documentElement;
      Object.keys(theme).forEach(function (key) {
        if (/^[a-z_]+$/.test(key) && /^#[0-9a-fA-F]{3,8}$/.test(theme[key])) {
          root.style.setProperty("--tg-" + key.replace(/_/g, "-"), theme[key]);
        }
      });
      root.classList.add("in-telegram");
    } catch (e) {}
  }
  function postEvent(type) {  // tell Telegram the page is ready (mobile, desktop and web clients)
    var data = JSON.stringify({eventType: type, eventData: {}});
    try {
      if (window.TelegramWebviewProxy) { window.TelegramWebviewProxy.postEvent(type, "{}"); }
      else if (window.external && "notify" in window.external) { window.external.notify(data); }
      else if (window.parent !== window) { window.parent.postMessage(data, "https://web.telegram.org"); }
    } catch (e) {}
  }
  document.addEventListener("DOMContentLoaded", function () {
    postEvent("web_app_ready");
    var form = document.getElementById("telegram-login");
    if (!form) { return; }
    var initData = hash.get("tgWebAppData");
    if (initData) {
      document.getElementById("init-data").value = initData;
      form.submit();
    } else {
      document.getElementById("waiting").hidden = true;
      document.getElementById("outside").hidden = false;
    }
  });
})();
