"""Engines, sessions and the migration check.

`sqlite:///path` and `postgresql://user:pass@host/db` work as written: the driver is our business.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import BigInteger, create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from storage import dirty  # noqa: F401  (its listener marks the binômes whose facts a flush changes)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseBehind(Exception):
    """The database schema is not the one the code needs."""

    def __init__(self, current: str | None, head: str) -> None:
        self.current, self.head = current, head
        state = "is empty" if current is None else f"is at revision {current}"
        super().__init__(f"the database {state}, the code needs revision {head}: run `binome db upgrade`")


def normalise_url(url: str) -> str:
    """Pick the driver: psycopg 3 for PostgreSQL, the standard library for SQLite."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """`hide_parameters`: a failed statement's exception (and so any log of it) shows the SQL, never the
    values bound to it, which are names and typed texts."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, hide_parameters=True,
                               connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers go on while the sender writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class BoundedSession(Session):
    """`get` by an id its column cannot hold (a forged button's 25 digits) finds nothing, instead of
    raising OverflowError (SQLite) or a numeric-range error (PostgreSQL, whose INTEGER is 32 bits)."""

    def get(self, entity, ident, **kwargs):
        if isinstance(ident, int) and not isinstance(ident, bool):
            column = inspect(entity).primary_key[0]
            wide = isinstance(column.type, BigInteger) or self.get_bind().dialect.name == "sqlite"
            bits = 64 if wide else 32
            if not -2 ** (bits - 1) <= ident < 2 ** (bits - 1):
                return None
        return super().get(entity, ident, **kwargs)


@contextmanager
def committed(session: Session) -> Iterator[Session]:
    """A block of work on this session: committed when it ends, rolled back on an error."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    with BoundedSession(engine, expire_on_commit=False) as session, committed(session):
        yield session


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_up_to_date(engine: Engine) -> None:
    """Refuse to run on a database the code does not match, and say how to fix it."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise DatabaseBehind(current, head)
