"""`binome demo`: the real bot against the project's local Bot API, with a scripted onboarding.

Nothing reaches Telegram. A demo programme is imported from a spreadsheet, invitation links are
made, then a coordinator, a mentee and a mentor tap their links and are onboarded; the transcript
shows what each person saw on their phone.
"""
from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo
from pathlib import Path

from sqlmodel import select

from bot.app import build_application, running, tick
from bot.clock import ManualClock, SystemClock
from bot.i18n import available_languages, language_name, load_all, translator
from bot.services import Services
from bot.settings import Settings
from localapi import LocalBotApi
from miniapp.server import WebServer
from storage.db import make_engine, session_scope, upgrade
from storage.importer import import_participants
from storage.invite_links import invitation_lines
from storage.models import Participant, Role
from storage.programmes import create_programme
from storage.web_access import create_link

DEMO_CSV = """binome;rôle;prénom;nom;langue;employeur
;coordinatrice;Claire;Martin;fr;
B01;mentor;Marc;Dubois;en;Banque du Midi
B01;mentorée;Amina;Benali;fr;
B02;mentor;Sophie;Leroy;fr;Atelier Leroy
B02;mentoré;Youssef;El Idrissi;ar;
""".encode("utf-8-sig")


class Transcript:
    """Prints what each simulated person does and what the bot shows them, edits included."""

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.write = write
        self._seen: dict[tuple[int, int], tuple[str, int]] = {}

    def section(self, title: str) -> None:
        self.write(f"\n── {title} " + "─" * max(0, 60 - len(title)))

    def said(self, who: str, what: str) -> None:
        self.write(f"  {who} ▸ {what}")

    def show_new(self, who: str, user) -> None:
        for message in user.messages:
            key = (user.chat_id, message.message_id)
            text = message.text or ""
            state = (text, message.edited)
            before = self._seen.get(key)
            if before == state:
                continue
            self._seen[key] = state
            if before is None:
                self.write(f"  Binôme ◂ {who}:")
            elif text == before[0]:
                self.write(f"  Binôme ✎ {who}: the buttons above are removed once answered")
                continue
            elif text.startswith(before[0]) and before[0]:
                self.write(f"  Binôme ✎ {who} (the message above now ends with):")
                text = text[len(before[0]):].strip()
            else:
                self.write(f"  Binôme ✎ {who} (the message above now reads):")
            for line in text.splitlines():
                self.write(f"      {line}")
            for row in message.buttons:
                self.write("      " + "  ".join(f"[ {text} ]" for text, _ in row))


async def run_demo(settings: Settings, database: str | None = None, write: Callable[[str], None] = print,
                   keep_open: bool = False) -> int:
    """The scripted demo; `keep_open`: then keep the coordinator's page up until Enter is pressed."""
    load_all()
    folder = Path(tempfile.mkdtemp(prefix="binome-demo-"))
    url = f"sqlite:///{database or folder / 'demo.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    # The demo's day starts at 10:00 in Brussels, so quiet hours never hide a step whenever it is run.
    clock = ManualClock(SystemClock().now().replace(hour=8, minute=0, second=0, microsecond=0))
    out = Transcript(write)

    async with LocalBotApi(token="100200300:DEMO-LOCAL-ONLY", bot_username="binome_demo_bot") as server:
        out.section("Coordinator: set-up without code")
        with session_scope(engine) as session:
            programme = create_programme(session=session, name="MentorYou Bruxelles (démo)", now=clock.now(),
                                         timezone="Europe/Brussels", language="fr")
            report = import_participants(session=session, programme=programme, data=DEMO_CSV, now=clock.now(),
                                         languages=available_languages())
            out.said("binome import", f"{report.participants_created} participants, "
                                      f"{report.binomes_created} binômes")
            links = {line.name: line.link for line in invitation_lines(
                session=session, programme=programme, bot_username=server.bot_username, now=clock.now(),
                valid_days=settings.invitation_days)}
        for name, link in links.items():
            out.said("binome invite", f"{name}: {link[:48]}…")

        demo_settings = settings.model_copy(update={"telegram_bot_token": server.token,
                                                    "telegram_api_url": server.base_url,
                                                    "database_url": url, "tick_seconds": 3600,
                                                    "web_listen": "127.0.0.1", "web_port": 0})
        services = Services(settings=demo_settings, engine=engine, clock=clock)
        async with running(build_application(services)) as application:
            await _script(server, application, links, out, clock)
            await _coordinators_page(application, engine, clock, write, wait=keep_open)
    engine.dispose()
    write("\nThe demo ran the real bot over HTTP against the local Bot API on 127.0.0.1; nothing reached "
          "Telegram. To run it for real, see README.md, «Create a real bot».")
    return 0


