"""Migrations create the schema; a database that is behind is refused with the fix; PostgreSQL works."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, select

from storage.db import DatabaseBehind, ensure_up_to_date, head_revision, make_engine, normalise_url, session_scope, upgrade
from storage.models import Participant, Programme, Role
from tests.conftest import require_postgres_url
from tests.factories import make_pair, make_programme


def test_usual_urls_work_as_written():
    assert normalise_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("sqlite:///data/x.sqlite3") == "sqlite:///data/x.sqlite3"


def test_sqlite_runs_in_wal_mode(engine):
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_an_empty_database_is_refused_with_the_fix(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/empty.sqlite3")
    with pytest.raises(DatabaseBehind, match="binome db upgrade"):
        ensure_up_to_date(engine)
    upgrade(engine)
    ensure_up_to_date(engine)


def test_starting_on_a_database_that_is_behind_says_so(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/old.sqlite3", "TELEGRAM_BOT_TOKEN": "1:X"}
    result = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"binome : la base de données est vide ; cette version a besoin du schéma {head_revision()}. "
        "Lancez `binome db upgrade` pour le créer."]
    assert "Traceback" not in result.stderr
    upgraded = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    assert upgraded.returncode == 0 and "à jour" in upgraded.stdout


def _roundtrip(url: str, clock) -> None:
    engine = make_engine(url)
    upgrade(engine)
    try:
        with engine.connect() as connection:  # the migrations build exactly what the models describe
            assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
        with session_scope(engine) as s:
            programme = make_programme(s, clock.now(), name="Lycée Jean Moulin")
            make_pair(s, programme, clock.now())
        with session_scope(engine) as s:
            people = s.exec(select(Participant).order_by(Participant.id)).all()
            assert [p.role for p in people] == [Role.MENTOR, Role.MENTEE]
            assert s.exec(select(Programme)).one().created_at == clock.now()  # aware UTC back
    finally:
        SQLModel.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        engine.dispose()


def test_sqlite_roundtrip(tmp_path, clock):
    _roundtrip(f"sqlite:///{tmp_path}/rt.sqlite3", clock)


def test_postgresql_through_database_url(clock):
    _roundtrip(require_postgres_url(), clock)


async def test_a_failed_write_apologises_keeps_typed_text_out_of_the_logs_and_loses_nothing(
        harness, session, clock, engine, caplog):
    """A write that fails (here a trigger refuses it, as a locked or broken database would) carries the
    statement's parameters in SQLAlchemy's exception: the log must show its type, never the typed text."""
    import logging

    from bot.logs import configure_logging
    from storage.models import PlanAction
    from tests.test_plan import open_plan, seed as plan_seed, tap

    ids, marc, amina = plan_seed(harness, session, clock)
    configure_logging("DEBUG")  # as an operator chasing a problem would run it
    caplog.set_level(logging.DEBUG)
    view = await open_plan(amina)
    await tap(amina, view, "Add")
    title = "Call Mme Zorgbibe at 0612345678"
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TRIGGER refuse_plan_action BEFORE INSERT ON plan_action "
                                   "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END")
    await amina.send(title)
    apology = await amina.wait_for_message()
    assert apology.text in ("Sorry, I had a problem. Please try again in a moment.",
                            "Désolé, j'ai eu un problème. Réessayez dans un instant.")  # item 5
    assert "error while handling update" in caplog.text and "IntegrityError" in caplog.text
    for personal in ("Zorgbibe", "0612345678", title):
        assert personal not in caplog.text
    with session() as s:
        assert s.exec(select(PlanAction)).all() == []  # nothing half-written

    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER refuse_plan_action")
    await amina.send(title)  # the question still stands: the failed write lost nothing
    question = await amina.wait_for_message()
    assert question.text == f"“{title}”: which kind of action is it?"
    with session() as s:
        assert [a.title for a in s.exec(select(PlanAction))] == [title]  # written once, whole
