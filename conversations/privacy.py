"""People's rights over their data in the chat (docs/privacy.md): /mydata and /forget, and what the
coordinators are told (someone asked to be forgotten; retention will erase people in a week).

/mydata answers with a summary of what is kept, who sees it and for how long, then two files with all of it
(storage.privacy_export): JSON, and a table for a spreadsheet. /forget (or "Withdraw my consent" under the
summary) explains the consequences and asks by buttons; "yes" closes the binôme with the withdrawal of the
person's role, tells the coordinator and erases (storage.privacy.forget). Callback data: `fg:<participant
id>:<verb>`: `ask`, `yes` (a request), `withdraw` (a withdrawn consent), `no`. A press by anyone but that
participant, a forged or doubled one, changes nothing and is answered "no longer valid".
"""
from __future__ import annotations

import csv
import io
from datetime import date

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import replies, sender
from bot.commands import names
from bot.context import BotContext
from bot.i18n import Translator
from bot.outcomes import outcome_name
from bot.vocabulary import term
from conversations import buttons
from storage import privacy as rules
from storage import privacy_export
from storage.models import Binome, Participant, Programme, Role
from storage.participants import partners_of
from storage.retention import retention_options

PATTERN = buttons.pattern("fg")
VALUES = {"ask": None, "yes": None, "withdraw": None, "no": None}


def _summary(tr: Translator, person: Participant, programme: Programme, numbers: dict[str, int]) -> str:
    n = numbers
    lines = [tr("🔒 What I keep about you, {name}:").format(name=person.first_name),
             tr("• your profile: your name, the contact details from your programme, your language, your Telegram "
                "account;"),
             tr("• your agreement, given on {date};").format(date=tr.date(person.consent_at)) if person.consent_at
             else tr("• your answer to the question “Do you agree?”;"),
             "• " + ", ".join([
                 tr.ngettext("{n} binôme", "{n} binômes", n["binomes"]).format(n=n["binomes"]),
                 tr.ngettext("{n} meeting", "{n} meetings", n["meetings"]).format(n=n["meetings"]),
                 tr.ngettext("{n} plan action you wrote", "{n} plan actions you wrote",
                             n["plan_actions"]).format(n=n["plan_actions"]),
                 tr.ngettext("{n} check-in", "{n} check-ins", n["checkins"]).format(n=n["checkins"]),
                 tr.ngettext("{n} evaluation", "{n} evaluations", n["evaluations"]).format(n=n["evaluations"]),
                 tr.ngettext("{n} message I sent you", "{n} messages I sent you", n["messages"]).format(
                     n=n["messages"])]) + ".",
             ""]
    if person.role == Role.COORDINATOR:
        lines.append(tr("Who sees it: the pairs and the other coordinators of your programme see your first name. "
                        "Nobody outside the programme."))
    elif person.role == Role.REFERENT:
        lines.append(tr("Who sees it: the coordinators of your programme, and the pairs you follow see your name. "
                        "Nobody outside the programme."))
    else:
        partner = term(tr, programme, Role.MENTOR if person.role == Role.MENTEE else Role.MENTEE)
        lines.append(tr("Who sees what: your {partner} sees your meetings, your action plan and what you choose to "
                        "share. Your coordinator sees only facts: dates, numbers, states. Your coordinator never "
                        "sees what you write, unless you chose to share it. Nobody outside the programme sees "
                        "it.").format(partner=partner))
    months = retention_options(programme).months
    lines += ["", tr.ngettext("How long: until {n} month after the end of your last binôme. Then I delete it.",
                              "How long: until {n} months after the end of your last binôme. Then I delete it.",
                              months).format(n=months),
              "", tr("The two files below have all of it. One file is for computers (JSON). One file is a table for "
                     "a spreadsheet (CSV)."),
              tr("To take back your agreement and delete your data, send /forget.")]
    return "\n".join(lines)


def _csv(tr: Translator, data: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([tr("section"), tr("number"), tr("field"), tr("value")])
    writer.writerows(privacy_export.csv_rows(data))
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the mark lets spreadsheets read the accents


def _joined(participant: Participant | None) -> bool:
    return participant is not None and participant.onboarded_at is not None and participant.erased_at is None


async def my_data(update: Update, context: BotContext) -> None:
    """/mydata: the summary, then the two files."""
    participant, tr = context.participant, context.tr
    message = update.effective_message
    if not _joined(participant):
        await message.reply_text(tr("You have not joined a programme with me. I keep nothing about this Telegram "
                                    "account."))
        return
    with context.services.session() as session:
        person = session.get(Participant, participant.id)
        programme = session.get(Programme, person.programme_id)
        data = privacy_export.export(session=session, participant=person, now=context.services.now())
        text = _summary(tr, person, programme, privacy_export.counts(data))
    markup = None
    if person.role != Role.COORDINATOR:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(tr("🗑 Take back my agreement"),
                                                             callback_data=f"fg:{person.id}:ask")]])
    await replies.reply(message, text, markup)
    stamp = context.services.now().strftime("%Y-%m-%d")
    await message.reply_document(InputFile(privacy_export.as_json(data), filename=f"mydata-{stamp}.json"))
    await message.reply_document(InputFile(_csv(tr, data), filename=f"mydata-{stamp}.csv"))