async def _script(server: LocalBotApi, application, links: dict[str, str], out: Transcript, clock) -> None:
    def token(name: str) -> str:
        return links[name].rsplit("=", 1)[1]

    async def act(who: str, user, label: str, action) -> None:
        out.said(who, label)
        await action
        await server.settle()
        out.show_new(who, user)

    async def tap(user, message, text: str) -> None:
        """Press a button and wait for the bot's answer to it (settle alone can come before a quick edit)."""
        await user.callback_answer(await user.press(message, text=text), timeout=10)

    async def onboard(who: str, user, agree: str, language: str) -> None:
        await act(who, user, "taps the invitation link (/start …)", user.send(f"/start {token(who)}"))
        await act(who, user, f"presses «{agree}»", user.press(user.last_message, text=agree))
        await act(who, user, f"presses «{language}»", user.press(user.last_message, text=language))

    async def deliver(clock, application, server, out, *people) -> None:
        """The scheduler's tick, a few seconds later on the demo clock."""
        clock.advance(seconds=5)
        await tick(application)
        await server.settle()
        for who, user in people:
            out.show_new(who, user)

    claire = server.user(first_name="Claire", last_name="Martin", language_code="fr")
    amina = server.user(first_name="Amina", language_code="fr")
    marc = server.user(first_name="Marc", language_code="en")
    stranger = server.user(first_name="Inconnu", language_code="fr")
    youssef = server.user(first_name="Youssef", language_code="ar")

    out.section("Claire, the coordinator, joins")
    await onboard("Claire Martin", claire, "J'accepte", "Français")

    out.section("Amina, a mentee, joins on her phone (French)")
    await onboard("Amina Benali", amina, "J'accepte", "Français")

    out.section("Marc, her mentor, joins (his phone is in English)")
    await onboard("Marc Dubois", marc, "I agree", "English")
    clock.advance(seconds=30)
    await tick(application)
    await server.settle()
    out.show_new("Amina Benali", amina)

    out.section("Youssef, the mentee of B02, joins: his phone is in Arabic, and so is everything he reads")
    await onboard("Youssef El Idrissi", youssef, translator("ar")("✅ I agree"), language_name("ar"))

    out.section("Someone forwards Amina's link; a stranger writes")
    await act("Inconnu", stranger, "taps Amina's link", stranger.send(f"/start {token('Amina Benali')}"))
    await act("Inconnu", stranger, "writes «Bonjour»", stranger.send("Bonjour"))

    out.section("Claire checks who has joined")
    await act("Claire Martin", claire, "/programme", claire.send("/programme"))

    out.section("Marc plans the first meeting with buttons; Amina accepts")
    await act("Marc Dubois", marc, "/meeting", marc.send("/meeting"))
    planning = marc.last_message
    for label in (planning.button_texts[3], "17:00", "workplace", "Send"):
        await act("Marc Dubois", marc, f"presses «{label}»", marc.press(planning, text=label))
    await deliver(clock, application, server, out, ("Amina Benali", amina), ("Marc Dubois", marc))
    await act("Amina Benali", amina, "presses «Accepter»", amina.press(amina.last_message, text="Accepter"))
    await deliver(clock, application, server, out, ("Amina Benali", amina), ("Marc Dubois", marc))
    out.said("(both phones)", "the calendar file rencontre.ics / meeting.ics is attached to the confirmation")

    out.section("The day of the meeting, Amina cannot come: Marc is warned at once")
    clock.advance(days=2)
    await act("Amina Benali", amina, "/absent", amina.send("/absent"))
    await act("Amina Benali", amina, "presses «Entretien d'embauche»",
              amina.press(amina.last_message, text="Entretien d'embauche"))
    await deliver(clock, application, server, out, ("Marc Dubois", marc))

    out.section("Amina adds an action to the pair's plan")
    await act("Amina Benali", amina, "/plan", amina.send("/plan"))
    await act("Amina Benali", amina, "presses «Ajouter une action»",
              amina.press(amina.last_message, text="Ajouter une action"))
    await act("Amina Benali", amina, "writes «Refaire mon CV»", amina.send("Refaire mon CV"))
    await act("Amina Benali", amina, "presses «CV et lettres»", amina.press(amina.last_message, text="CV et lettres"))
    await act("Amina Benali", amina, "presses «Dans 1 semaine»",
              amina.press(amina.last_message, text="Dans 1 semaine"))

    out.section("Wednesday 18:00: the weekly check-ins")
    await _move_to(clock, application, server, weekday=0, at=time(10, 0))  # Monday: the week's check-ins are written
    await _move_to(clock, application, server, weekday=2, at=time(18, 0))
    out.show_new("Amina Benali", amina)
    out.show_new("Marc Dubois", marc)
    checkin = amina.last_message
    for label in ("🙂", "Fait", "Passer", "Mon humeur", "Terminé"):
        await act("Amina Benali", amina, f"presses «{label}»", amina.press(checkin, text=label))
    mentor_checkin = marc.last_message
    for label in ("All fine", "Skip"):
        await act("Marc Dubois", marc, f"presses «{label}»", marc.press(mentor_checkin, text=label))
    out.said("(the next day)", "Marc hears once a day of what Amina has done, and what she chose to share")
    clock.advance(days=1)
    await deliver(clock, application, server, out, ("Marc Dubois", marc))

    out.section("Amina asks for help: Claire, the coordinator, is alerted at once")
    await act("Amina Benali", amina, "/help", amina.send("/help"))
    await act("Amina Benali", amina, "presses «J'ai besoin d'aide»",
              amina.press(amina.last_message, text="J'ai besoin d'aide"))
    await deliver(clock, application, server, out, ("Claire Martin", claire))
    await act("Claire Martin", claire, "presses «Je m'en occupe»", claire.press(claire.last_message, text="Je m'en occupe"))
    await act("Claire Martin", claire, "presses «Voir le binôme»", claire.press(claire.last_message, text="Voir le binôme"))

    out.section("Months later, Amina has found a training: Claire closes the binôme with its outcome")
    clock.advance(days=1)
    await act("Claire Martin", claire, "/binome B01", claire.send("/binome B01"))
    card = claire.last_message
    for label in ("Clôturer le binôme", "Formation", "Aujourd", "Oui, clôturer le binôme"):
        await act("Claire Martin", claire, f"presses «{label}…»", tap(claire, card, label))
    await deliver(clock, application, server, out, ("Amina Benali", amina), ("Marc Dubois", marc))

    out.section("An hour later, the evaluation: Amina answers by buttons, anonymously")
    clock.advance(hours=1)
    await deliver(clock, application, server, out, ("Amina Benali", amina), ("Marc Dubois", marc))
    evaluation = amina.last_message
    for score in ("5", "5", "4", "4", "5", "5"):
        await act("Amina Benali", amina, f"presses «{score}»", tap(amina, evaluation, score))
    await act("Amina Benali", amina, "presses «Rien à ajouter»", tap(amina, evaluation, "Rien à ajouter"))
    await act("Claire Martin", claire, "/evaluations", claire.send("/evaluations"))
    await act("Amina Benali", amina, "/plan", amina.send("/plan"))

    out.section("Claire reports to the funder: the indicators, a chart and the spreadsheet")
    await act("Claire Martin", claire, "/report", claire.send("/report"))
    claire.skip_to_end()
    await act("Claire Martin", claire, "presses «Depuis le début»", tap(claire, claire.last_message, "Depuis le début"))
    for _ in range(2):  # built in a worker thread: the chart, then the spreadsheet
        await claire.wait_for_message(timeout=60)
    await server.settle()
    out.show_new("Claire Martin", claire)
    files = [m for m in claire.messages if m.document or m.photo]
    out.said("(Claire's phone)", ", ".join(sorted(m.document["file_name"] if m.document else "chart (photo)"
                                                   for m in files)))


