"""The programs people actually run: the coordinator's command line, `binome run` (polling and
webhook) as a real process against the local Bot API, and the demo."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from bot.i18n import translator
from storage.models import AuditLog, Participant

DATA = Path(__file__).parent / "data"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "DATABASE_", "DEFAULT_", "LOG_", "WEBHOOK_", "BINOME_"))}
    env.update(extra)
    return env


async def binome(*args: str, env: dict[str, str], cwd: Path, timeout: float = 60) -> tuple[int, str, str]:
    """Run the `binome` command without blocking the event loop the local Bot API runs on."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode, out.decode(), err.decode()


async def test_a_coordinator_sets_up_a_programme_without_code(harness, session, tmp_path, database_url):
    server = harness.server
    env = clean_env(DATABASE_URL=database_url, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.base_url)

    code, out, err = await binome("program", "create", "MentorYou Bruxelles", "--timezone", "Europe/Brussels",
                                  env=env, cwd=tmp_path)
    assert code == 0, err
    assert out.startswith("Programme «MentorYou Bruxelles» créé (Europe/Brussels, fr, 6 mois, 2 rencontres")

    code, out, err = await binome("import", str(DATA / "bad_rows.csv"), env=env, cwd=tmp_path)
    assert code == 1
    assert "Rien n'a été importé" in out and "Ligne " in out
    with session() as s:
        assert s.exec(select(Participant)).all() == []

    code, out, err = await binome("import", str(DATA / "excel_fr_bom.csv"), env=env, cwd=tmp_path)
    assert code == 0, out + err
    assert "5 participants créés" in out
    code, out, err = await binome("import", str(DATA / "excel_fr_bom.csv"), env=env, cwd=tmp_path)
    assert code == 0 and "0 participant créé" in out and "5 inchangés" in out

    code, out, err = await binome("invite", env=env, cwd=tmp_path)  # the bot's username comes from getMe
    assert code == 0, err
    lines = [line.split("\t") for line in out.strip().splitlines()]
    assert len(lines) == 5
    assert all(link.startswith("https://t.me/binome_test_bot?start=") for _, _, link in lines)
    assert lines[0][1] == "coordinatrice"  # coordinators are invited the same way, listed first; her row's word
    tokens = [link.rsplit("=", 1)[1] for _, _, link in lines]
    assert len(set(tokens)) == 5 and all(len(token) >= 32 for token in tokens)

    # A mentee taps the printed link on the phone and is onboarded by the running bot.
    name, role, link = next(line for line in lines if line[1] == "mentoré")
    user = server.user(first_name=name.split()[0], language_code="fr")
    await user.send(f"/start {link.rsplit('=', 1)[1]}")
    consent = await user.wait_for_message()
    assert consent.text.startswith(f"Bonjour {name.split()[0]} !")

    code, out, err = await binome("program", "list", env=env, cwd=tmp_path)
    assert "«MentorYou Bruxelles» : 2 binômes, 4 mentors et mentorés (0 a rejoint), 1 coordinateur (0 a rejoint)" in out


async def test_the_programme_list_counts_coordinators_apart(tmp_path, database_url, session):
    env = clean_env(DATABASE_URL=database_url)
    assert (await binome("program", "create", "MentorYou", "--timezone", "Europe/Brussels", env=env,
                         cwd=tmp_path))[0] == 0
    assert (await binome("import", str(DATA / "excel_fr_bom.csv"), env=env, cwd=tmp_path))[0] == 0  # 4 + 1
    with session() as s:
        mentor = s.exec(select(Participant).where(Participant.first_name == "François")).one()
        mentor.telegram_user_id = mentor.telegram_chat_id = 777
    code, out, err = await binome("program", "list", env=env, cwd=tmp_path)
    assert code == 0, err
    assert out.strip() == "«MentorYou» : 2 binômes, 4 mentors et mentorés (1 a rejoint), 1 coordinateur (0 a rejoint)"
    code, out, err = await binome("program", "list", env={**env, "DEFAULT_LANGUAGE": "en"}, cwd=tmp_path)
    assert out.strip() == "«MentorYou»: 2 binômes, 4 mentors and mentees (1 joined), 1 coordinator (0 joined)"


