"""The coordinator's page in a real headless browser (Debian's chromium through chromedriver and selenium):
the bot serves it beside the local Bot API, with WEB_URL set. Opened with signed initData as Telegram does
(in the address's fragment), forged and old initData refused, a mentee refused; the table sorted, filtered
and searched; a binôme opened; an alert acknowledged and its card in the chat edited; the XLSX downloaded;
another programme's binôme not there; a name like <script> inert; 360 px and 1280 px, French and English.
One browser for the module; every selenium call runs in a thread, so the bot's loop keeps answering."""
from __future__ import annotations

import asyncio
import base64
import io
import json
from datetime import timedelta
from urllib.parse import quote

import openpyxl
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait
from sqlmodel import select

from bot.app import build_application, running, tick
from bot.i18n import load_all
from bot.services import Services
from bot.settings import load_settings
from miniapp.auth import sign_init_data
from storage import alerts as rules
from storage.models import Alert, AlertStatus, Participant
from tests.conftest import START, PacedLikeTheServer, require_chromium
from tests.factories import link
from tests.report_seed import OTHER_SECRET, seed_programme

WEB_URL = "https://binome.example"
SHOTS = "/tmp/binome-miniapp-shots"


@pytest.fixture(scope="module")
def browser():
    chromium, driver_path = require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=fr"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


