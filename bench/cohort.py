"""The cohort simulation of issue 18: the warning signs measured on pairs that live through weeks.

40 binômes over 12 weeks (by default), 20 healthy with everyday slips (15% of check-ins left
unanswered, now and then a mood of 3, now and then a meeting the mentor forgets to confirm) and 20
turning at risk on a known day: a mentee who drifts away (check-ins unanswered, then meetings
missed), a falling mood, a mentee who stops coming, a help request, a mentor who disengages, a
blocked bot. Every person acts through the real bot's buttons over the local Bot API (check-ins,
meeting outcomes, "I need help", the coordinator's "I'm on it"), the clock is moved tick by tick, and
the figures (bench/cohort_figures.py) are read from what was really sent.

    .venv/bin/python -m bench --only cohort                  # 40 binômes, 12 weeks
    .venv/bin/python -m bench.cohort --pairs 14 --weeks 6    # a smaller cohort, printed alone

Meetings are a rhythm set once (every 2 weeks on a weekday at 17:00, as `/meeting` sets it), written
at the start; everything after that is the bot's own work and the people's presses.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import conversations  # noqa: F401  (registers the renderers, as the application does)
from bench.cohort_figures import figures, print_table
from bench.proc import TOKEN
from bot.app import build_application, running
from bot.clock import ManualClock
from bot.i18n import load_all
from bot.pacing import ChatPacer
from bot.scheduler import tick
from bot.services import Services
from bot.settings import load_settings
from localapi import LocalBotApi
from storage import meeting_messages
from storage.db import make_engine, session_scope, upgrade
from storage.models import (Binome, Meeting, MeetingSeries, MeetingStatus, Participant, ParticipantStatus, PlaceKind,
                            PlanAction, Programme, Role)
from storage.programmes import add_months, create_programme
from storage.schedule import local_instant

START = datetime(2026, 9, 7, 6, 0, tzinfo=timezone.utc)  # a Monday, 08:00 in Brussels
KINDS = ("drift", "mood", "absent", "help", "mentor", "blocked")  # turning at risk
SLIP_SKIP, SLIP_MOOD3, SLIP_FORGET = 0.15, 0.10, 0.08


class _Unpaced(ChatPacer):
    async def wait(self, chat_id: int) -> None:  # the local Bot API enforces no limit here
        return None


@dataclass
class Pair:
    index: int
    kind: str  # "healthy" or one of KINDS
    trouble_at: datetime | None
    binome_id: int = 0
    mentor_id: int = 0
    mentee_id: int = 0
    mentor: object = None  # the simulated phones
    mentee: object = None
    moods_after: int = 0  # answered check-ins since the trouble began (the falling mood)
    helped: bool = False
    seen: dict = field(default_factory=lambda: {"mentor": 0, "mentee": 0})

    def troubled(self, now: datetime) -> bool:
        return self.trouble_at is not None and now >= self.trouble_at


def personas(pairs: int, weeks: int, rng: random.Random) -> list[Pair]:
    """Half healthy, half at risk (the kinds in turn), the trouble starting between day 14 and 2/3 of the run."""
    at_risk = pairs // 2
    last = max(15, weeks * 7 * 2 // 3)
    cohort = [Pair(i, "healthy", None) for i in range(pairs - at_risk)]
    for n in range(at_risk):
        day = 14 + (n * 7919) % (last - 14)
        cohort.append(Pair(len(cohort), KINDS[n % len(KINDS)], START + timedelta(days=day, hours=rng.randrange(24))))
    return cohort


def seed(url: str, cohort: list[Pair], server: LocalBotApi, options: dict | None) -> tuple[int, object]:
    """The programme (English, Brussels), one coordinator, each pair with six actions and a rhythm of
    meetings every 2 weeks on a weekday at 17:00, the first in the first two weeks."""
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        programme = create_programme(session=s, name="Cohort", now=START, timezone="Europe/Brussels", language="en")
        programme.options = dict(options or {})
        s.add(programme)
        coordinator = _person(s, programme, Role.COORDINATOR, "Claire", 0)
        claire = _phone(server, coordinator)
        for pair in cohort:
            mentor = _person(s, programme, Role.MENTOR, f"Marc{pair.index}", pair.index)
            mentee = _person(s, programme, Role.MENTEE, f"Amina{pair.index}", pair.index)
            binome = Binome(programme_id=programme.id, label=f"B{pair.index + 1:02d}", mentor_id=mentor.id,
                            mentee_id=mentee.id, started_on=START.date(),
                            planned_end_on=add_months(START.date(), programme.duration_months), created_at=START)
            s.add(binome)
            s.flush()
            for n in range(6):  # one due every two weeks: each check-in asks about the ones due soon
                s.add(PlanAction(binome_id=binome.id, title=f"Step {n + 1}", due_on=START.date() + timedelta(days=14 * n + 10),
                                 created_by=mentee.id, created_at=START, changed_at=START, status_changed_at=START))
            first = START.date() + timedelta(days=pair.index % 10)  # a weekday of the first two weeks
            while first.weekday() > 4:
                first += timedelta(days=1)
            series = MeetingSeries(binome_id=binome.id, weekday=first.weekday(), local_time="17:00", every_weeks=2,
                                   anchor=first, place_kind=PlaceKind.WORKPLACE, created_by=mentor.id, created_at=START)
            s.add(series)
            s.flush()
            meeting = Meeting(binome_id=binome.id, starts_at=local_instant(first, time(17, 0), programme.timezone),
                              duration_minutes=60, place_kind=PlaceKind.WORKPLACE, status=MeetingStatus.CONFIRMED,
                              proposed_by=mentor.id, proposed_at=START, confirmed_at=START, series_id=series.id,
                              created_at=START)
            s.add(meeting)
            s.flush()  # as accepting it does: the mentor is asked how it went, half an hour after its end
            meeting_messages.queue_outcome_question(session=s, meeting=meeting, mentor=mentor, now=START)
            pair.binome_id, pair.mentor_id, pair.mentee_id = binome.id, mentor.id, mentee.id
            pair.mentor, pair.mentee = _phone(server, mentor), _phone(server, mentee)
    return engine, claire


def _person(s, programme: Programme, role: Role, name: str, index: int) -> Participant:
    person = Participant(programme_id=programme.id, role=role, first_name=name, last_name="Cohort", language="en",
                         import_key=f"cohort|{role}|{index}", created_at=START, status=ParticipantStatus.ACTIVE,
                         consent_at=START, linked_at=START, onboarded_at=START)
    s.add(person)
    s.flush()
    return person


def _phone(server: LocalBotApi, person: Participant):
    user = server.user(first_name=person.first_name, language_code="en")
    person.telegram_user_id = person.telegram_chat_id = user.id
    user.open_chat()
    return user


# ---------------------------------------------------------------- what each person does with what they receive

def _data(message) -> list[str]:
    return [data for row in message.buttons for _, data in row if data]


async def _press(user, message, data: str) -> None:
    try:
        await user.callback_answer(await user.press_data(message, data), timeout=10)
    except TimeoutError:
        pass
    await user.server.settle()


async def _checkin(user, message, *, mood: int | None, fine: bool, rng: random.Random) -> None:
    """Answer a check-in to the end, a press at a time, as its buttons come (the message is edited in place)."""
    for _ in range(12):
        data = _data(message)
        verbs = {d.split(":")[2]: d for d in data if d.startswith("c:") and len(d.split(":")) >= 3}
        moods = [d for d in data if ":mood:" in d]
        if moods and mood is not None:
            await _press(user, message, next(d for d in moods if d.endswith(f":{mood}")))
        elif "fine" in verbs:
            await _press(user, message, next(d for d in data if d.endswith(":fine:1" if fine else ":fine:0")))
        elif "act" in verbs:
            acts = [d for d in data if ":act:" in d]
            choice = "_d" if rng.random() < 0.5 else "_p"
            await _press(user, message, next(d for d in acts if d.endswith(choice)))
        elif "skip" in verbs:
            await _press(user, message, verbs["skip"])
        elif "done" in verbs:
            await _press(user, message, verbs["done"])
        else:
            return


async def act(pair: Pair, now: datetime, rng: random.Random, slips: bool = True) -> None:
    """The pair reads what came since the last tick and does what its persona does (`slips`: the everyday
    ones too: a check-in left unanswered, a mood of 3, a meeting the mentor forgets to confirm)."""
    skip, low, forget = (SLIP_SKIP, SLIP_MOOD3, SLIP_FORGET) if slips else (0.0, 0.0, 0.0)
    troubled = pair.troubled(now)
    for role, user in (("mentee", pair.mentee), ("mentor", pair.mentor)):
        fresh = user.messages[pair.seen[role]:]
        pair.seen[role] = len(user.messages)
        for message in fresh:
            data = _data(message)
            if role == "mentee" and any(":mood:" in d for d in data):
                if pair.kind == "blocked" and troubled:
                    continue
                if troubled and pair.kind == "drift":
                    continue  # drifting away: no answer any more
                if rng.random() < skip:
                    continue
                mood = rng.choice((4, 4, 5)) if rng.random() >= low else 3
                if troubled and pair.kind == "mood":
                    mood = (3, 2, 2, 1, 1, 1)[min(pair.moods_after, 5)]
                    pair.moods_after += 1
                await _checkin(user, message, mood=mood, fine=True, rng=rng)
            elif role == "mentor" and any(d.endswith(":fine:1") for d in data):
                if (troubled and pair.kind == "mentor") or rng.random() < skip:
                    continue
                await _checkin(user, message, mood=None, fine=True, rng=rng)
            elif role == "mentor" and any(":o:held" in d for d in data):
                if troubled and pair.kind == "mentor":
                    continue  # disengaged: the meetings are no longer confirmed
                if rng.random() < forget:
                    continue
                away = troubled and pair.kind == "absent" or (pair.kind == "drift" and now >= pair.trouble_at
                                                                + timedelta(days=7) if pair.trouble_at else False)
                outcome = next(d for d in data if d.endswith(":o:noshow" if away else ":o:held"))
                await _press(user, message, outcome)
    if pair.kind == "help" and troubled and not pair.helped:
        pair.helped = True
        pair.mentee.skip_to_end()
        await pair.mentee.send("/help")
        await pair.mentee.server.settle()
        menu = pair.mentee.messages[-1]
        if "sup:help" in _data(menu):
            await _press(pair.mentee, menu, "sup:help")
        pair.seen["mentee"] = len(pair.mentee.messages)
    if pair.kind == "blocked" and troubled and not pair.mentee.blocked:
        await pair.mentee.block_bot()
        await pair.mentee.server.settle()


async def coordinator_acts(claire, seen: int) -> int:
    """Claire takes in hand every card that asks for it ("I'm on it"), at the next tick after it came,
    and then an edited card (one card per binôme) once it asks again."""
    for message in claire.messages:
        acks = [d for d in _data(message) if d.startswith("a:") and d.endswith((":ack", ":ackall"))]
        if acks:
            await _press(claire, message, acks[0])
    return len(claire.messages)


# ---------------------------------------------------------------- the run

async def run(pairs: int = 40, weeks: int = 12, *, tick_hours: float = 1.0, seed_value: int = 18,
              options: dict | None = None, coordinator_acts_on_alerts: bool = True, slips: bool = True) -> dict:
    rng = random.Random(seed_value)
    cohort = personas(pairs, weeks, rng)
    load_all()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'cohort.sqlite3'}"
        async with LocalBotApi(token=TOKEN, bot_username="binome_cohort_bot") as server:
            engine, claire = seed(url, cohort, server, options)
            clock = ManualClock(START)
            settings = load_settings(_env_file=None, TELEGRAM_BOT_TOKEN=server.token,
                                     TELEGRAM_API_URL=server.base_url, DATABASE_URL=url, TICK_SECONDS=3600)
            services = Services(settings=settings, engine=engine, clock=clock, pacer=_Unpaced())
            ticks, seen = 0, 0
            async with running(build_application(services)) as application:
                server.attach_application(application)
                end = START + timedelta(weeks=weeks)
                while clock.now() < end:
                    await tick(application)
                    await server.settle()
                    ticks += 1
                    for pair in cohort:
                        await act(pair, clock.now(), rng, slips)
                    if coordinator_acts_on_alerts:
                        seen = await coordinator_acts(claire, seen)
                    clock.advance(timedelta(hours=tick_hours))
                server.attach_application(None)
            with session_scope(engine) as s:
                result = figures(s, cohort, start=START, end=clock.now(), coordinator_chat=claire)
            engine.dispose()
    result["arguments"] = {"pairs": pairs, "weeks": weeks, "tick_hours": tick_hours, "seed": seed_value,
                           "ticks": ticks, "options": options or {}, "coordinator_acts": coordinator_acts_on_alerts,
                           "slips": slips}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cohort", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--tick-hours", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--passive", action="store_true", help="the coordinator never presses anything")
    parser.add_argument("--options", type=json.loads, default=None,
                        help='programme options to try, JSON: \'{"absences_in_row": 1}\'')
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.pairs, args.weeks, tick_hours=args.tick_hours, seed_value=args.seed,
                             options=args.options, coordinator_acts_on_alerts=not args.passive))
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
