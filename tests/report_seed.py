"""A programme with binômes in every state, and the hand-worked value of every indicator for the first half
of 2026 (1 January to 30 June, Europe/Brussels), written beside how it was counted. tests/test_report.py
checks the text, JSON, CSV and XLSX outputs against EXPECTED; tests/test_report_chat.py the chat.

Secrets are planted in every field a pair writes (action titles, what blocks an action, check-in words,
evaluation words, a pause reason is a code): no output may carry them."""
from __future__ import annotations

from datetime import date, datetime, timezone

from storage.models import (Absence, ActionStatus, Alert, AlertStatus, Binome, BinomeStatus, CheckIn,
                            CheckInStatus, Evaluation, Meeting, MeetingStatus, Participant, PlanAction, Role)
from tests.factories import make_participant, make_programme

SINCE, UNTIL = date(2026, 1, 1), date(2026, 6, 30)
SECRETS = ("SECRET-TITLE", "SECRET-BLOCK", "SECRET-WORD", "SECRET-EVAL")
FORMULA_NAME = '=HYPERLINK("http://evil.example","x")'
OTHER_SECRET = "Zorglub"  # a mentee of the other programme: never in this one's outputs


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


# (code, mentor, employer, mentee, gender, status, started, planned end, closed, outcome)
BINOMES = [
    ("B01", "Marc", "Proximus", "Amina", "f", "active", date(2025, 11, 1), date(2026, 5, 1), None, None),
    ("B02", "Marc", "Proximus", "Fatou", "f", "active", date(2026, 1, 15), date(2026, 7, 15), None, None),
    ("B03", "Luc", " proximus ", "Ines", "f", "paused", date(2026, 2, 1), date(2026, 8, 1), None, None),
    ("B04", "Anne", "Colruyt", FORMULA_NAME, "f", "closed", date(2026, 3, 1), date(2026, 9, 1), date(2026, 5, 15),
     "job_permanent"),
    ("B05", "+cmd|' /C calc'!A0", "STIB", "Sara", "f", "closed", date(2025, 12, 1), date(2026, 6, 1),
     date(2026, 6, 1), "job_temporary"),
    ("B06", "Paul", None, "Yanis", "m", "closed", date(2025, 10, 1), date(2026, 4, 1), date(2026, 4, 1), "training"),
    ("B07", "Eva", "", "Omar", "m", "closed", date(2026, 1, 10), date(2026, 7, 10), date(2026, 3, 10),
     "mentee_dropped_out"),
    ("B08", "Jan", "Colruyt", "Karim", "m", "closed", date(2025, 9, 1), date(2026, 3, 1), date(2026, 3, 1),
     "lost_contact"),
    ("B09", "Lea", "Solvay", "Bilal", "m", "closed", date(2026, 4, 1), date(2026, 10, 1), date(2026, 8, 15),
     "end_of_term"),
    ("B10", "Tom", "Solvay", "@Noor", None, "active", date(2026, 6, 30), date(2026, 12, 30), None, None),
    ("B11", "Rita", "Engie", "Lina", "f", "closed", date(2025, 1, 10), date(2025, 7, 10), date(2025, 7, 10),
     "job_permanent"),
    ("B12", "Hugo", "Engie", "Sam", "x", "active", date(2026, 7, 15), date(2027, 1, 15), None, None),
    ("B13", "Ivo", "Engie", "Alex", "x", "draft", date(2026, 2, 1), date(2026, 8, 1), None, None),
]

