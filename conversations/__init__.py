"""The flows, one module each. `register` adds them to the application in order."""
from __future__ import annotations

from telegram.ext import Application, TypeHandler
from telegram import Update

import conversations.background_checks  # noqa: F401  (registers the coordinators' notices about checks)
import conversations.notices  # noqa: F401  (registers the coordinators' notices)
from conversations import absence_talks, account, alerts, awaited, binomes, checkins, ending, evaluation, fallback
from conversations import followup, gatekeeper, meetings, onboarding, plan, privacy, referents, report
from conversations import self_evaluation, tutor_away, web, which_binome


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, gatekeeper.load_person), group=-1)
    # One group: the first handler that matches wins, so the fallbacks come last.
    for handler in (onboarding.HANDLERS + account.HANDLERS + meetings.HANDLERS + plan.HANDLERS + checkins.HANDLERS
                    + alerts.HANDLERS + ending.HANDLERS + binomes.HANDLERS + followup.HANDLERS + report.HANDLERS
                    + evaluation.HANDLERS + privacy.HANDLERS + web.HANDLERS + tutor_away.HANDLERS
                    + absence_talks.HANDLERS + self_evaluation.HANDLERS + referents.HANDLERS
                    + which_binome.HANDLERS + awaited.HANDLERS + fallback.HANDLERS):
        application.add_handler(handler, group=0)
    application.add_handler(TypeHandler(Update, gatekeeper.mark_processed), group=99)
    application.add_error_handler(fallback.report_error)
