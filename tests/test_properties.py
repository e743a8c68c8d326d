"""Random people, duplicates and faults against the real bot: the invariants always hold.

Each hypothesis example builds a fresh world (SQLite database, local Bot API, the real application
polling it over HTTP), seeds one programme with two binômes (Marc–Amina, Jules–Sofia) and their
coordinator Claire, each with an invitation link, and plays a random sequence of steps by seven
phones: the five participants, a stranger (Eve, no link) and a friend (Sam) who was given someone
else's link. A prologue, also drawn, onboards some people and plans some meetings the normal way so
that the random steps meet later states too. After every step it checks:

1. no unhandled error: nothing is logged at ERROR unless an injected fault fired in that step (and
   then only Telegram errors); no bot message shows "Traceback" or "Error"; every button press is
   answered;
2. no answer recorded twice: one "consent.given" at most per participant, one account per participant
   and one participant per account, a used invitation belongs to a linked participant, a link, once
   made, never moves to another account, and only an account that opened a person's link becomes them;
3. nobody hears about another binôme: "partner_joined" goes to the partner, coordinators' notices to
   coordinators, whatever concerns a meeting or a binôme to that binôme's two people; and a chat never
   names a person its phone has no business knowing: the holder of a link sees that link's first name,
   a linked participant their binôme and coordinator, a coordinator everyone, the stranger no one;
4. the database is consistent (statuses, consent, onboarding; outbox rows sent or dropped, not both;
   idempotency keys unique);
5. a re-delivered update and an edited message change nothing (people, links, audit, outbox, meetings);
6. /stop holds until the person sends /start.

An invitation link is a bearer credential: whoever opens it first (or after the 24 h hold of an
unanswered consent question) may become that participant. So the friend is not "never linked": the
friend may become the participant whose link they hold, and nobody else, and learns partner names only
then (rules 2 and 3).

Run: `.venv/bin/python -m pytest tests/test_properties.py` (about 40 s). A failing example is told
step by step (hypothesis `note`), ending with the transcript of the chat concerned; shrinking is off
because it replays the real bot hundreds of times (HYPOTHESIS_SHRINK=1 turns it on). 25 examples by
default; PROPERTY_EXAMPLES=300 plays more.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, note, settings, strategies as st
from sqlmodel import select
from telegram import Update
from telegram.error import TelegramError

from bot.app import build_application, running, tick
from bot.clock import ManualClock
from bot.i18n import load_all
from bot.pacing import ChatPacer
from bot.services import Services
from bot.settings import load_settings
from localapi import LocalBotApi
from localapi.sim import SimUser
from storage.db import make_engine, session_scope, upgrade
from storage.models import (Absence, AuditLog, Binome, Invitation, Meeting, OutboundMessage, Participant,
                            ParticipantStatus, Role)
from tests.factories import invite, make_pair, make_participant, make_programme

START = datetime(2026, 9, 7, 8, 0, tzinfo=timezone.utc)  # a Monday, 10:00 in Brussels

# First names are distinct and appear in no catalog, so a name in a chat is a person named.
BINOMES = {"B01": ("Marc", "Amina"), "B02": ("Jules", "Sofia")}  # (mentor, mentee)
COORDINATOR = "Claire"
PARTICIPANTS = ["Marc", "Amina", "Jules", "Sofia", COORDINATOR]
STRANGER, FRIEND = "Eve", "Sam"
ACTORS = PARTICIPANTS + [STRANGER, FRIEND]
PARTNER = {mentor: mentee for mentor, mentee in BINOMES.values()} | {
    mentee: mentor for mentor, mentee in BINOMES.values()}
FORGED_TOKEN = "q8Zf0rGedT0kenThatWasNeverIssued"  # well-formed, unknown
COMMANDS = ["/start", "/stop", "/help", "/language", "/programme", "/meeting", "/meeting", "/meeting", "/absent",
            "/absence"]


# ----------------------------------------------------------------------------------------- steps
@dataclass(frozen=True)
class Step:
    actor: str | None  # None: the world acts (clock, Telegram re-delivering, a fault)
    action: str
    arg: object = None

    def __repr__(self) -> str:
        who = f"{self.actor}: " if self.actor else ""
        arg = "" if self.arg is None else f" {self.arg!r}"
        if isinstance(self.arg, str) and len(self.arg) > 60:
            arg = f" {self.arg[:20]!r}…({len(self.arg)} chars)"
        return f"<{who}{self.action}{arg}>"


forged_data = st.one_of(
    st.sampled_from(["lang:fr", "lang:en", "lang:zz", "consent:1:y", "consent:1:n", "garbage:\u00e9\u00e9",
                     "m:1:ok", "m:1:cant", "m:1:r:ill", "m:1:d:20260908", "m:1:o:held", "m:1:co", "m:1:zz:1"]),
    st.builds("consent:{}:{}".format, st.integers(0, 9), st.sampled_from("yn")),
    st.text(min_size=1, max_size=30).filter(lambda data: len(data.encode()) <= 64),  # Telegram: 1-64 bytes
    # Ids no column holds (OverflowError on SQLite), in the id or inside the value.
    st.builds("{}:{}:{}".format, st.sampled_from("mpca"), st.integers(10**18, 10**30),
              st.sampled_from(["ok", "open", "mood:3", "ack", "act:1_d", "d:20260908", "list"])),
    st.builds(str.format, st.sampled_from(["c:1:act:{}_d", "p:1:rdone:{}", "p:1:c:skip.{}", "consent:{}:y"]),
              st.integers(10**18, 10**30)),
    # A verb whose value is missing, extra or malformed.
    st.builds("{}:{}:{}".format, st.sampled_from("mpca"), st.integers(0, 9),
              st.sampled_from(["act", "mood", "fine", "sh", "snz", "awd", "r", "o", "d", "t", "p", "s", "ed", "rdone",
                               "c", "out", "act:5", "act:1_2_3", "ok:x", "ack:x", "done:1", "list:x", "awd:x"])),
)
# What people type names nobody and says no "Error": a typed address or link is relayed to the partner,
# and rules 1 and 3 are about what the bot itself says, not what people tell each other.
def typable(text: str) -> bool:
    return bool(text.strip()) and not any(word in text for word in [*PARTICIPANTS, "Error", "Traceback"])


free_text = st.one_of(
    st.sampled_from(["bonjour", "🙂", "…", "x" * 4096, "/nimportequoi", "Rue Haute 12, Bruxelles",
                     "https://meet.example.org/abc", "/start@binome_test_bot", "/START",
                     "/start " + FORGED_TOKEN[:8]]),
    st.sampled_from(["\u200c\u2060", "\u00ad", "\u200b\ufeff\u200d", "a\x00b", "\x00"]),  # invisible text, NUL
    st.text(min_size=1, max_size=40).filter(typable),
)
edit_text = st.one_of(st.sampled_from(["bonjour encore", "/stop", "/start", "/help", "/language", "<own link>"]),
                      st.text(min_size=1, max_size=20).filter(typable))
ARGS = {
    "start own link": st.none(),
    "start link of": st.sampled_from(PARTICIPANTS),
    "command": st.sampled_from(COMMANDS),
    "press": st.integers(0, 20),  # a button of the latest bot message that has buttons (index modulo)
    "double-tap": st.integers(0, 20),  # the same button twice before the bot answers
    "forge": forged_data,  # callback data a modified client sends, on the latest bot message
    "text": free_text,
    "sticker": st.none(),
    "photo": st.none(),
    "edit": st.tuples(st.integers(0, 9), edit_text),  # one of the phone's own text messages
    "block": st.none(),
    "unblock": st.none(),
    "then press": st.integers(0, 20),  # whoever acted last presses a button (planning takes several taps)
    "someone presses": st.tuples(st.integers(0, 6), st.integers(0, 20)),  # one of the phones showing buttons
    "someone double-taps": st.tuples(st.integers(0, 6), st.integers(0, 20)),
    "redeliver": st.none(),  # Telegram sends the last delivered update again
    # A 429 makes the rate limiter sleep retry_after (1 s, real time): rarer than the others.
    "fault": st.tuples(st.sampled_from(["500", "502", "drop", "500", "502", "drop", "429"]),
                       st.sampled_from(["sendMessage", "editMessageText", "answerCallbackQuery"])),
    "clock": st.one_of(st.sampled_from([60, 3600, 86_400 + 60, 7 * 86_400, 31 * 86_400]),
                       st.integers(60, 40 * 86_400)),  # then the scheduler ticks
}
WORLD_ACTIONS = {"then press", "someone presses", "someone double-taps", "redeliver", "fault", "clock"}
# Weights: following links and pressing buttons often enough that people get onboarded and plan meetings.
KINDS = (["start own link"] * 4 + ["someone presses"] * 8 + ["then press"] * 4 + ["command"] * 5
         + ["start link of"] * 2 + ["press", "double-tap", "someone double-taps", "someone double-taps"]
         + ["forge", "text", "sticker", "photo", "edit", "edit", "block", "unblock"]
         + ["redeliver"] * 2 + ["fault"] * 3 + ["clock"] * 3)


def step_strategy():
    return st.sampled_from(KINDS).flatmap(lambda kind: st.builds(
        Step, actor=st.none() if kind in WORLD_ACTIONS else st.sampled_from(ACTORS), action=st.just(kind),
        arg=ARGS[kind]))


def onboarding(name: str) -> list[Step]:
    """What a person does with their link when all goes well: open it, agree, take the ticked language."""
    return [Step(name, "start own link"), Step(name, "press", 0), Step(name, "press", 0)]


def planning(label: str, day: int, hour: int) -> list[Step]:
    """The mentor plans a meeting by buttons (day, time, the workplace, send); the mentee accepts it."""
    mentor, mentee = BINOMES[label]
    return [Step(mentor, "command", "/meeting"), Step(mentor, "press", day), Step(mentor, "press", hour),
            Step(mentor, "press", 0), Step(mentor, "press", 0), Step(None, "clock", 60), Step(mentee, "press", 0)]


# ----------------------------------------------------------------------------------------- world
class ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class World:
    server: LocalBotApi
    application: object
    services: Services
    clock: ManualClock
    engine: object
    phones: dict[str, SimUser]
    tokens: dict[str, str]  # participant first name -> token of their invitation
    friend_of: str  # whose link the friend was given
    presented: dict[str, set[str]] = field(default_factory=dict)  # phone -> whose links it opened
    knows: dict[str, set[str]] = field(default_factory=dict)  # phone -> names it may read
    linked_once: dict[str, int] = field(default_factory=dict)  # participant -> account it was linked to
    callbacks: list[str] = field(default_factory=list)  # callback queries sent in the current step
    last_actor: str | None = None
    paused: set[str] = field(default_factory=set)  # participants who said /stop and not /start since

    def link_of(self, actor: str, whose: str | None) -> tuple[str, str | None]:
        """The token a phone can send, and whose it is (None: the stranger has no real link)."""
        if actor == STRANGER:
            return FORGED_TOKEN, None
        if actor == FRIEND:
            return self.tokens[self.friend_of], self.friend_of
        whose = whose or actor
        return self.tokens[whose], whose

    def name_of_account(self, telegram_user_id: int) -> str | None:
        return next((name for name, phone in self.phones.items() if phone.id == telegram_user_id), None)


async def settle(world: World) -> None:
    """Every update fetched and fully handled, and no request in flight.

    The application is attached to the server: an update leaves the server's queue only when the
    poller confirms it, after handing it to the application's queue, and the server then joins
    that queue, which waits until its handlers are done.
    """
    await world.server.settle(timeout=15)


def latest(phone: SimUser, with_buttons: bool):
    live = [m for m in phone.messages if not m.deleted]
    if with_buttons:
        live = [m for m in live if any("callback_data" in b for b in m.inline_buttons)]
    return live[-1] if live else None


async def play(world: World, step: Step) -> str:
    """Do the step; returns what actually happened, for the notes."""
    if step.action == "then press":
        if world.last_actor is None:
            return "no one acted yet"
        return f"{world.last_actor} " + await play(world, Step(world.last_actor, "press", step.arg))
    if step.action in ("someone presses", "someone double-taps"):
        showing = [name for name in ACTORS if latest(world.phones[name], with_buttons=True) is not None
                   and not world.phones[name].blocked]
        if not showing:
            return "no one has a button to press"
        who = showing[step.arg[0] % len(showing)]
        action = {"someone presses": "press", "someone double-taps": "double-tap"}[step.action]
        return f"{who} " + await play(world, Step(who, action, step.arg[1]))
    server, phone = world.server, world.phones.get(step.actor)
    action, arg = step.action, step.arg
    if phone is not None:
        world.last_actor = step.actor
    # A phone that blocked the bot writes (the app's "Restart" unblocks it first) or unblocks; whether
    # Telegram delivers its taps and edits meanwhile is not something to assume.
    if phone is not None and phone.blocked and action in ("press", "double-tap", "forge", "edit"):
        return "nothing (the bot is blocked in this chat)"
    if action in ("start own link", "start link of"):
        token, whose = world.link_of(step.actor, arg if action == "start link of" else None)
        if whose is not None:
            world.presented[step.actor].add(whose)
        await phone.send(f"/start {token}")
        return f"/start <{whose}'s link>" if whose else "/start <a forged link>"
    if action in ("command", "text"):
        await phone.send(arg)
        return f"sends {arg[:30]!r}" + ("…" if len(arg) > 30 else "")
    if action in ("press", "double-tap"):
        message = latest(phone, with_buttons=True)
        if message is None:
            return "nothing to press"
        buttons = [b for b in message.inline_buttons if "callback_data" in b]
        button = buttons[arg % len(buttons)]
        for _ in range(2 if action == "double-tap" else 1):  # both queued before the bot answers
            world.callbacks.append(await phone.press_data(message, button["callback_data"]))
        return f"{action} {button['text']!r} ({button['callback_data']}) on #{message.message_id}"
    if action == "forge":
        message = latest(phone, with_buttons=False)
        if message is None:
            return "no bot message to press on"
        world.callbacks.append(await phone.press_data(message, arg))
        return f"forged data {arg!r} on #{message.message_id}"
    if action == "sticker":
        await phone.send_sticker()
        return "sends a sticker"
    if action == "photo":
        await phone.send_photo()
        return "sends a photo"
    if action == "edit":
        index, text = arg
        own = [m for m in server.world.chats[phone.id].user_messages.values() if "text" in m]
        if not own:
            return "no message of theirs to edit"
        if text == "<own link>":
            token, whose = world.link_of(step.actor, None)
            if whose is not None:
                world.presented[step.actor].add(whose)
            text = f"/start {token}"
        target = own[index % len(own)]
        before = target["text"][:30]
        await phone.edit(target, text)
        return f"edits #{target['message_id']} {before!r} into {text[:40]!r}"
    if action == "block":
        await phone.block_bot()
        return "blocks the bot"
    if action == "unblock":
        await phone.unblock_bot()
        return "unblocks the bot"
    if action == "redeliver":
        delivered = server.delivered_updates
        if not delivered:
            return "nothing delivered yet"
        update = delivered[-1]
        await world.application.update_queue.put(Update.de_json(update, world.application.bot))
        await world.application.update_queue.join()
        return f"Telegram re-delivers update {update['update_id']} ({next(k for k in update if k != 'update_id')})"
    if action == "fault":
        kind, method = arg
        server.inject_fault(kind, method=method, times=1, retry_after=1)
        return f"arms a {kind} on the next {method}"
    if action == "clock":
        world.clock.advance(seconds=arg)
        sent = await tick(world.application)
        return f"clock +{arg}s -> {world.clock.now():%Y-%m-%d %H:%M}; tick sent {sent}"
    raise AssertionError(f"unknown action {action}")


# ----------------------------------------------------------------------------------------- checks
def snapshot(world: World) -> tuple:
    """What people did and what the bot will do: participants, invitations, audit log, outbox, meetings."""
    with session_scope(world.engine) as s:
        return tuple([row.model_dump(warnings=False) for row in s.exec(select(model).order_by(model.id)).all()]
                     for model in (Participant, Invitation, AuditLog, OutboundMessage, Meeting, Absence))


def texts_in(phone: SimUser) -> list[str]:
    """Everything the phone was ever shown by the bot, including texts later edited away."""
    return [text for m in phone.messages for text in (*m.history, m.text or "")]


def sends_start(step: Step) -> bool:
    """The person sends /start (with or without a link), the one way out of /stop."""
    if step.action in ("start own link", "start link of"):
        return True
    return step.action in ("command", "text") and step.arg.split(maxsplit=1)[0].lower().split("@")[0] == "/start"


def check(world: World, label: str, step: Step, *, fault_fired: bool, errors: list[logging.LogRecord],
          before: tuple, requests_before: int) -> None:
    phones = world.phones

    # 1. No unhandled error. A fault on the reply makes the handler raise: the error handler logs it
    # and apologises; that is accepted in the step where a fault fired, for Telegram errors only.
    for record in errors:
        kind = record.exc_info[0] if record.exc_info else None
        assert fault_fired and kind is not None and issubclass(kind, TelegramError), (
            f"{label}: ERROR logged without an injected fault: {record.getMessage()}\n"
            + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
            + "\n" + (phones[step.actor].transcript if step.actor else ""))
    for name, phone in phones.items():
        for text in texts_in(phone):
            assert "Traceback" not in text and "Error" not in text, f"{label}: {name} was shown {text!r}"
    if not fault_fired:
        unanswered = [cq for cq in world.callbacks if not world.server.world.callbacks[cq].answer.done()]
        assert not unanswered, f"{label}: button press left unanswered (spinner forever)"

    with session_scope(world.engine) as s:
        participants = {p.first_name: p for p in s.exec(select(Participant)).all()}
        invitations = s.exec(select(Invitation)).all()
        audit = s.exec(select(AuditLog)).all()
        outbox = s.exec(select(OutboundMessage)).all()
        binomes = s.exec(select(Binome)).all()
        meeting_binome = {m.id: m.binome_id for m in s.exec(select(Meeting)).all()}
    by_id = {p.id: p for p in participants.values()}

    # 2. No answer recorded twice; links are one to one, permanent, and need the link.
    consents = Counter(a.subject for a in audit if a.action == "consent.given")
    assert all(count == 1 for count in consents.values()), f"{label}: consent recorded twice: {consents}"
    accounts = Counter(p.telegram_user_id for p in participants.values() if p.telegram_user_id is not None)
    assert all(count == 1 for count in accounts.values()), f"{label}: an account is two participants"
    for invitation in invitations:
        owner = by_id[invitation.participant_id]
        if invitation.used_at is not None:
            assert owner.telegram_user_id is not None, f"{label}: {owner.first_name}'s link used, not linked"
        if invitation.pending_user_id is not None:
            assert owner.telegram_user_id is None, f"{label}: {owner.first_name} linked and still held"
            holder = world.name_of_account(invitation.pending_user_id)
            assert holder is not None and owner.first_name in world.presented[holder], (
                f"{label}: {holder} holds {owner.first_name}'s link without having opened it")
            world.knows[holder].add(owner.first_name)  # the consent question greets them by name
    for name, participant in participants.items():
        if participant.telegram_user_id is None:
            continue
        if step.actor is not None and phones[step.actor].id == participant.telegram_user_id and sends_start(step):
            world.paused.discard(name)
        first = world.linked_once.setdefault(name, participant.telegram_user_id)
        assert first == participant.telegram_user_id, f"{label}: {name} moved to another Telegram account"
        holder = world.name_of_account(participant.telegram_user_id)
        assert holder is not None and name in world.presented[holder], (
            f"{label}: {holder}'s phone became {name} without opening {name}'s link")
        if name == COORDINATOR:
            world.knows[holder] |= set(PARTICIPANTS)
        else:
            world.knows[holder] |= {name, PARTNER[name], COORDINATOR}
    for name in world.linked_once:
        assert participants[name].telegram_user_id is not None, f"{label}: {name} was unlinked"

    # 3. Nobody hears about another binôme.
    partner_ids = {}
    for binome in binomes:
        partner_ids[binome.mentor_id], partner_ids[binome.mentee_id] = binome.mentee_id, binome.mentor_id
    for message in outbox:
        recipient = by_id[message.participant_id]
        about = message.params.get("participant_id")
        if message.kind == "partner_joined":
            assert partner_ids.get(recipient.id) == about, (
                f"{label}: {recipient.first_name} told that {by_id[about].first_name}, not their partner, joined")
        elif message.kind in ("participant_unreachable", "participant_back"):
            assert recipient.role == Role.COORDINATOR and by_id[about].programme_id == recipient.programme_id, (
                f"{label}: {message.kind} about {by_id[about].first_name} sent to {recipient.first_name}")
        binome_id = meeting_binome.get(message.params.get("meeting_id"), message.params.get("binome_id"))
        if message.kind == "alert":  # the coordinator's card of a binôme (storage.cards): their programme only
            binome = next(b for b in binomes if b.id == binome_id)
            assert recipient.role == Role.COORDINATOR and recipient.programme_id == binome.programme_id, (
                f"{label}: the card of binôme {binome.label} sent to {recipient.first_name}")
        elif binome_id is not None:  # meetings, absences, nudges: only the two people of that binôme
            binome = next(b for b in binomes if b.id == binome_id)
            assert recipient.id in (binome.mentor_id, binome.mentee_id), (
                f"{label}: {message.kind} about binôme {binome.label} sent to {recipient.first_name}")
    assert world.presented[STRANGER] == set() and world.knows[STRANGER] == set()
    for name, phone in phones.items():
        for text in texts_in(phone):
            for other in PARTICIPANTS:
                if other not in world.knows[name] and re.search(rf"\b{other}\b", text):
                    raise AssertionError(f"{label}: {name}'s phone was told about {other}: {text!r}\n"
                                         f"{name} may know {sorted(world.knows[name])}\n{phone.transcript}")

    # 4. The database is consistent.
    for name, p in participants.items():
        if p.status in (ParticipantStatus.ACTIVE, ParticipantStatus.PAUSED, ParticipantStatus.UNREACHABLE):
            assert p.telegram_user_id is not None and p.telegram_chat_id is not None and p.consent_at is not None, (
                f"{label}: {name} is {p.status} without an account or consent")
        if p.status == ParticipantStatus.DECLINED:
            assert p.telegram_user_id is None and p.telegram_chat_id is None and p.consent_refused_at is not None, (
                f"{label}: {name} declined but their account is kept")
        if p.status == ParticipantStatus.INVITED:
            assert p.telegram_user_id is None, f"{label}: {name} linked yet still invited"
        if p.telegram_user_id is not None:
            assert p.consent_at is not None, f"{label}: {name} linked without consent"
        if p.onboarded_at is not None:
            assert p.consent_at is not None, f"{label}: {name} onboarded without consent"
    for message in outbox:
        assert message.sent_at is None or message.dropped_at is None, f"{label}: {message.kind} sent and dropped"
    keys = Counter(m.idempotency_key for m in outbox)
    assert all(count == 1 for count in keys.values()), f"{label}: idempotency key used twice: {keys}"

    # 6. /stop holds until the person sends /start: "I will not send you anything until you send /start".
    for name, p in participants.items():
        if p.status == ParticipantStatus.PAUSED:
            world.paused.add(name)
        elif name in world.paused:
            assert p.status != ParticipantStatus.ACTIVE, (
                f"{label}: {name} said /stop and is active again without sending /start\n"
                + phones[world.name_of_account(p.telegram_user_id)].transcript)

    # 5. A re-delivered update changes nothing and sends nothing; an edited message changes nothing.
    if step.action == "redeliver":
        assert snapshot(world) == before, f"{label}: the re-delivered update changed the database"
        calls = [name for name, _, _ in world.server.requests[requests_before:] if name != "getUpdates"]
        assert not calls, f"{label}: the re-delivered update made the bot call {calls}"
    if step.action == "edit":
        after = snapshot(world)
        assert after == before, (
            f"{label}: an edited message changed the database:\n"
            + "\n".join(f"  {row}" for rows_before, rows_after in zip(before, after)
                        for row in rows_after if row not in rows_before)
            + "\n" + phones[step.actor].transcript)


# ----------------------------------------------------------------------------------------- scenario
async def scenario(steps: list[Step], languages: dict[str, str | None], friend_of: str,
                   report=note) -> dict[str, SimUser]:
    """Play the steps in a fresh world, checking the invariants after each; `report` narrates."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'binome.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        clock = ManualClock(START)
        with session_scope(engine) as s:
            programme = make_programme(s, clock.now())
            people = {}
            for label, (mentor, mentee) in BINOMES.items():
                people[mentor], people[mentee], _ = make_pair(s, programme, clock.now(), mentor=mentor,
                                                              mentee=mentee, label=label)
            people[COORDINATOR] = make_participant(s, programme, clock.now(), Role.COORDINATOR, COORDINATOR, "Martin")
            tokens = {name: invite(s, person, clock.now()) for name, person in people.items()}
        errors = ErrorRecords()
        root = logging.getLogger()
        root.addHandler(errors)
        try:
            async with LocalBotApi(token="123456:LOCAL-TEST-TOKEN", bot_username="binome_test_bot") as server:
                settings_ = load_settings(_env_file=None, TELEGRAM_BOT_TOKEN=server.token,
                                          TELEGRAM_API_URL=server.base_url, DATABASE_URL=url, TICK_SECONDS=3600)
                # Per-chat pacing is real time (Telegram's flood control), not what is tested here.
                services = Services(settings=settings_, engine=engine, clock=clock, pacer=ChatPacer(interval=0))
                async with running(build_application(services)) as application:
                    server.attach_application(application)
                    phones = {name: server.user(first_name=name, language_code=languages[name]) for name in ACTORS}
                    world = World(server, application, services, clock, engine, phones, tokens, friend_of,
                                  presented={name: set() for name in ACTORS}, knows={name: set() for name in ACTORS})
                    for index, step in enumerate(steps, 1):
                        before, requests_before = snapshot(world), len(server.requests)
                        errors_before, faults_before = len(errors.records), server.stats["faults"]
                        world.callbacks = []
                        happened = await play(world, step)
                        await settle(world)
                        fault_fired = server.stats["faults"] > faults_before
                        label = f"step {index} {step!r}"
                        report(f"{label}: {happened}" + (" [a fault fired]" if fault_fired else ""))
                        check(world, label, step, fault_fired=fault_fired, errors=errors.records[errors_before:],
                              before=before, requests_before=requests_before)
                    return phones
        finally:
            root.removeHandler(errors)
            engine.dispose()