# Each expected value, and how it was counted (period: 2026-01-01 to 2026-06-30, drafts never count).
EXPECTED = {
    # started_on in the period: B02 (01-15), B03 (02-01), B04 (03-01), B07 (01-10), B09 (04-01), B10 (06-30, the
    # last day); B13 is a draft, B12 starts in July.
    "binomes_started": 6,
    # started by 06-30 and not closed by then: B01, B02, B03 (paused), B09 (closes in August), B10 (started 06-30).
    "binomes_active": 5,
    # closed_on in the period: B04 (05-15), B05 (06-01), B06 (04-01), B07 (03-10), B08 (03-01).
    "binomes_closed": 5,
    # the binômes under way on one day of the period: B01..B10; Marc mentors B01 and B02, so 9 mentors.
    "mentors": 9,
    "mentees": 10,
    # their mentors' employers: Proximus (B01, B02, and " proximus " of B03), Colruyt (B04, B08), STIB, Solvay
    # (B09, B10); B06 none, B07 empty; Engie only outside the period (B11, B12, draft B13) and the other programme.
    "companies": 4,
    # the 10 mentees: f = B01..B05 (5, shown), m = B06..B09 (4, masked), x none, not given B10 (1).
    "mentees_by_gender": {"f": 5, "m": "< 5", "x": "< 5", "unknown": "< 5"},
    # held and starting in the period: B01 on 01-01 00:30 Brussels (31 Dec 23:30 UTC), 01-05, 02-05; B02 02-10;
    # B04 03-20. Not: B01 on 2025-12-20, nor B01 on 07-01 00:30 Brussels (30 Jun 22:30 UTC), nor the other programme's.
    "meetings_held": 5,
    # B01 03-05 (mentee, no notice), B01 04-05 (mentor, excused), B02 03-10 (mentee, excused); B02's cancelled one
    # does not count.
    "meetings_missed": 3,
    "attendance_rate": 0.625,  # 5 held / (5 held + 3 missed)
    "absenteeism_rate": 0.125,  # 1 missed by the mentee without notice (B01 03-05) / 8
    "dropout_rate": 0.2,  # B07 (negative, 03-10 before its planned 07-10) / 5 closed; B08 closed on its planned end
    "positive_exit_rate": 0.6,  # B04, B05, B06 / 5
    "exits_by_outcome": {"job_permanent": "< 5", "job_temporary": "< 5", "training": "< 5",
                         "mentee_dropped_out": "< 5", "lost_contact": "< 5"},  # one each: all under the floor
    # months from start to closure: B07 59 d = 1.94, B04 75 d = 2.46, B08 181 d = 5.95, B05 and B06 182 d = 5.98;
    # the median is B08's 181 / 30.4375 = 5.947 → 5.9.
    "median_binome_months": 5.9,
    # due in the period, answered or missed: B01 mentee 01-07 ✓, 01-14 ✓, 01-21 ✗; B01 mentor 01-07 ✓; B02 mentee
    # 02-04 ✗ (02-11 skipped, 2025-12-24 before): 3 / 5.
    "checkin_response_rate": 0.6,
    # opened in the period: A1 (B01 02-01), A2 (B02 03-01), A3 (B03 04-01), A4 (B01 05-01), A6 (B01 06-10);
    # A5 (2025-12-15) is before.
    "alerts_raised": 5,
    "alerts_acknowledged": 3,  # A1 after 2 h, A2 after 24 h, A4 after 6 h
    "alerts_resolved": 2,  # A1, A4
    "median_hours_to_acknowledge": 6.0,  # median of 2, 24, 6
    # done evaluations of binômes closed in the period: 5 mentees + 4 mentors (the expired one, the open one and
    # the one of a 2025 closure do not count).
    "evaluation_answers": 9,
    # the 5 mentees' scores (the 4 mentors' are under the floor: every mentor question masked).
    "evaluation_means": {
        "mentee.usefulness": 4.2,  # 5 4 4 3 5
        "mentee.relationship": 4.0,  # 4 4 4 4 4
        "mentee.progress": 3.0,  # 3 3 3 3 3
        "mentee.confidence": 5.0,  # 5 5 5 5 5
        "mentee.support": 4.4,  # 4 5 4 5 4
        "mentee.recommend": 3.8,  # 5 4 2 5 3
        "mentor.relationship": "< 5", "mentor.progress": "< 5", "mentor.support": "< 5", "mentor.again": "< 5",
    },
    "would_recommend_rate": 0.6,  # 5, 4, 5 of 5 4 2 5 3 are 4 or more: 3 / 5
}
MENTEE_SCORES = [
    {"usefulness": 5, "relationship": 4, "progress": 3, "confidence": 5, "support": 4, "recommend": 5},
    {"usefulness": 4, "relationship": 4, "progress": 3, "confidence": 5, "support": 5, "recommend": 4},
    {"usefulness": 4, "relationship": 4, "progress": 3, "confidence": 5, "support": 4, "recommend": 2},
    {"usefulness": 3, "relationship": 4, "progress": 3, "confidence": 5, "support": 5, "recommend": 5},
    {"usefulness": 5, "relationship": 4, "progress": 3, "confidence": 5, "support": 4, "recommend": 3},
]


