"""The /progress chart (matplotlib, headless): competences reached ("on my own" or more) round after round,
by the mentee's own view and by the mentor's, drawn small to be read on a phone."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, no window, the same on a server and in CI

from matplotlib.figure import Figure  # noqa: E402 - after the backend is chosen

from bot.i18n import Translator  # noqa: E402

MENTEE_COLOUR, MENTOR_COLOUR = "#1565c0", "#2e7d32"


def progress_png(tr: Translator, history: list[tuple[int, object, int, int | None]], total: int, *, mentee: str,
                 mentor: str) -> bytes:
    """One panel, 900 × 600 pixels: a line per view over the rounds (the mentor's only where given)."""
    figure = Figure(figsize=(6, 4), dpi=150, layout="constrained")
    axis = figure.subplots()
    rounds = [str(number) for number, *_ in history]
    axis.plot(rounds, [own for _, _, own, _ in history], marker="o", color=MENTEE_COLOUR, linewidth=2,
              label=tr("{name}'s own view").format(name=mentee))
    given = [(str(number), view) for number, _, _, view in history if view is not None]
    if given:
        axis.plot([r for r, _ in given], [v for _, v in given], marker="s", color=MENTOR_COLOUR, linewidth=2,
                  linestyle="--", label=tr("{name}'s view").format(name=mentor))
    axis.set_title(tr("Competences reached (on my own or more), out of {total}").format(total=total), fontsize=11)
    axis.set_xlabel(tr("Self-evaluation round"), fontsize=9)
    axis.set_ylim(0, max(total, 1))
    axis.grid(axis="y", alpha=0.3)
    axis.legend(fontsize=9, loc="lower right")
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
