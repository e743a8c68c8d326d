"""Command menus, per role and per language (setMyCommands with scopes and language_code)."""
from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

from bot.i18n import N_, Translator, available_languages, translator
from storage.models import Participant, Role

START = ("start", N_("Start, or resume after /stop"))
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
MYDATA = ("mydata", N_("What you keep about me, and a copy"))
FORGET = ("forget", N_("Withdraw my consent, erase my data"))

FOR_NEWCOMERS = (START, HELP)
BY_ROLE = {
    Role.MENTEE: (PLAN, MEETING, PROGRESS, ABSENT, AWAY, HELP, LANGUAGE, STOP, START, MYDATA, FORGET),
    Role.MENTOR: (PLAN, MEETING, ABSENT, AWAY, HELP, LANGUAGE, STOP, START, MYDATA, FORGET),
    Role.COORDINATOR: (ALERTS, BINOMES, BINOME, REPORT, PROGRAMME, EVALUATIONS, ABSENCE, HELP, LANGUAGE, STOP, START,
                       MYDATA),
    Role.REFERENT: (BINOME, HELP, LANGUAGE, STOP, START, MYDATA),  # a partner referent: facts of their binômes
}


def _commands(tr: Translator, entries) -> list[BotCommand]:
    return [BotCommand(name, tr.gettext(description)) for name, description in entries]


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