# Shrinking replays the real bot hundreds of times (minutes); a failure is readable without it: the
# notes narrate each step up to the failing one, with the chat's transcript. HYPOTHESIS_SHRINK=1 shrinks.
PHASES = tuple(Phase) if os.environ.get("HYPOTHESIS_SHRINK") else (Phase.explicit, Phase.generate)
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "25"))  # PROPERTY_EXAMPLES=300: a longer run


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, print_blob=False, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    onboarded=st.lists(st.sampled_from(PARTICIPANTS), unique=True, max_size=5),
    planned=st.lists(st.tuples(st.sampled_from(sorted(BINOMES)), st.integers(0, 13), st.integers(0, 14)),
                     max_size=2, unique_by=lambda plan: plan[0]),
    steps=st.lists(step_strategy(), min_size=10, max_size=20),
    languages=st.fixed_dictionaries({name: st.sampled_from(["fr", "en", "fr-BE", "de", None]) for name in ACTORS}),
    friend_of=st.sampled_from(PARTICIPANTS),
)
def test_random_people_duplicates_and_faults_keep_the_invariants(onboarded, planned, steps, languages, friend_of):
    load_all()
    # Prologue: some people onboarded and some meetings planned as it should go, so that the random steps
    # also meet later states; every prologue step is checked like the others.
    for label, _, _ in planned:
        onboarded = onboarded + [name for name in BINOMES[label] if name not in onboarded]
    prologue = [step for name in onboarded for step in onboarding(name)]
    prologue += [step for label, day, hour in planned for step in planning(label, day, hour)]
    note(f"phones' languages: {languages}; {FRIEND} was given {friend_of}'s link")
    asyncio.run(scenario(prologue + steps, languages, friend_of))