async def _coordinators_page(application, engine, clock, write: Callable[[str], None], *, wait: bool) -> None:
    """The coordinator's page (docs/miniapp.md) on 127.0.0.1, and a one-time link signed for Claire that opens
    it in any browser on this machine (as `/web` gives a coordinator)."""
    page = WebServer(application)
    await page.start()
    try:
        with session_scope(engine) as session:
            claire = session.exec(select(Participant).where(Participant.role == Role.COORDINATOR)).first()
            token = create_link(session=session, participant=claire, now=clock.now())
        write(f"\n── Claire's page (the Mini App) {'─' * 29}\n  http://127.0.0.1:{page.port}/login/{token}\n"
              "  One use, in any browser on this machine: the follow-up table, the alerts, the indicators.")
        if wait:
            await asyncio.to_thread(input, "  Press Enter to end the demo. ")
    finally:
        await page.stop()


async def _move_to(clock, application, server, *, weekday: int, at: time) -> None:
    """To the next such weekday and local time in Brussels, running the tick on the way as the scheduler would."""
    zone = ZoneInfo("Europe/Brussels")
    local = clock.now().astimezone(zone)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7 or 7)
    clock.set(datetime.combine(day, at, tzinfo=zone).astimezone(timezone.utc) + timedelta(minutes=1))
    await tick(application)
    await server.settle()
