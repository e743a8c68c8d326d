"""The page's words that the chat has not already got, through the same catalogs (texts defined at import
time with N_ and translated where shown)."""
from __future__ import annotations

from bot.i18n import N_

MEETING_STATUS = {"proposed": N_("proposed"), "confirmed": N_("confirmed"), "held": N_("held"),
                  "mentee_absent": N_("mentee absent"), "mentor_absent": N_("mentor absent"),
                  "cancelled": N_("cancelled"), "postponed": N_("postponed"), "unconfirmed": N_("not confirmed")}
ALERT_STATUS = {"open": N_("open"), "acknowledged": N_("acknowledged"), "snoozed": N_("snoozed"),
                "resolved": N_("resolved"), "cleared": N_("cleared")}
# The table's columns: the key a header link sorts by, and its heading.
COLUMNS = {"code": N_("Code"), "mentor": N_("Mentor"), "mentee": N_("Mentee"), "status": N_("Status"),
           "end": N_("Planned end"), "last": N_("Last meeting"), "held": N_("Meetings held"),
           "plan": N_("Plan"), "checkins": N_("Check-ins"), "alerts": N_("Alerts")}
