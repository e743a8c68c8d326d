"""Text as people type it or spreadsheets hold it, made fit to store and to show: one function, used at
the edges (the chat's typed answers in conversations.awaited, the importer's cells).

`clean_text` composes accents (NFC), removes control characters (NUL fails on PostgreSQL) and the
invisible ones (zero-width spaces, soft hyphens, bidirectional overrides, Hangul fillers, a byte-order
mark…), and trims the whitespace around. A text made only of them comes back empty: the caller refuses
it as it refuses an empty one. The joiners that words and emoji need between two visible characters
(U+200C in Persian, U+200D in 👩‍💻) and the variation selectors after one (❤️) are kept.
"""
from __future__ import annotations

import unicodedata

JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner: kept between two visible characters
# Invisible characters that are not of the format category (Cf): combining grapheme joiner, Hangul
# fillers, Khmer inherent vowels, Mongolian free variation selectors, braille blank.
INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0")
LINE_BREAKS = frozenset("\n\r\u2028\u2029\x0b\x0c\x85")


def _variation_selector(char: str) -> bool:
    return "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"


def _invisible(char: str) -> bool:
    return char in INVISIBLE or unicodedata.category(char) in ("Cc", "Cf") or _variation_selector(char)


def _visible(char: str | None) -> bool:
    return char is not None and not char.isspace() and not _invisible(char)


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """`value` as stored: NFC, no control or invisible characters, no whitespace around ('' if nothing
    visible is left). One line unless `multiline`: then line breaks and tabs stay (a line break is
    "\\n"), and only the text's ends are trimmed; otherwise every run of whitespace is one space."""
    text = (value or "").replace("\r\n", "\n")
    kept: list[str] = []
    for index, char in enumerate(text):
        if char in LINE_BREAKS or char == "\t":
            kept.append(("\n" if char in LINE_BREAKS else "\t") if multiline else " ")
        elif not _invisible(char):
            kept.append(char)
        elif char in JOINERS:
            following = text[index + 1] if index + 1 < len(text) else None
            if kept and (_visible(kept[-1]) or _variation_selector(kept[-1])) and _visible(following):
                kept.append(char)
        elif _variation_selector(char) and kept and _visible(kept[-1]):
            kept.append(char)
    cleaned = unicodedata.normalize("NFC", "".join(kept))  # after: "e", a zero-width space, "\u0301" make "é"
    if multiline:
        cleaned = "\n".join(line.rstrip() for line in cleaned.split("\n")).strip()
    else:
        cleaned = " ".join(cleaned.split())
    return cleaned if any(_visible(char) for char in cleaned) else ""
