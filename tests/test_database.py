"""Migrations create the schema; a database that is behind is refused with the fix; PostgreSQL works."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlmodel import SQLModel, select

from storage.db import DatabaseBehind, ensure_up_to_date, head_revision, make_engine, normalise_url, session_scope, upgrade
from storage.models import Participant, Programme, Role
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
    url = os.environ.get("BINOME_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must provide BINOME_TEST_POSTGRES_URL (see .ci/run)")
        pytest.skip("no PostgreSQL here: set BINOME_TEST_POSTGRES_URL=postgresql://… to run this test")
    _roundtrip(url, clock)
