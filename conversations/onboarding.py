"""/start with an invitation token: consent, language, then the binôme is introduced."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import sender
from bot.commands import publish_menu_button, publish_menu_for, names
from bot.context import BotContext
from conversations import buttons
from conversations.buttons import grid
from conversations.fallback import JOIN_HINT
from bot.i18n import Translator, available_languages, language_name, offered_languages, pick_language, translator
from bot.vocabulary import term
from storage import background_checks
from storage.invitations import Claim, answer_consent, claim_invitation, looks_like_token, queue_partner_joined
from storage.models import Participant, ParticipantStatus, Programme, Role
from storage.referents import binomes_of
from storage.participants import partner_of, programme_counts, resume, set_language

CONSENT_PATTERN = rf"^consent:({buttons.ID}):([yn])$"
LANGUAGE_PATTERN = r"^lang:([a-z]{2,3})$"


async def start(update: Update, context: BotContext) -> None:
    """/start [token]: join with an invitation link, or resume after /stop."""
    if context.args:
        await _start_with_token(update, context, context.args[0])
    else:
        await _start_without_token(update, context)


async def _start_with_token(update: Update, context: BotContext, token: str) -> None:
    user = update.effective_user
    if not looks_like_token(token):
        await update.effective_message.reply_text(_refusal(context.tr, Claim.UNKNOWN))
        return
    with context.services.session() as session:
        result = claim_invitation(session=session, token=token, telegram_user_id=user.id,
                                  now=context.services.now())
        held = None
        if result.outcome == Claim.OK:
            participant, programme = result.participant, result.programme
            tr = translator(pick_language(participant.language, user.language_code, programme.language,
                                          among=offered_languages(programme)),
                            participant.timezone or programme.timezone)
            text = _consent_text(tr, participant, programme)
            invitation_id = result.invitation.id
            held = background_checks.blocks(session=session, participant=participant, programme=programme,
                                            now=context.services.now())
            if held:  # the link stays valid for when the check is recorded; nothing of the account is kept
                result.invitation.pending_user_id = result.invitation.pending_since = None
                session.add(result.invitation)
    if held == "check":
        await update.effective_message.reply_text(tr(
            "Hello {name}! Thank you for joining the programme «{programme}». Before you start, the programme is "
            "finishing a check that every {role} needs. Your coordinator knows: they will tell you when it is "
            "done, and this same link will then work.").format(name=participant.first_name,
                                                                programme=programme.name,
                                                                role=term(tr, programme, Role.MENTOR)))
    elif held:
        await update.effective_message.reply_text(tr(
            "Hello {name}! Thank you for joining «{programme}». First, your school tells your family about it. Then "
            "your coordinator will tell you. After that, this same link will work. See you soon!").format(
                name=participant.first_name, programme=programme.name))
    elif result.outcome == Claim.WELCOME_BACK:
        await _start_without_token(update, context)
    elif result.outcome != Claim.OK:
        await update.effective_message.reply_text(_refusal(context.tr, result.outcome))
    else:
        keyboard = InlineKeyboardMarkup([[
            InlineKeyboardButton(tr("✅ I agree"), callback_data=f"consent:{invitation_id}:y"),
            InlineKeyboardButton(tr("❌ I don't agree"), callback_data=f"consent:{invitation_id}:n"),
        ]])
        await update.effective_message.reply_text(text, reply_markup=keyboard)


def _refusal(tr: Translator, outcome: Claim) -> str:
    texts = {
        Claim.UNKNOWN: tr("This link does not work. Check that you opened the whole link from your coordinator. Or "
                          "ask your coordinator for a new link."),
        Claim.EXPIRED: tr("This link has expired. Ask your coordinator for a new one."),
        Claim.USED: tr("Someone has already used this link. If it was not you, please tell your coordinator."),
        Claim.IN_USE: tr("Someone else is already using this link. If it was not you, please tell your "
                         "coordinator."),
        Claim.OTHER_PROFILE: tr("Your Telegram account is already used by another profile in Binôme. Please ask your "
                                "coordinator for help."),
    }
    return texts[outcome]


def _consent_text(tr: Translator, participant: Participant, programme: Programme) -> str:
    hello = tr("Hello {first_name}! I am Binôme, the assistant of the programme «{programme}».").format(
        first_name=participant.first_name, programme=programme.name)
    if participant.role == Role.COORDINATOR:
        kept = tr(
            "Before we start, here is what I keep and who sees it:\n"
            "• your first name and your role in the programme;\n"
            "• your Telegram account, so that I can write to you;\n"
            "• the alerts I send you and what you do with them.")
        who = tr("As a coordinator, you will see facts about the binômes (dates, meetings held or missed, "
                 "questions answered or not), never what the pairs write to each other unless they choose "
                 "to share it.")
    elif participant.role == Role.REFERENT:
        kept = tr(
            "Before we start, here is what I keep and who sees it:\n"
            "• your first name, your role and the binômes you follow, as the coordinator gave them;\n"
            "• your Telegram account, so that I can write to you.")
        who = tr("As the binômes' partner referent, you will get facts about them (absences, meetings held, warning "
                 "signs, the closure), never what the pair writes to each other.")
    elif participant.minor and participant.role == Role.MENTEE:
        kept = tr(
            "Before we start, here is what I keep and who sees it:\n"
            "• your first name and who your {partner} is;\n"
            "• your Telegram account, so that I can write to you;\n"
            "• your meetings, your plan and your answers to my short questions.").format(
            partner=term(tr, programme, Role.MENTOR))
        who = tr("Your school and your family know that you take part. Your {partner} sees your meetings and your "
                 "plan. What you write to me is shown to no one, unless you choose to share it with your {partner}. "
                 "Your coordinator sees only facts, like the dates of your meetings.").format(
            partner=term(tr, programme, Role.MENTOR))
    else:
        kept = tr(
            "Before we start, here is what I keep and who sees it:\n• your first name, your role and your binôme "
            "(your coordinator gave them to me);\n• your Telegram account, so that I can write to you;\n• your "
            "meetings, your action plan and your answers to my short questions.")
        other = Role.MENTEE if participant.role == Role.MENTOR else Role.MENTOR
        who = tr("Your {partner} sees your meetings and your action plan. Your coordinator sees only facts: dates, "
                 "meetings held or missed, questions answered or not. Your coordinator does not see what you write, "
                 "unless you choose to share it.").format(partner=term(tr, programme, other))
    control = tr("You can stop my messages at any time with /stop. Is that OK with you?") \
        if participant.minor and participant.role == Role.MENTEE else \
        tr("You can pause my messages at any time with /stop. Do you agree?")
    return "\n\n".join((hello, kept, who, control))


async def answer_consent_button(update: Update, context: BotContext) -> None:
    """The consent buttons: only the account that opened the link can answer, once."""
    query = update.callback_query
    invitation_id, answer = int(context.match.group(1)), context.match.group(2)
    user = update.effective_user
    with context.services.session() as session:
        result = answer_consent(session=session, invitation_id=invitation_id, telegram_user_id=user.id,
                                chat_id=update.effective_chat.id, accepted=answer == "y",
                                now=context.services.now())
        participant, programme = result.participant, result.programme
        if participant is not None:
            tr = translator(pick_language(participant.language, user.language_code, programme.language,
                                          among=offered_languages(programme)),
                            participant.timezone or programme.timezone)
    if result.outcome == Claim.WELCOME_BACK:
        await query.answer(tr("You have already answered."))
        await query.edit_message_reply_markup(None)
        return
    if result.outcome != Claim.OK:
        await query.answer(context._("This button is no longer valid."))
        await query.edit_message_reply_markup(None)
        return
    await query.answer()
    if answer == "y":
        context.participant = participant
        await query.edit_message_text(query.message.text + "\n\n" + tr("✅ You agreed. Thank you!"))
        await ask_language(update, context, participant, tr, preselect=user.language_code)
    else:
        await query.edit_message_text(tr(
            "OK. I keep nothing about your Telegram account. I keep only your answer, for your coordinator. If you "
            "change your mind, open your invitation link again."))


async def ask_language(update: Update, context: BotContext, participant: Participant, tr: Translator,
                       preselect: str | None) -> None:
    """Offer the programme's languages, each by its own name, the likeliest one (the phone's) ticked and first."""
    with context.services.session() as session:
        offered = offered_languages(session.get(Programme, participant.programme_id))
    chosen = pick_language(preselect, participant.language, tr.language, default=offered[0], among=offered)
    ordered = sorted(offered, key=lambda code: code != chosen)
    labels = [("✓ " if code == chosen else "") + language_name(code) for code in ordered]
    buttons = [[InlineKeyboardButton(label, callback_data=f"lang:{code}") for label, code in row]
               for row in grid(list(zip(labels, ordered)), 2)]
    await context.bot.send_message(update.effective_chat.id, tr("In which language do you want my messages?"),
                                   reply_markup=InlineKeyboardMarkup(buttons))


async def choose_language(update: Update, context: BotContext) -> None:
    """A language button: during onboarding it finishes it; later it just switches language."""
    query = update.callback_query
    code = context.match.group(1)
    with context.services.session() as session:
        participant = session.get(Participant, context.participant.id) if context.participant else None
        programme = session.get(Programme, participant.programme_id) if participant else None
        refused = participant is None or code not in offered_languages(programme)  # a forged or outdated button
    if refused:
        await query.answer(context._("This button is no longer valid."))
        await query.edit_message_reply_markup(None)
        return
    with context.services.session() as session:
        participant, programme = session.get(Participant, participant.id), session.get(Programme, programme.id)
        first_time = participant.onboarded_at is None
        set_language(session=session, participant=participant, language=code, now=context.services.now())
        tr = translator(code, participant.timezone or programme.timezone)
        if first_time:
            introduction = _introduction(session, tr, participant, programme)
            queue_partner_joined(session=session, participant=participant, now=context.services.now())
    await query.answer()
    await query.edit_message_text(tr("Language: {language} ✓").format(language=language_name(code)))
    await publish_menu_for(context.bot, participant, tr)
    await publish_menu_button(context.bot, participant, tr, context.services.settings.web_url)
    if first_time:
        await context.bot.send_message(update.effective_chat.id, introduction)
    else:
        await context.bot.send_message(update.effective_chat.id,
                                       tr("Done. From now on, I write to you in {language}.").format(
                                           language=language_name(code)))


def _introduction(session, tr: Translator, participant: Participant, programme: Programme) -> str:
    """Who is in the binôme and what the bot will do, for this role."""
    if participant.role == Role.COORDINATOR:
        counts = programme_counts(session=session, programme_id=programme.id)
        return "\n\n".join((
            tr("Welcome, {first_name}. You coordinate «{programme}».").format(
                first_name=participant.first_name, programme=programme.name),
            tr("{joined} of {participants} participants have joined so far, in {binomes} binômes.").format(
                joined=counts.joined, participants=counts.participants, binomes=counts.binomes),
            tr("I will alert you when a binôme shows warning signs, with the facts and the next step, and "
               "/programme shows where the programme stands."),
        ))
    if participant.role == Role.REFERENT:
        labels = ", ".join(b.label for b in binomes_of(session=session, referent=participant)) or "—"
        return tr("Welcome, {first_name}. You follow the binômes {labels} of «{programme}» as their partner "
                  "referent: I will tell you of absences, warning signs and the closure, and /binome shows their "
                  "facts.").format(first_name=participant.first_name, labels=labels, programme=programme.name)
    partner = partner_of(session=session, participant=participant)
    partner_role = Role.MENTEE if participant.role == Role.MENTOR else Role.MENTOR
    lines = [tr("Welcome, {first_name}!").format(first_name=participant.first_name)]
    if partner is None:
        lines.append(tr("You are not in a binôme yet. I will tell you as soon as your coordinator puts you in one."))
    else:
        lines.append(tr("You are in a binôme with {name}, your {partner}.").format(
            name=partner.first_name, partner=term(tr, programme, partner_role, partner.gender)))
        if partner.telegram_user_id is None:
            lines.append(tr("{name} has not joined Binôme yet. I will tell you when {name} joins.").format(
                name=partner.first_name))
    if participant.role == Role.MENTEE:
        lines.append(tr("Between your meetings, I remind you of them. I ask you short questions: you answer with "
                        "buttons. I keep your action plan for you. If you cannot come to a meeting, tell me. I will "
                        "warn your {partner} at once.").format(
                            partner=term(tr, programme, Role.MENTOR)))
    else:
        lines.append(tr("I will remind you of your meetings, let you confirm them in one tap, warn you as "
                        "soon as your {partner} cannot come, and keep your action plan alive between "
                        "meetings.").format(partner=term(tr, programme, Role.MENTEE)))
    lines.append(tr("To see what you can do, send /help. To pause my messages, send /stop."))
    return "\n\n".join(lines)


@sender.renderer("partner_joined")
def render_partner_joined(tr: Translator, params: dict, recipient: Participant, session) -> sender.Rendered:
    joined = session.get(Participant, params["participant_id"])
    programme = session.get(Programme, recipient.programme_id)
    return sender.Rendered(tr("Good news: {name}, your {partner}, has joined Binôme.").format(
        name=joined.first_name, partner=term(tr, programme, joined.role)))


async def _start_without_token(update: Update, context: BotContext) -> None:
    participant = context.participant
    message = update.effective_message
    if participant is None:
        await message.reply_text(context._(JOIN_HINT))
        return
    if participant.onboarded_at is None:
        await ask_language(update, context, participant, context.tr, preselect=update.effective_user.language_code)
        return
    with context.services.session() as session:
        fresh = session.get(Participant, participant.id)
        resumed = fresh.status == ParticipantStatus.PAUSED and resume(
            session=session, participant=fresh, now=context.services.now())
    if resumed:
        await message.reply_text(context._("Welcome back, {first_name}! You get my messages again.").format(
            first_name=participant.first_name))
    else:
        await message.reply_text(context._("Everything is ready, {first_name}. To see what you can do, send "
                                           "/help.").format(
            first_name=participant.first_name))


HANDLERS = [
    CommandHandler(names("start"), start),
    CallbackQueryHandler(answer_consent_button, pattern=CONSENT_PATTERN),
    CallbackQueryHandler(choose_language, pattern=LANGUAGE_PATTERN),
]