def seed_programme(s, now: datetime) -> dict[str, int]:
    """The programme above (with coordinator Claire), and another programme with its own binôme."""
    programme = make_programme(s, now)
    other = make_programme(s, now, name="Autre programme")
    claire = make_participant(s, programme, now, Role.COORDINATOR, "Claire", "Martin")
    ids = {"programme": programme.id, "other": other.id, "claire": claire.id}
    mentors: dict[str, Participant] = {}
    for code, mentor, employer, mentee, gender, status, started, planned, closed, outcome in BINOMES:
        if mentor not in mentors:
            mentors[mentor] = make_participant(s, programme, now, Role.MENTOR, mentor, "M")
            mentors[mentor].employer = employer
        mentee_p = make_participant(s, programme, now, Role.MENTEE, mentee, code)
        mentee_p.gender = gender
        binome = Binome(programme_id=programme.id, label=code, mentor_id=mentors[mentor].id, mentee_id=mentee_p.id,
                        status=BinomeStatus(status), started_on=started, planned_end_on=planned, closed_on=closed,
                        outcome=outcome, created_at=now)
        s.add(binome)
        s.flush()
        ids[code] = binome.id
        ids[f"{code}.mentor"], ids[f"{code}.mentee"] = mentors[mentor].id, mentee_p.id
    o_mentor = make_participant(s, other, now, Role.MENTOR, "Otto", "O")
    o_mentor.employer = "Engie"
    o_mentee = make_participant(s, other, now, Role.MENTEE, OTHER_SECRET, "O")
    o_mentee.gender = "f"
    o_binome = Binome(programme_id=other.id, label="Z99", mentor_id=o_mentor.id, mentee_id=o_mentee.id,
                      started_on=date(2026, 1, 5), planned_end_on=date(2026, 7, 5), created_at=now)
    s.add(o_binome)
    s.flush()
    ids["Z99"] = o_binome.id
    _meetings(s, ids, o_binome.id, now)
    _plans_and_checkins(s, ids, o_binome.id, now)
    _alerts(s, ids, programme.id, other.id, now)
    _evaluations(s, programme.id, other.id)
    return ids


def _meeting(s, binome_id: int, proposer: int, starts: datetime, status: MeetingStatus, now: datetime) -> Meeting:
    meeting = Meeting(binome_id=binome_id, starts_at=starts, status=status, proposed_by=proposer, created_at=now,
                      place_detail="SECRET-WORD place")
    s.add(meeting)
    s.flush()
    return meeting


def _meetings(s, ids, other_binome: int, now) -> None:
    b01, b02, b04 = ids["B01"], ids["B02"], ids["B04"]
    m = ids["B01.mentor"]
    for starts in (utc(2025, 12, 20, 16), utc(2025, 12, 31, 23, 30), utc(2026, 1, 5, 16), utc(2026, 2, 5, 16),
                   utc(2026, 6, 30, 22, 30)):
        _meeting(s, b01, m, starts, MeetingStatus.HELD, now)
    absent = _meeting(s, b01, m, utc(2026, 3, 5, 16), MeetingStatus.MENTEE_ABSENT, now)
    s.add(Absence(meeting_id=absent.id, participant_id=ids["B01.mentee"], announced_at=utc(2026, 3, 5, 18),
                  announced_by=m, excused=False))
    away = _meeting(s, b01, m, utc(2026, 4, 5, 16), MeetingStatus.MENTOR_ABSENT, now)
    s.add(Absence(meeting_id=away.id, participant_id=m, announced_at=utc(2026, 4, 4, 9), announced_by=m, excused=True))
    _meeting(s, b02, m, utc(2026, 2, 10, 16), MeetingStatus.HELD, now)
    excused = _meeting(s, b02, m, utc(2026, 3, 10, 16), MeetingStatus.MENTEE_ABSENT, now)
    s.add(Absence(meeting_id=excused.id, participant_id=ids["B02.mentee"], announced_at=utc(2026, 3, 9, 9),
                  announced_by=ids["B02.mentee"], excused=True))
    _meeting(s, b02, m, utc(2026, 4, 10, 16), MeetingStatus.CANCELLED, now)
    _meeting(s, b02, m, utc(2026, 9, 20, 15), MeetingStatus.CONFIRMED, now)  # B02's next meeting
    _meeting(s, b04, ids["B04.mentor"], utc(2026, 3, 20, 16), MeetingStatus.HELD, now)
    _meeting(s, other_binome, ids["B01.mentor"], utc(2026, 2, 1, 16), MeetingStatus.HELD, now)