def _confirmation(tr: Translator, session: Session, person: Participant, verb: str) -> tuple[str, InlineKeyboardMarkup]:
    partners = partners_of(session=session, participant=person)
    lines = [tr("Do you want to take back your agreement and delete your data?") if verb == "withdraw"
             else tr("Do you want me to delete your data?"), "", tr("What happens then:")]
    if partners:
        lines.append(tr("• your binôme with {partner} ends now, and your coordinator is told;").format(
            partner=", ".join(p.first_name for p in partners)))
    else:
        lines.append(tr("• your coordinator is told;"))
    lines += [tr("• I delete for ever your name, your contact details and what you wrote: check-ins, plan actions, "
                 "answers;"),
              tr("• the programme keeps only anonymous numbers: counts, dates, results;"),
              tr("• I will not write to you any more. You cannot go back after this."),
              "", tr("Before that, you can get a copy of your data: send /mydata.")]
    label = tr("🗑 Yes, delete my data")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"fg:{person.id}:{verb}")],
                                   [InlineKeyboardButton(tr("↩️ No, keep everything"), callback_data=f"fg:{person.id}:no")]])
    return "\n".join(lines), markup


async def forget(update: Update, context: BotContext) -> None:
    """/forget: the consequences, and the buttons."""
    participant, tr = context.participant, context.tr
    message = update.effective_message
    if not _joined(participant):
        await message.reply_text(tr("You have not joined a programme with me. I keep nothing about this Telegram "
                                    "account."))
        return
    if participant.role == Role.COORDINATOR:
        await message.reply_text(tr("As a coordinator, your data is erased by your programme's team, with "
                                    "`binome privacy erase`. Please ask them."))
        return
    with context.services.session() as session:
        text, markup = _confirmation(tr, session, session.get(Participant, participant.id), "yes")
    await replies.reply(message, text, markup)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    press = buttons.parse(context.match, VALUES)
    participant, tr = context.participant, context.tr
    if (press is None or not _joined(participant) or press.ref != participant.id
            or participant.role == Role.COORDINATOR):
        await buttons.refuse(update, context)
        return
    if press.verb == "no":
        await query.answer()
        await replies.edit(query, tr("Good, nothing changes. If you need anything, send /help."))
        return
    with context.services.session() as session:
        person = session.get(Participant, participant.id)
        if person.erased_at is not None:
            await buttons.refuse(update, context)
            return
        if press.verb == "ask":
            text, markup = _confirmation(tr, session, person, "withdraw")
        else:
            rules.forget(session=session, participant=person, now=context.services.now(),
                         actor=rules.actor_of(person),
                         reason="consent_withdrawn" if press.verb == "withdraw" else "request")
            text, markup = None, None
    await query.answer()
    if text is not None:
        await replies.reply(update.effective_message, text, markup)
        return
    await replies.edit(query, tr("Done: I have deleted your data and your binôme has ended. I have told your "
                                 "coordinator. Thank you for the time we spent together, and good luck!"))


# ---------------------------------------------------------------- what the coordinators are told

@sender.renderer("participant_forgotten")
def render_forgotten(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    programme = session.get(Programme, recipient.programme_id)
    role = term(tr, programme, params["role"])
    binomes = [b for b in (session.get(Binome, i) for i in params.get("binome_ids", [])) if b is not None]
    if params.get("reason") == "consent_withdrawn":
        head = tr("🔒 A {role} has withdrawn their consent: I have erased their personal data.").format(role=role)
    else:
        head = tr("🔒 A {role} asked me to erase their personal data: it is done.").format(role=role)
    lines = [head]
    for binome in binomes:
        lines.append(tr("Binôme {label} is closed. Outcome: {outcome}.").format(label=binome.label,
                                                                       outcome=outcome_name(tr, binome.outcome)))
    lines.append(tr("The programme's figures keep only anonymous facts about them. Nothing else to do."))
    return sender.Rendered("\n".join(lines))


@sender.renderer("retention_notice")
def render_retention(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    programme = session.get(Programme, params["programme_id"])
    count, months = params["count"], retention_options(programme).months
    return sender.Rendered("\n".join([
        tr.ngettext("🔒 On {date}, I will erase the personal data of {n} person of «{programme}»: their binômes "
                    "ended more than {months} months ago, or they never joined.",
                    "🔒 On {date}, I will erase the personal data of {n} people of «{programme}»: their binômes "
                    "ended more than {months} months ago, or they never joined.", count).format(
            n=count, date=tr.date(date.fromisoformat(params["on"])), programme=programme.name, months=months),
        tr("Only anonymous figures will remain. The delay is the setting `retention_months`.")]))


HANDLERS = [CommandHandler(names("mydata"), my_data), CommandHandler(names("forget"), forget),
            CallbackQueryHandler(on_button, pattern=PATTERN)]
