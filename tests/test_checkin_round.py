"""The sender reads what a round of check-in messages shows set-wise (storage/checkin_round.py): each
answer must be the one the row-by-row queries give (storage.checkins.newer_sent,
storage.checkin_progress.progress_since), on a seeded history with plans, shared answers and newer check-ins."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select

from bench.seed import seed
from storage import checkin_round
from storage.checkin_progress import ROUND_FACTS, progress_since
from storage.checkins import newer_sent
from storage.db import make_engine
from storage.models import Binome, CheckIn


def test_a_round_reads_what_each_check_in_would_read(database_url):
    now = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    seed(database_url, 12, now=now - timedelta(days=20))
    engine = make_engine(database_url)
    with Session(engine) as session:
        checkins = list(session.exec(select(CheckIn).order_by(CheckIn.id)))
        late = checkins[0]  # a mentee who shared, finished after the mentor's first check-in
        late.completed_at, late.share_with_mentor = checkins[3].sent_at + timedelta(hours=2), True
        session.flush()
        for checkin in checkins:
            checkin.step = checkin_round.PROGRESS_STEP  # every one reads its progress
        binomes = list(session.exec(select(Binome)))  # loaded with the round, as the sender's session does
        alone = {c.id: (newer_sent(session=session, checkin=c), progress_since(session=session, checkin=c))
                 for c in checkins}
        checkin_round.read_round(session, checkins)
        assert set(session.info[ROUND_FACTS]) == {c.id for c in checkins}
        together = {c.id: (newer_sent(session=session, checkin=c), progress_since(session=session, checkin=c))
                    for c in checkins}
        assert together == alone
        assert binomes
    # the history is not trivial: some are late, some show done and moving actions, one a shared answer
    assert any(is_newer for is_newer, _ in alone.values()) and not all(is_newer for is_newer, _ in alone.values())
    assert any(p.done_titles for _, p in alone.values()) and any(p.in_progress for _, p in alone.values())
    assert any(p.shared is not None for _, p in alone.values())
    engine.dispose()
