"""Date patterns shared by the flows. Patterns are the translators' business: each language orders
day, month and weekday its own way (CLDR patterns, formatted by Babel in the reader's timezone)."""
from __future__ import annotations

from bot.i18n import N_, Translator

# Translators: a CLDR date pattern for a full weekday and date, e.g. "Tuesday, October 27".
LONG_DAY = N_("EEEE, MMMM d")
# Translators: a CLDR date pattern for a short weekday and date, on a button, e.g. "Tue, Oct 27".
SHORT_DAY = N_("EEE, MMM d")
# Translators: a CLDR date pattern for a short date, e.g. "Sep 7".
DAY = N_("MMM d")


def long_day(tr: Translator, day) -> str:
    return tr.date(day, tr(LONG_DAY))


def short_day(tr: Translator, day) -> str:
    return tr.date(day, tr(SHORT_DAY))