async def test_a_coordinator_changes_the_programme_settings(tmp_path, database_url, session):
    env = clean_env(DATABASE_URL=database_url)
    assert (await binome("program", "create", "MentorYou", "--timezone", "Europe/Brussels", env=env,
                         cwd=tmp_path))[0] == 0
    assert (await binome("import", str(DATA / "excel_fr_bom.csv"), env=env, cwd=tmp_path))[0] == 0
    code, out, err = await binome("program", "settings", "checkin_weekday=thu", "checkin_time=18:30",
                                  "checkins_missed_in_row=3", env=env, cwd=tmp_path)
    assert code == 0, err
    assert "* checkin_weekday = thu" in out and "* checkin_time = 18:30" in out
    assert "* checkins_missed_in_row = 3" in out and "  mood_low = 2" in out  # a default, unmarked
    from storage.checkins import checkin_options
    from storage.models import Programme
    from storage.signals import signal_options
    with session() as s:
        programme = s.exec(select(Programme)).one()
        assert checkin_options(programme).weekday == 3 and signal_options(programme).checkins_missed_in_row == 3

    # All or nothing: one bad value changes nothing.
    code, out, err = await binome("program", "settings", "mood_low=2", "checkin_time=25:00", env=env, cwd=tmp_path)
    assert code == 2 and "checkin_time=25:00" in err and "Traceback" not in err
    code, out, err = await binome("program", "settings", "colour=blue", env=env, cwd=tmp_path)
    assert code == 2 and "colour" in err

    coordinator = next(line for line in DATA.joinpath("excel_fr_bom.csv").read_text("utf-8-sig").splitlines()
                       if "coordinat" in line.lower())
    code, out, err = await binome("program", "settings", "--backup-coordinator", "nobody@example.org", env=env,
                                  cwd=tmp_path)
    assert code == 2 and "nobody@example.org" in err
    with session() as s:
        from storage.models import Role
        first = s.exec(select(Participant).where(Participant.role == Role.COORDINATOR)).first()
        name = first.display_name
    assert first.first_name in coordinator
    code, out, err = await binome("program", "settings", "--backup-coordinator", name, "checkin_time=",
                                  env=env, cwd=tmp_path)
    assert code == 0, err
    assert f"* backup_coordinator_id = {first.id}" in out and "  checkin_time = 18:00" in out  # back to default
    with session() as s:
        assert signal_options(s.exec(select(Programme)).one()).backup_coordinator_ids == (first.id,)
        changes = s.exec(select(AuditLog).where(AuditLog.action == "programme.settings")).all()
        assert [sorted(c.details["keys"]) for c in changes] == [
            ["checkin_time", "checkin_weekday", "checkins_missed_in_row"], ["backup_coordinator_id", "checkin_time"]]


async def test_cli_errors_are_one_readable_line(tmp_path, database_url):
    env = clean_env(DATABASE_URL=database_url)
    assert (await binome("db", "upgrade", env=env, cwd=tmp_path))[0] == 0
    code, out, err = await binome("import", str(DATA / "comma_utf8.csv"), env=env, cwd=tmp_path)
    assert code == 2 and "binome program create" in err and "Traceback" not in err
    code, out, err = await binome("import", "missing.csv", env=env, cwd=tmp_path)
    assert code == 2 and err.startswith("Impossible de lire missing.csv")
    code, out, err = await binome("invite", env=env, cwd=tmp_path)
    assert code == 2 and "--bot-username" in err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def run_and_talk(server, env: dict[str, str], tmp_path: Path) -> None:
    assert (await binome("db", "upgrade", env=env, cwd=tmp_path))[0] == 0
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        user = server.user(first_name="Eve", language_code="en")
        await user.send("/help")
        reply = await user.wait_for_message(timeout=30)
        assert "open your personal link. Your coordinator sent it to you" in reply.text
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert server.token not in err.decode()  # the token never reaches the logs


