"""Values meant to be pasted into a spreadsheet, made safe to paste.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) is read by
Excel, LibreOffice and Google Sheets as a formula: a name imported as `=HYPERLINK(…)` would become
a link, `+cmd|' /C calc'!A0` a command. Everything the bot prints or writes for a spreadsheet goes
through `safe_cell`, which puts an apostrophe in front: the spreadsheet shows the value as text
(and hides the apostrophe). The database keeps the value as it was written.
"""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def looks_like_formula(value: str) -> bool:
    return value.startswith(FORMULA_STARTS)


def safe_cell(value: str) -> str:
    """The value as a spreadsheet should show it: text, never a formula."""
    return "'" + value if looks_like_formula(value) else value
