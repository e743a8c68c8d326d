"""Settings read from the environment or a `.env` file.

The variable names are a contract with operators and scripts: keep them. A missing or invalid
setting ends the program with one line naming the variable (exit code 2, no traceback).
"""
from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.i18n import available_languages
from bot.rate_limit import OVERALL_RATE

TELEGRAM_API_URL = "https://api.telegram.org/bot"
DEFAULT_DATA_DIR = Path("data")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str = Field(default="", alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field(default=TELEGRAM_API_URL, alias="TELEGRAM_API_URL")
    database_url: str = Field(default="", alias="DATABASE_URL")
    data_dir: Path = Field(default=DEFAULT_DATA_DIR, alias="BINOME_DATA_DIR")
    default_language: str = Field(default="fr", alias="DEFAULT_LANGUAGE")
    default_timezone: str = Field(default="Europe/Paris", alias="DEFAULT_TIMEZONE")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    invitation_days: int = Field(default=30, alias="INVITATION_DAYS", ge=1, le=365)
    webhook_url: str = Field(default="", alias="WEBHOOK_URL")
    webhook_secret: str = Field(default="", alias="WEBHOOK_SECRET")
    webhook_listen: str = Field(default="127.0.0.1", alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, alias="WEBHOOK_PORT", ge=1, le=65535)
    # The coordinator's page (docs/miniapp.md): its public HTTPS address behind the reverse proxy, and where
    # `binome run` serves it. Without WEB_URL there is no page, no menu button and no "Open the table".
    web_url: str = Field(default="", alias="WEB_URL")
    web_listen: str = Field(default="127.0.0.1", alias="WEB_LISTEN")
    web_port: int = Field(default=8080, alias="WEB_PORT", ge=0, le=65535)
    tick_seconds: float = Field(default=5.0, alias="TICK_SECONDS", gt=0, le=3600)
    # PostgreSQL, several workers: how often one that does not lead tries to (docs/scaling.md).
    leader_retry_seconds: float = Field(default=2.0, alias="LEADER_RETRY_SECONDS", gt=0, le=60)
    # Bulk outbox sends (check-ins, reminders, digests) with allow_paid_broadcast: up to 1,000/s, billed in Stars.
    paid_broadcast: bool = Field(default=False, alias="PAID_BROADCAST")
    # Messages a second for every send (bot/rate_limit.py): raise only against the local Bot API or with
    # Telegram's agreement (the bench's "limits off").
    send_rate: float = Field(default=OVERALL_RATE, alias="SEND_RATE", gt=0)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        value = value.strip()
        if value and (":" not in value or not value.split(":", 1)[0].isdigit()):
            raise ValueError("must look like 123456789:ABC-DEF… (from @BotFather)")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("web_url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith("https://"):
            raise ValueError("must start with https:// (Telegram opens Mini Apps over HTTPS only)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:", "postgresql:", "postgresql+", "postgres:")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in available_languages():
            raise ValueError(f"must be one of {', '.join(available_languages())}")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a known time zone (e.g. Europe/Paris, Europe/Brussels)") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'binome.sqlite3').as_posix()}"

    @property
    def uses_web(self) -> bool:
        return bool(self.web_url)

    @property
    def uses_webhook(self) -> bool:
        return bool(self.webhook_url)


def load_settings(**overrides) -> Settings:
    """Read the settings; raise SettingsError with one line naming the first bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "settings"
        message = error["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None


def settings_or_exit(**overrides) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        print(f"binome: invalid setting {exc}", file=sys.stderr)
        raise SystemExit(2) from None
