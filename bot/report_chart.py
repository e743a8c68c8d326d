"""The report's PNG chart (matplotlib, headless: the Agg backend, no display needed), drawn to be read on a
phone: one column of three panels, large type. Binômes under way by month, meetings held and missed by
month, and how binômes ended (the outcomes under the anonymity floor are named, not drawn)."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, no window, the same on a server and in CI

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator  # noqa: E402 - after the backend is chosen

from bot.i18n import Translator  # noqa: E402
from bot.outcomes import outcome_name  # noqa: E402
from storage.indicators import MASKED, Month  # noqa: E402
from storage.models import Programme  # noqa: E402

HELD_COLOUR, MISSED_COLOUR, ACTIVE_COLOUR, OUTCOME_COLOUR = "#2e7d32", "#c62828", "#1565c0", "#6a1b9a"


def month_label(tr: Translator, month: Month) -> str:
    return tr.date(month.first, "MMM yy")


def chart_png(tr: Translator, programme: Programme, months: list[Month], exits: dict[str, object],
              title: str) -> bytes:
    """The three panels as PNG bytes (900 × 1500 pixels)."""
    figure = Figure(figsize=(6, 10), dpi=150, layout="constrained")
    active, meetings, outcomes = figure.subplots(3, 1)
    figure.suptitle(title, fontsize=12)
    labels = [month_label(tr, m) for m in months]
    positions = list(range(len(months)))

    active.plot(positions, [m.active for m in months], marker="o", color=ACTIVE_COLOUR, linewidth=2)
    active.set_title(tr("Binômes under way at the end of each month"), fontsize=11)
    active.set_ylim(bottom=0)

    width = 0.4
    meetings.bar([p - width / 2 for p in positions], [m.held for m in months], width, color=HELD_COLOUR,
                 label=tr("held"))
    meetings.bar([p + width / 2 for p in positions], [m.missed for m in months], width, color=MISSED_COLOUR,
                 label=tr("missed"))
    meetings.set_title(tr("Meetings by month"), fontsize=11)
    meetings.legend(fontsize=9)
    for axis in (active, meetings):
        axis.set_xticks(positions, labels, rotation=45, ha="right", rotation_mode="anchor", fontsize=8)
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: 0, 1, 2…, never 0.25
        axis.grid(axis="y", alpha=0.3)

    shown = [(outcome_name(tr, code), n) for code, n in exits.items() if n != MASKED]
    hidden = [outcome_name(tr, code) for code, n in exits.items() if n == MASKED]
    outcomes.set_title(tr("How binômes ended"), fontsize=11)
    if shown:
        outcomes.barh([name for name, _ in shown][::-1], [n for _, n in shown][::-1], color=OUTCOME_COLOUR)
        outcomes.tick_params(axis="y", labelsize=8)
        outcomes.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        outcomes.set_axis_off()
        empty = (tr("Fewer than 5 closures per outcome:\nnot drawn, to keep them anonymous.") if hidden
                 else tr("No closure shown in this period."))
        outcomes.text(0.5, 0.5, empty, ha="center", va="center", transform=outcomes.transAxes, wrap=True)
    if hidden and shown:
        outcomes.set_xlabel(tr("Fewer than 5 each (not drawn): {names}").format(names=", ".join(hidden)),
                            fontsize=8, wrap=True)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
