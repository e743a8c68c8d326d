"""A missing or invalid setting ends the program with one line naming the variable (exit code 2)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.settings import TELEGRAM_API_URL, SettingsError, load_settings


def run_binome(*args: str, env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "DEFAULT_", "LOG_"))}
    clean.update(env)
    return subprocess.run([sys.executable, "-m", "bot", *args], env=clean, cwd=cwd, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("DATABASE_URL", "mysql://root@localhost/x", "DATABASE_URL: must start with sqlite:/// or postgresql://"),
    ("DEFAULT_TIMEZONE", "Europe/Atlantis", "DEFAULT_TIMEZONE: is not a known time zone"),
    ("DEFAULT_LANGUAGE", "xx", "DEFAULT_LANGUAGE: must be one of fr, ar, en, es, nl, tr, uk"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL: must be one of DEBUG"),
    ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN: must look like"),
    ("TELEGRAM_API_URL", "127.0.0.1:8081/bot", "TELEGRAM_API_URL: must start with http://"),
    ("INVITATION_DAYS", "forever", "INVITATION_DAYS:"),
])
def test_invalid_setting_is_named_in_one_line(tmp_path, variable, value, expected):
    result = run_binome("db", "current", env={variable: value}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("binome: invalid setting ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_run_without_a_token_says_how_to_get_one(tmp_path):
    result = run_binome("run", env={"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("binome: invalid setting TELEGRAM_BOT_TOKEN: manquant")
    assert "Traceback" not in result.stderr


def test_settings_are_read_from_a_dotenv_file(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("DEFAULT_LANGUAGE=en\nDEFAULT_TIMEZONE=Europe/Brussels\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("DEFAULT_LANGUAGE", "DEFAULT_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.default_language, settings.default_timezone) == ("en", "Europe/Brussels")


def test_defaults_are_a_local_sqlite_file_and_telegram(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "TELEGRAM_API_URL", "DEFAULT_LANGUAGE", "DEFAULT_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None)
    assert settings.effective_database_url == "sqlite:///data/binome.sqlite3"
    assert settings.telegram_api_url == TELEGRAM_API_URL  # the real service by default; tests never call it
    assert (settings.default_language, settings.default_timezone) == ("fr", "Europe/Paris")


def test_load_settings_raises_a_named_error():
    with pytest.raises(SettingsError, match="^WEBHOOK_PORT: "):
        load_settings(_env_file=None, WEBHOOK_PORT="99999")