def _plans_and_checkins(s, ids, other_binome: int, now) -> None:
    for status in (ActionStatus.DONE, ActionStatus.DONE, ActionStatus.TO_DO, ActionStatus.BLOCKED,
                   ActionStatus.DROPPED):
        s.add(PlanAction(binome_id=ids["B01"], title="SECRET-TITLE", status=status, blocked_note="SECRET-BLOCK",
                         created_by=ids["B01.mentee"], created_at=now, changed_at=now, status_changed_at=now))
    rows = [("B01", "mentee", utc(2025, 12, 24, 17), CheckInStatus.ANSWERED),
            ("B01", "mentee", utc(2026, 1, 7, 17), CheckInStatus.ANSWERED),
            ("B01", "mentee", utc(2026, 1, 14, 17), CheckInStatus.ANSWERED),
            ("B01", "mentee", utc(2026, 1, 21, 17), CheckInStatus.MISSED),
            ("B01", "mentor", utc(2026, 1, 7, 17), CheckInStatus.ANSWERED),
            ("B02", "mentee", utc(2026, 2, 4, 17), CheckInStatus.MISSED),
            ("B02", "mentee", utc(2026, 2, 11, 17), CheckInStatus.SKIPPED)]
    for number, (code, role, due, status) in enumerate(rows):
        s.add(CheckIn(binome_id=ids[code], participant_id=ids[f"{code}.{role}"], role=Role(role),
                      period=f"p{number}", due_at=due, status=status, word="SECRET-WORD",
                      share_with_coordinator=False, created_at=now))
    s.add(CheckIn(binome_id=other_binome, participant_id=ids["B01.mentee"], role=Role.MENTEE, period="o1",
                  due_at=utc(2026, 1, 7, 17), status=CheckInStatus.ANSWERED, created_at=now))


def _alerts(s, ids, programme_id: int, other_id: int, now) -> None:
    def alert(code, opened, status, severity="medium", acked=None, resolved=None, programme=programme_id):
        s.add(Alert(programme_id=programme, binome_id=ids[code], signal="no_meeting", severity=severity,
                    status=status, opened_at=opened, acknowledged_at=acked, resolved_at=resolved,
                    facts={"days": 30, "last_meeting": "2026-01-01", "expected_every_days": 15}))  # as the rule writes
    alert("B01", utc(2026, 2, 1, 10), AlertStatus.RESOLVED, acked=utc(2026, 2, 1, 12), resolved=utc(2026, 2, 2, 9))
    alert("B02", utc(2026, 3, 1, 8), AlertStatus.ACKNOWLEDGED, acked=utc(2026, 3, 2, 8))
    alert("B03", utc(2026, 4, 1, 8), AlertStatus.CLEARED)
    alert("B01", utc(2026, 5, 1, 9), AlertStatus.RESOLVED, acked=utc(2026, 5, 1, 15), resolved=utc(2026, 5, 3, 9))
    alert("B01", utc(2025, 12, 15, 9), AlertStatus.ACKNOWLEDGED, severity="low", acked=utc(2025, 12, 15, 10))
    alert("B01", utc(2026, 6, 10, 9), AlertStatus.OPEN, severity="high")
    alert("Z99", utc(2026, 2, 1, 9), AlertStatus.OPEN, programme=other_id)


def _evaluations(s, programme_id: int, other_id: int) -> None:
    def evaluation(role, closed_on, status, scores, programme=programme_id):
        s.add(Evaluation(programme_id=programme, role=role, closed_on=closed_on, status=status,
                         sent_at=utc(2026, 7, 1), scores=scores, word="SECRET-EVAL", word_shared=False))
    for scores in MENTEE_SCORES:
        evaluation(Role.MENTEE, date(2026, 4, 1), "done", scores)
    for _ in range(4):
        evaluation(Role.MENTOR, date(2026, 5, 15), "done", {"relationship": 5, "progress": 5, "support": 5,
                                                           "again": 5})
    evaluation(Role.MENTEE, date(2026, 3, 10), "expired", {})
    evaluation(Role.MENTEE, date(2026, 6, 1), "open", {"usefulness": 1})
    evaluation(Role.MENTEE, date(2025, 7, 10), "done", MENTEE_SCORES[0])
    for scores in MENTEE_SCORES:
        evaluation(Role.MENTEE, date(2026, 4, 1), "done", {k: 1 for k in scores}, programme=other_id)