# ----------------------------------------------------------------------------------------- regressions
# Sequences the random test found, replayed as they are, with the same checks after every step.

def replay(*steps: Step, friend_of: str = "Amina") -> dict[str, SimUser]:
    load_all()
    return asyncio.run(scenario(list(steps), {name: "fr" for name in ACTORS}, friend_of, report=print))


def test_a_double_tap_on_a_button_is_answered_once_and_raises_nothing():
    """Tapping twice before the bot answers: the second tap finds the message already edited."""
    replay(Step("Amina", "start own link"), Step("Amina", "double-tap", 0),  # consent
           Step("Amina", "double-tap", 0),  # language, finishing onboarding
           Step("Amina", "command", "/language"), Step("Amina", "double-tap", 1))  # language again


def test_forged_buttons_on_a_message_without_buttons_are_refused_politely():
    replay(*onboarding("Claire"), Step("Claire", "forge", "lang:zz"), Step("Claire", "forge", "consent:1:y"))


def test_an_edited_message_is_not_acted_on():
    """Editing an old message into a command: "I do not take changes … into account", and indeed nothing changes."""
    phones = replay(*onboarding("Amina"), Step("Amina", "text", "bonjour"), Step("Amina", "edit", (1, "/stop")))
    assert "Je ne lis pas les changements" in phones["Amina"].messages[-1].text


