"""The typed context every handler receives (python-telegram-bot's ContextTypes)."""
from __future__ import annotations

from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import Translator, translator
from bot.services import Services
from storage.models import Participant


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
