""""I need help" / "I want to stop": the two buttons /help (and the end of a check-in) offer to mentors
and mentees, and what pressing them does (`storage.support.request_support`). Callback data: `sup:<verb>`."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import Translator
from storage.models import Participant, Role, SupportKind
from storage.support import Asked, request_support

SUPPORT_PATTERN = r"^sup:(help|stop|stopyes|keep)$"


def support_buttons(tr: Translator) -> list[list[InlineKeyboardButton]]:
    """The two buttons that /help (and the end of a check-in) offer to mentors and mentees."""
    return [[InlineKeyboardButton(tr("🆘 I need help"), callback_data="sup:help"),
             InlineKeyboardButton(tr("✋ I want to stop"), callback_data="sup:stop")]]


async def on_support(update: Update, context: BotContext) -> None:
    query = update.callback_query
    verb = context.match.group(1)
    participant = context.participant
    _ = context._
    if participant is None or participant.onboarded_at is None or participant.role not in (Role.MENTOR, Role.MENTEE):
        await query.answer(_("This button is no longer valid."))
        return
    now = context.services.now()
    if verb == "stop":
        await query.answer()
        await update.effective_message.reply_text(
            _("Do you want to stop the mentoring? I will tell your coordinator. They will contact you to talk about "
              "it. I do not close anything by myself."),
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(_("✋ Yes, tell my coordinator"),
                                                                     callback_data="sup:stopyes")],
                                               [InlineKeyboardButton(_("↩️ No, carry on"), callback_data="sup:keep")]]))
        return
    if verb == "keep":
        await query.answer()
        await query.edit_message_text(_("Good, nothing changes. If you need anything, send /help."))
        return
    kind = SupportKind.HELP if verb == "help" else SupportKind.STOP
    with context.services.session() as session:
        answer = request_support(session=session, participant=session.get(Participant, participant.id), kind=kind,
                                 now=now)
    await query.answer()
    if not answer.told:  # never say someone knows when nobody could be told
        text = _("I could not pass on your request. Right now, I cannot reach any coordinator of your programme. I "
                 "have recorded your request. Please contact the team of your programme in another way: by phone, by "
                 "e-mail or in person. You are not alone.")
    elif answer.asked == Asked.SAME:
        text = _("Your coordinator already knows. They will contact you soon.")
    elif answer.asked == Asked.AGAIN and kind == SupportKind.HELP:
        text = _("I have told your coordinator again. They will contact you soon. You are not alone.")
    elif answer.asked == Asked.AGAIN:
        text = _("I have told your coordinator again. Until then, nothing changes for your binôme.")
    elif kind == SupportKind.HELP:
        text = _("I have told your coordinator. They will contact you soon. You are not alone.")
    else:
        text = _("Done: I have told your coordinator. They will contact you. Until then, nothing changes for your "
                 "binôme.")
    if verb == "stopyes":
        await query.edit_message_text(text)
    else:
        await update.effective_message.reply_text(text)


HANDLERS = [CallbackQueryHandler(on_support, pattern=SUPPORT_PATTERN)]
