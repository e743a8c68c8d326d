"""What the command-line actions start with (bot.cli and its cli_* modules): the database, checked to be at
the code's revision, and the programme or binôme a command names, each saying on stderr why when it is not
found."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session, select

from bot.i18n import Translator
from bot.settings import Settings
from storage import db
from storage.models import Binome, Programme
from storage.programmes import ProgrammeError, find_programme


@contextmanager
def database(settings: Settings) -> Iterator[Session]:
    """One session on the configured database, committed at the end; refuses a database behind the code."""
    engine = db.make_engine(settings.effective_database_url)
    db.ensure_up_to_date(engine)
    with db.session_scope(engine) as session:
        yield session


def programme_named(session: Session, name: str | None) -> Programme | None:
    """The programme asked for (or the only one); None after saying why on stderr."""
    try:
        return find_programme(session=session, name=name)
    except ProgrammeError as exc:
        print(str(exc), file=sys.stderr)
        return None


def binome_in(session: Session, programme: Programme, pair: str, tr: Translator) -> Binome | None:
    """The binôme with this code in the programme; None after saying so on stderr."""
    label = pair.strip()
    binome = session.exec(select(Binome).where(Binome.programme_id == programme.id, Binome.label == label)).first()
    if binome is None:
        print(tr("No binôme {label} in «{name}».").format(label=label, name=programme.name), file=sys.stderr)
    return binome


def binome_named(session: Session, programme_name: str | None, pair: str, tr: Translator) -> Binome | None:
    """The binôme PAIR of the programme named (or of the only one); None after saying why on stderr."""
    programme = programme_named(session, programme_name)
    return binome_in(session, programme, pair, tr) if programme is not None else None
