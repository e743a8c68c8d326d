"""/web in the chat (issue 13), through the local Bot API: a coordinator gets a one-time link for a computer's
browser and the "Open the table" button, and their menu button opens the page; a mentee, or a bot without
WEB_URL, gets a clear answer instead."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from storage import web_access
from storage.models import AuditLog, WebLogin
from tests.test_alerts import seed

WEB_URL = "https://binome.example.org"


async def test_web_gives_a_coordinator_a_link_that_works_once_and_nobody_else(harness, session, clock):
    ids, users = seed(harness, session, clock)
    claire, amina = users["claire"], users["mentee"]
    await claire.send("/web")
    assert (await claire.wait_for_message()).text == ("The follow-up table's page is not set up here: the person "
                                                      "who runs Binôme can turn it on (WEB_URL).")
    harness.services.settings = harness.services.settings.model_copy(update={"web_url": WEB_URL})
    await amina.send("/web")
    assert (await amina.wait_for_message()).text == "This command is for coordinators. To see your commands, send /help."
    await claire.send("/web")
    answer = await claire.wait_for_message()
    assert answer.text.startswith("Your link to the follow-up table, for a computer's browser. It works once, for "
                                  "10 minutes; keep it to yourself:\n" + WEB_URL + "/login/")
    assert answer.button_texts == ["🗂 Open the table"]
    assert answer.inline_buttons[0]["web_app"]["url"].startswith(WEB_URL + "/")
    token = answer.text.rsplit("/login/", 1)[1]
    with session() as s:
        stored = s.exec(select(WebLogin)).one()
        assert stored.token_hash != token and token not in stored.token_hash  # only its hash is kept
        assert s.exec(select(AuditLog).where(AuditLog.action == "web.link_created")).one().actor == \
            f"participant:{ids['claire']}"
        assert web_access.use_link(session=s, token=token, now=clock.now() + timedelta(minutes=11)) is None  # late
    with session() as s:
        assert web_access.use_link(session=s, token=token, now=clock.now()).id == ids["claire"]
    with session() as s:
        assert web_access.use_link(session=s, token=token, now=clock.now()) is None  # once
    await harness.server.settle()
    menu = harness.server.world.menu_buttons[claire.chat_id]  # her menu button opens the page too
    assert menu["type"] == "web_app" and menu["web_app"]["url"].startswith(WEB_URL + "/")


async def test_an_alert_card_carries_open_the_table_and_keeps_it_when_taken_in_hand(harness, session, clock):
    """With WEB_URL, the outbox's alert card has "Open the table" under its buttons, and still has it once the
    coordinator presses "I'm on it"; without WEB_URL it has none (the other tests' cards)."""
    from tests.test_meetings import tap

    harness.services.settings = harness.services.settings.model_copy(update={"web_url": WEB_URL})
    ids, users = seed(harness, session, clock, started_days_ago=20)  # no first meeting: an alert
    claire = users["claire"]
    await harness.tick()
    card = next(m for m in claire.messages if "No first meeting" in m.text)
    assert card.button_texts[-1] == "🗂 Open the table"
    assert card.inline_buttons[-1]["web_app"]["url"].startswith(WEB_URL + "/")
    await tap(claire, card, "🙋 I'm on it")
    assert card.text.endswith("🙋 Taken in hand by Claire.") and card.button_texts[-1] == "🗂 Open the table"
