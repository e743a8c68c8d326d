"""Command menus, per role and per language (setMyCommands with scopes and language_code).

Each command also has a name in each language that writes with latin letters (`/rencontre`, `/afspraak`):
the catalog's entry under the context "command" (docs/translations.md). Every name works for everyone, the
English ones included; a menu shows the names of its language.
"""
from __future__ import annotations

import logging
import re
from functools import cache

from sqlmodel import select
from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat, MenuButtonWebApp, WebAppInfo
from telegram.error import TelegramError

from bot.i18n import N_, NC_, Translator, available_languages, translator, translator_for
from bot.services import Services
from storage.models import Participant, Programme, Role
from storage.web_access import may_enter

log = logging.getLogger(__name__)

START = ("start", N_("Start, or start again after /stop"))
HELP = ("help", N_("What I can do for you"))
LANGUAGE = ("language", N_("Change my language"))
STOP = ("stop", N_("Pause my messages"))
PROGRAMME = ("programme", N_("Where the programme stands"))
MEETING = ("meeting", N_("Plan a meeting"))
ABSENT = ("absent", N_("I can't come to the next meeting"))
ABSENCE = ("absence", N_("Record a mentee's absence"))
PLAN = ("plan", N_("Our action plan"))
PROGRESS = ("progress", N_("My progress and check-ins"))
AWAY = ("away", N_("I'm away: pause my check-ins"))
ALERTS = ("alerts", N_("Open alerts about binômes"))
BINOME = ("binome", N_("A binôme at a glance: pause, close"))
BINOMES = ("binomes", N_("The follow-up table of all binômes"))
REPORT = ("report", N_("The programme's indicators, chart and spreadsheet"))
EVALUATIONS = ("evaluations", N_("Evaluations after closure (anonymous)"))
MYDATA = ("mydata", N_("What you keep about me: see it, get a copy"))
FORGET = ("forget", N_("Take back my agreement, delete my data"))
WEB = ("web", N_("Open the follow-up table in a browser"))

# A command's name in each language: the msgstr of these entries (context "command"); the English name where a
# language keeps it (Arabic, Ukrainian: Telegram's command names are latin letters, digits and "_" only).
NAMES = {
    "start": NC_("command", "start"), "help": NC_("command", "help"), "language": NC_("command", "language"),
    "stop": NC_("command", "stop"), "programme": NC_("command", "programme"), "meeting": NC_("command", "meeting"),
    "absent": NC_("command", "absent"), "absence": NC_("command", "absence"), "plan": NC_("command", "plan"),
    "progress": NC_("command", "progress"), "away": NC_("command", "away"), "alerts": NC_("command", "alerts"),
    "binome": NC_("command", "binome"), "binomes": NC_("command", "binomes"), "report": NC_("command", "report"),
    "evaluations": NC_("command", "evaluations"), "mydata": NC_("command", "mydata"),
    "forget": NC_("command", "forget"), "web": NC_("command", "web")}
VALID_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


def local_name(tr: Translator, name: str) -> str:
    """The command's name in this translator's language ("meeting" → "rencontre"); English if none fits."""
    translated = tr.pgettext(*NAMES[name]) if name in NAMES else name
    return translated if VALID_NAME.match(translated) and name != "start" else name


@cache
def names(name: str) -> tuple[str, ...]:
    """Every name of a command, for its handler: the English one first, then each language's."""
    found = [name]
    for language in available_languages():
        local = local_name(translator(language), name)
        if local not in found:
            found.append(local)
    return tuple(found)


FOR_NEWCOMERS = (START, HELP)
BY_ROLE = {
    Role.MENTEE: (PLAN, MEETING, PROGRESS, ABSENT, AWAY, HELP, LANGUAGE, STOP, START, MYDATA, FORGET),
    Role.MENTOR: (PLAN, MEETING, ABSENT, AWAY, HELP, LANGUAGE, STOP, START, MYDATA, FORGET),
    Role.COORDINATOR: (ALERTS, BINOMES, BINOME, REPORT, WEB, PROGRAMME, EVALUATIONS, ABSENCE, HELP, LANGUAGE, STOP,
                       START, MYDATA),
    Role.REFERENT: (BINOME, HELP, LANGUAGE, STOP, START, MYDATA),  # a partner referent: facts of their binômes
}


def _commands(tr: Translator, entries) -> list[BotCommand]:
    return [BotCommand(local_name(tr, name), tr.gettext(description)) for name, description in entries]


def menu_lines(tr: Translator, entries) -> list[str]:
    """The commands as /help lists them, with the names of the reader's language."""
    return [f"/{local_name(tr, name)} – {tr.gettext(description)}" for name, description in entries]


async def publish_default_menus(bot: Bot, default_language: str) -> None:
    """The menu people see before they have joined, in each language we speak."""
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(_commands(translator(default_language), FOR_NEWCOMERS), scope=scope)
    for language in available_languages():
        await bot.set_my_commands(_commands(translator(language), FOR_NEWCOMERS), scope=scope,
                                  language_code=language)


async def publish_menu_for(bot: Bot, participant: Participant, tr: Translator) -> None:
    """The participant's own menu, for their role, in their language."""
    if participant.telegram_chat_id is None:
        return
    await bot.set_my_commands(_commands(tr, BY_ROLE[Role(participant.role)]),
                              scope=BotCommandScopeChat(participant.telegram_chat_id))


def web_app_url(web_url: str, tr: Translator) -> str:
    """The page's entry inside Telegram, in the coordinator's language (docs/miniapp.md)."""
    return f"{web_url}/app?lang={tr.language}"


async def publish_menu_button(bot: Bot, participant: Participant, tr: Translator, web_url: str) -> None:
    """A coordinator's menu button opens the page (setChatMenuButton with a web app), when there is one."""
    if not web_url or participant.telegram_chat_id is None or not may_enter(participant):
        return
    try:
        await bot.set_chat_menu_button(chat_id=participant.telegram_chat_id, menu_button=MenuButtonWebApp(
            text=tr("Table"), web_app=WebAppInfo(url=web_app_url(web_url, tr))))
    except TelegramError as exc:  # a chat gone: the commands still work
        log.warning("menu button not set: %s", type(exc).__name__)


async def publish_web_menus(bot: Bot, services: Services) -> None:
    """At start: every coordinator who has joined gets the page's menu button."""
    with services.session() as session:
        found = [(p, translator_for(p, session.get(Programme, p.programme_id))) for p in session.exec(
            select(Participant).where(Participant.role == Role.COORDINATOR,
                                      Participant.telegram_chat_id.is_not(None)))]  # type: ignore[union-attr]
    for participant, tr in found:
        await publish_menu_button(bot, participant, tr, services.settings.web_url)