def test_a_redelivered_edit_is_answered_once():
    replay(*onboarding("Amina"), Step("Amina", "text", "bonjour"), Step("Amina", "edit", (1, "bonjour encore")),
           Step(None, "redeliver"))


def test_an_edit_is_not_acted_on_even_when_the_answer_to_it_fails():
    replay(*onboarding("Amina"), Step("Amina", "text", "bonjour"), Step(None, "fault", ("500", "sendMessage")),
           Step("Amina", "edit", (1, "/stop")))


def test_stop_holds_when_the_bot_is_blocked_then_unblocked():
    """/stop promises silence until /start; blocking then unblocking the bot is not /start."""
    phones = replay(*onboarding("Amina"), Step("Amina", "command", "/stop"), Step("Amina", "block"),
                    Step("Amina", "unblock"), *onboarding("Marc"), Step(None, "clock", 60))
    assert not any("a rejoint Binôme" in text for text in texts_in(phones["Amina"]))


def test_forged_buttons_with_huge_ids_or_missing_values_are_refused_politely():
    """25-digit ids (OverflowError inside session.get) and a verb without its value (`c:1:act`)."""
    huge = "9" * 25
    replay(*onboarding("Amina"), *onboarding("Claire"), Step("Amina", "forge", f"m:{huge}:ok"),
           Step("Amina", "forge", "c:1:act"), Step("Amina", "forge", f"p:{huge}:open"),
           Step("Amina", "forge", f"c:1:act:{huge}_d"), Step("Amina", "forge", f"consent:{huge}:y"),
           Step("Claire", "forge", f"a:{huge}:ack"), Step("Amina", "text", "\u200c\u2060"))