class Page:
    """The browser, driven from a worker thread."""

    def __init__(self, driver, base: str) -> None:
        self.driver, self.base = driver, base

    async def go(self, path: str) -> None:
        await asyncio.to_thread(self.driver.get, self.base + path)

    async def click(self, css: str) -> None:
        """Click, and when the click leaves the page (a link, a form), wait until the next one has loaded."""
        def click_and_wait() -> None:
            before = self.driver.find_element(By.TAG_NAME, "html")
            self.driver.find_element(By.CSS_SELECTOR, css).click()
            try:
                WebDriverWait(self.driver, 10).until(staleness_of(before))
            except TimeoutException:  # the click stayed on the page (a script changed it in place)
                pass
            WebDriverWait(self.driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
        await asyncio.to_thread(click_and_wait)

    async def texts(self, css: str) -> list[str]:
        return await asyncio.to_thread(lambda: [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, css)])

    async def text(self, css: str = "body") -> str:
        return (await self.texts(css) or [""])[0]

    async def script(self, code: str):
        return await asyncio.to_thread(self.driver.execute_script, code)

    async def size(self, width: int, height: int, mobile: bool = False) -> None:
        """The viewport itself at this size (as a phone's, with `mobile`), not the window around it."""
        await asyncio.to_thread(self.driver.execute_cdp_cmd, "Emulation.setDeviceMetricsOverride",
                                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    async def shot(self, name: str) -> None:
        await asyncio.to_thread(self.driver.save_screenshot, f"{SHOTS}/{name}.png")

    async def new_session(self) -> None:
        await asyncio.to_thread(self.driver.delete_all_cookies)


@pytest.fixture
async def web(server, engine, clock, database_url, browser):
    load_all()
    settings = load_settings(_env_file=None, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.base_url,
                             DATABASE_URL=database_url, TICK_SECONDS=3600, WEB_URL=WEB_URL, WEB_PORT=0)
    services = Services(settings=settings, engine=engine, clock=clock, pacer=PacedLikeTheServer(server))
    async with running(build_application(services)) as app:
        server.attach_application(app)
        await browser_reset(browser)
        yield app, Page(browser, f"http://127.0.0.1:{app.bot_data['web'].port}")
        server.attach_application(None)


async def browser_reset(driver) -> None:
    await asyncio.to_thread(driver.delete_all_cookies)
    await asyncio.to_thread(driver.execute_cdp_cmd, "Emulation.setDeviceMetricsOverride",
                            {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})


def _seed(server, session, language="en"):
    with session() as s:
        ids = seed_programme(s, START)
        claire = server.user(first_name="Claire", language_code=language)
        link(s.get(Participant, ids["claire"]), claire, START, language)
        amina = server.user(first_name="Amina", language_code="fr")
        link(s.get(Participant, ids["B01.mentee"]), amina, START, "fr")
        s.get(Participant, ids["B02.mentee"]).first_name = "<script>alert(1)</script>"
    return ids, claire, amina


def init_data(user, token: str, at=START) -> str:
    return sign_init_data({"query_id": "AAHdF6IQAAAAAN0XohDhrOrc", "auth_date": str(int(at.timestamp())),
                           "user": json.dumps({"id": user.id, "first_name": user.first_name,
                                               "language_code": "en"})}, token)


def fragment(data: str) -> str:
    theme = json.dumps({"bg_color": "#17212b", "text_color": "#f5f5f5", "button_color": "#5288c1"})
    return f"/app?lang=en#tgWebAppData={quote(data)}&tgWebAppVersion=8.0&tgWebAppThemeParams={quote(theme)}"


async def test_opened_from_telegram_the_table_sorts_filters_searches_and_opens_a_binome(web, session, server):
    app, page = web
    ids, claire, amina = _seed(server, session)
    token = server.token
    # Forged (another bot's token), old, and a mentee's initData: refused with a page that says what to do.
    await page.go(fragment(init_data(claire, "654321:ANOTHER-BOT")))
    assert await page.script("return document.getElementById('refused').dataset.reason") == "bad_init_data"
    await page.go(fragment(init_data(claire, token, at=START - timedelta(hours=2))))
    assert "expired" in await page.text("h1")
    await page.go(fragment(init_data(amina, token)))
    assert await page.text("h1") == "This page is for coordinators"
    await page.go("/table")
    assert "send /web to the bot" in await page.text("#refused")

    await page.go(fragment(init_data(claire, token)))
    assert await page.script("return location.pathname") == "/table"
    codes = await page.texts("#followup tbody td:first-child")
    assert codes == [f"B{n:02}" for n in range(1, 13)]  # Z99, of another programme, is not there
    body = await page.text()
    assert OTHER_SECRET not in body and "<script>alert(1)</script>" in body  # a name is text, never markup
    assert await page.script("return document.documentElement.classList.contains('in-telegram')")
    assert await page.script("return getComputedStyle(document.body).backgroundColor") == "rgb(23, 33, 43)"
    await page.click("th a[data-sort='code']")  # sorted by code already: a second press turns it round
    assert (await page.texts("#followup tbody td:first-child"))[0] == "B12"
    await page.click("a[data-filter='risk']")
    assert await page.texts("#followup tbody td:first-child") == ["B02", "B01"]  # the same as /binomes' filter
    await page.click("a[data-filter='paused']")
    assert await page.texts("#followup tbody td:first-child") == ["B03"]
    await page.go("/table?q=amina")
    assert await page.texts("#followup tbody td:first-child") == ["B01"]
    await page.click("a.code")
    title = await page.text("#binome-title")
    assert title == "B01 · Marc & Amina"
    assert "🔴 High No recent meeting · open" in await page.text("#binome-alerts")
    await page.shot("binome-1280")
    await page.go(f"/binome/{ids['Z99']}")
    assert await page.text() == "404: Not Found"
    await page.go("/table")
    await page.shot("table-1280")
    await page.size(360, 740, mobile=True)
    await page.go("/table")
    wide = await page.script("return Array.from(document.querySelectorAll('body *')).filter("
                             "e => e.getBoundingClientRect().right > 361).map(e => e.tagName + '.' + e.className)")
    assert wide == []  # no sideways scrolling on a phone: each binôme is a card
    assert await page.script("return getComputedStyle(document.getElementById('sortbar')).display") == "flex"
    await page.shot("table-360")


async def test_acknowledging_an_alert_edits_its_card_and_the_xlsx_downloads_in_french(web, session, server):
    app, page = web
    ids, claire, _ = _seed(server, session, language="fr")
    with session() as s:
        alert = s.exec(select(Alert).where(Alert.status == AlertStatus.OPEN,
                                                                  Alert.programme_id == ids["programme"])).one()
        alert_id = alert.id
        alert.facts = {"days": 44, "last_meeting": "2026-07-01", "expected_every_days": 14}
        rules.notify(session=s, alert=alert, now=START, to=[s.get(Participant, ids["claire"])])
    await tick(app)
    await server.settle()
    chat_card = next(m for m in claire.messages if "Je m'en occupe" in " ".join(m.button_texts))
    await page.go(fragment(init_data(claire, server.token)).replace("lang=en", "lang=fr"))
    assert await page.text("h1") == "Tableau de suivi"
    await page.go("/alerts")
    # A POST without the session's token changes nothing.
    await page.script(f"var f=document.querySelector('form[action=\"/alerts/{alert_id}/ack\"]');"
                      "f.querySelector('[name=csrf]').value='forged'; f.submit();")
    assert (await page.text("h1")) == "Ce formulaire n'est plus valable"
    with session() as s:
        assert s.get(Alert, alert_id).status == AlertStatus.OPEN
    await page.go("/alerts")
    await page.click(f"form[action='/alerts/{alert_id}/ack'] button")
    assert "noté" in await page.text("#done")
    await server.settle()
    with session() as s:
        assert s.get(Alert, alert_id).status == AlertStatus.ACKNOWLEDGED
    # The binôme's card (issue 18: one a binôme, its other open alerts still on it) says who took this one in hand.
    assert chat_card.edited and "🙋 Prise en charge par Claire." in chat_card.text
    await page.shot("alerts-1280-fr")
    await page.go("/report?period=all")
    assert await page.script("return document.getElementById('chart').naturalWidth") > 0
    data = await asyncio.to_thread(page.driver.execute_async_script, """
        var done = arguments[arguments.length - 1];
        fetch(document.getElementById('xlsx').href).then(r => r.arrayBuffer().then(b => done(
            [r.status, r.headers.get('content-type'), btoa(String.fromCharCode.apply(null, new Uint8Array(b)))])));""")
    assert data[0] == 200 and data[1].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data[2])))
    assert len(book.sheetnames) == 3
    await page.shot("report-1280-fr")
