"""The demo's last step (issue 13): the coordinator's page served on 127.0.0.1 with a one-time link signed for
Claire, which opens her follow-up table in any browser on the machine, once. (`bot.demo._coordinators_page`
on a seeded programme; the whole demo runs in tests/test_processes.py.)"""
from __future__ import annotations

import urllib.error
import urllib.request

from bot.demo import _coordinators_page
from tests.test_alerts import seed


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        return urllib.request.build_opener(_NoRedirect).open(request, timeout=10)
    except urllib.error.HTTPError as answer:  # 303 (no redirect followed), 401…
        return answer


async def test_the_demo_prints_a_link_that_opens_claires_table_once(harness, session, engine, clock, monkeypatch):
    seed(harness, session, clock, label="B01")
    harness.services.settings = harness.services.settings.model_copy(update={"web_listen": "127.0.0.1",
                                                                             "web_port": 0})
    lines: list[str] = []
    seen: dict[str, object] = {}

    def press_enter(prompt: str = "") -> str:  # while the page is up, as a person at the keyboard would
        link = next(part for line in lines for part in line.split() if "/login/" in part)
        first = _get(link)
        seen["first"] = first.status, first.headers.get("Location")
        cookie = first.headers.get("Set-Cookie", "").split(";", 1)[0]
        table = _get(link.split("/login/")[0] + "/table", cookie)
        seen["table"] = table.status, table.read().decode("utf-8")
        seen["again"] = _get(link).status
        return ""

    monkeypatch.setattr("builtins.input", press_enter)
    await _coordinators_page(harness.application, engine, clock, lines.append, wait=True)
    assert lines[0].startswith("\n── Claire's page (the Mini App)")
    assert seen["first"] == (303, "/table")
    status, page = seen["table"]
    assert status == 200 and "Follow-up table" in page and "B01" in page
    assert seen["again"] == 401  # one use
