"""The typed context every handler receives (python-telegram-bot's ContextTypes)."""
from __future__ import annotations

from sqlmodel import Session
from telegram import User
from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import Translator, offered_languages, pick_language, translator
from bot.services import Services
from bot.settings import Settings
from storage.models import Participant
from storage.participants import person_by_telegram


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """Adds the services, and the person behind the update as loaded by the gatekeeper."""

    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None):
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.participant: Participant | None = None
        self._translator: Translator | None = None

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]

    @property
    def tr(self) -> Translator:
        if self._translator is None:
            self._translator = translator(self.services.settings.default_language,
                                          self.services.settings.default_timezone)
        return self._translator

    @tr.setter
    def tr(self, value: Translator) -> None:
        self._translator = value

    def _(self, message: str) -> str:
        return self.tr.gettext(message)


_UNREAD = object()


def find_person(session: Session, settings: Settings, user: User | None, found=_UNREAD
                ) -> tuple[Participant | None, Translator]:
    """The participant behind a Telegram account and the translator to speak to them: their language and
    timezone (else their programme's); for someone unknown, their phone's language if we have it.
    `found`: (participant, programme) or None, when the caller has read them already."""
    if found is _UNREAD:
        found = person_by_telegram(session=session, telegram_user_id=user.id) if user else None
    if found is not None:
        participant, programme = found
        # No language chosen yet (imported without one, not onboarded): their phone's, if we speak it.
        return participant, translator(pick_language(participant.language, user.language_code, programme.language,
                                                     among=offered_languages(programme)),
                                       participant.timezone or programme.timezone)
    language = user.language_code if user is not None else None
    return None, translator(pick_language(language, default=settings.default_language), settings.default_timezone)