async def test_binome_run_long_polls_the_bot_api(server, tmp_path, database_url):
    env = clean_env(DATABASE_URL=database_url, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.base_url,
                    LOG_LEVEL="INFO")
    await run_and_talk(server, env, tmp_path)


async def test_binome_run_in_webhook_mode_with_a_secret(server, tmp_path, database_url):
    port = free_port()
    env = clean_env(DATABASE_URL=database_url, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.base_url,
                    WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram", WEBHOOK_PORT=str(port),
                    WEBHOOK_SECRET="s3cret-for-test")
    await run_and_talk(server, env, tmp_path)
    hooks = server.calls("setWebhook")
    assert hooks and hooks[-1]["url"] == f"http://127.0.0.1:{port}/telegram"
    assert hooks[-1]["secret_token"] == "s3cret-for-test"


async def test_the_readme_start_command_runs_the_demo_without_a_token(tmp_path):
    code, out, err = await binome("start", env=clean_env(), cwd=tmp_path, timeout=120)
    assert code == 0, err
    assert "Pas de TELEGRAM_BOT_TOKEN : lancement de la démonstration" in out
    for seen in ("Bienvenue, Claire. Vous coordonnez", "Bienvenue, Amina !", "Welcome, Marc!",
                 "You are in a binôme with Amina, your mentee.", "Bonne nouvelle : Marc, votre mentor",
                 "Quelqu'un a déjà utilisé ce lien", "Pas encore rejoint",
                 "Marc propose une rencontre", "📅 Confirmé : rencontre avec Marc", "📅 Confirmed: meeting with Amina",
                 "⚠️ Amina, your mentee, cannot come to the meeting",
                 "Ajoutée au plan d'actions", "👋 Amina, c'est l'heure du point d'étape",
                 "👋 Check-in time: how is the binôme with Amina going?", "🎉 Amina has done 1 action of the plan",
                 "🔴 Élevée · Demande d'aide · binôme B01", "🙋 Prise en charge par Claire",
                 "Points d'étape — Amina : réponses 1 sur 1",
                 "🏁 Clôturé le", "Bonjour Amina, votre binôme avec Marc est terminé.",
                 "Félicitations pour cette étape : Formation !", "Question 6 sur 6", "Merci, Amina ! 🌟",
                 "Moins de 5 réponses pour l'instant", "🏁 Votre binôme avec Marc s'est terminé le",
                 "Binômes — commencés : 2, en cours à la fin : 1, clôturés : 1.", "chart (photo), report-"):
        assert seen in out
    arabic = translator("ar")
    assert arabic("Welcome, {first_name}!").format(first_name="Youssef") in out  # one more person, in Arabic
    assert "Bienvenue, Claire. Vous coordonnez" in out and "Marc, votre mentor" in out
    assert "Traceback" not in err


async def test_a_redelivered_update_changes_nothing(harness, session, clock):
    from tests.factories import invite, make_pair, make_programme
    from telegram import Update

    with session() as s:
        programme = make_programme(s, clock.now())
        _, mentee, _ = make_pair(s, programme, clock.now())
        token = invite(s, mentee, clock.now())
    amina = harness.server.user(first_name="Amina", language_code="fr")
    await amina.send(f"/start {token}")
    await amina.press(await amina.wait_for_message(), text="J'accepte")
    await amina.press(await amina.wait_for_message(), text="Français")
    await amina.wait_for_message()
    await amina.send("/stop")
    await amina.wait_for_message()
    await harness.server.settle()

    before = len(amina.messages)
    stop_update = next(u for u in reversed(harness.server.delivered_updates)
                       if u.get("message", {}).get("text") == "/stop")
    # Telegram re-delivers it, as after a crash before the offset was confirmed.
    await harness.application.update_queue.put(Update.de_json(stop_update, harness.application.bot))
    await harness.application.update_queue.join()  # the application has processed it
    await harness.server.settle()
    assert len(amina.messages) == before  # no second answer
    with session() as s:
        pauses = s.exec(select(AuditLog).where(AuditLog.action == "participant.paused")).all()
        assert len(pauses) == 1
