"""`binome invite`: a fresh link for every participant not yet linked to Telegram.

Tokens are stored hashed, so a link can only be shown when it is made. Earlier links stay valid
until they expire or one of them is used: re-running the command never breaks a link already sent.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, case, col, select

from storage.invitations import issue_invitation
from storage.models import Participant, Programme, Role
from storage.spreadsheet import safe_cell


@dataclass
class InviteLine:
    name: str  # made safe to paste into a spreadsheet (storage/spreadsheet.py)
    role: Role
    link: str
    gender: str | None = None  # "f": the role is named in the feminine (bot.vocabulary)


def invitation_lines(*, session: Session, programme: Programme, bot_username: str, now: datetime,
                     valid_days: int) -> list[InviteLine]:
    order = case((Participant.role == Role.COORDINATOR, 0), (Participant.role == Role.MENTOR, 1), else_=2)
    participants = session.exec(
        select(Participant)
        .where(Participant.programme_id == programme.id, col(Participant.telegram_user_id).is_(None))
        .order_by(order, Participant.last_name, Participant.first_name, Participant.id)
    ).all()
    lines = []
    for participant in participants:
        token = issue_invitation(session=session, participant=participant, now=now, valid_days=valid_days)
        lines.append(InviteLine(safe_cell(participant.display_name), Role(participant.role),
                                f"https://t.me/{bot_username}?start={token}", participant.gender))
    return lines
