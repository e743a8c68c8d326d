"""Telegram text formatting: ``(text, parse_mode)`` -> ``(plain text, entities)``.

Why: Telegram refuses badly formatted HTML or MarkdownV2 with "can't parse entities" errors that
otherwise only show up in production (an unescaped "." in MarkdownV2, a stray "<" in HTML).
Re-implementing the parser rules here makes such bugs fail tests, and lets the simulated user
see the text as a person would (tags removed, entities decoded). Offsets are in UTF-16 units,
like the real API.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024


class ParseError(Exception):
    """The text could not be parsed; message is Telegram's wording."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def render(text: str, parse_mode: str | None, entities: list[dict] | None = None) -> tuple[str, list[dict]]:
    """Parse ``text`` like Telegram does, raising the Bot API's 400 error when it is malformed."""
    if entities is not None:
        if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
            raise bad_request("can't parse entities JSON object")
        return _strip(text, [dict(e) for e in entities])
    mode = (parse_mode or "").lower()
    try:
        if mode == "html":
            plain, found = parse_html(text)
        elif mode == "markdownv2":
            plain, found = parse_markdown_v2(text)
        elif mode == "markdown":
            plain, found = parse_markdown(text)
        elif mode:
            raise bad_request(f"unsupported parse_mode")
        else:
            plain, found = text, []
    except ParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    return _strip(plain, found)


def _strip(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Telegram trims leading/trailing whitespace of messages; keep entities aligned."""
    lead = utf16_len(text) - utf16_len(text.lstrip())
    stripped = text.strip()
    size = utf16_len(stripped)
    kept = []
    for ent in entities:
        start = max(0, ent["offset"] - lead)
        end = min(size, ent["offset"] - lead + ent["length"])
        if end > start:
            kept.append({**ent, "offset": start, "length": end - start})
    kept.sort(key=lambda e: (e["offset"], -e["length"]))
    return stripped, kept


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8"))


# ---------------------------------------------------------------- HTML
_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR = re.compile(r"""([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_HTML_ENTITY = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def parse_html(src: str) -> tuple[str, list[dict]]:
    out: list[str] = []
    pos = 0  # UTF-16 offset in the output
    stack: list[tuple[str, dict | None, int]] = []
    entities: list[dict] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch == "<":
            at = _byte_offset(src, i)
            if src.startswith("</", i):
                end = src.find(">", i)
                if end < 0:
                    raise ParseError(f"Unclosed end tag at byte offset {at}")
                name = src[i + 2:end].strip().lower()
                if not stack:
                    raise ParseError(f'Unexpected end tag at byte offset {at}')
                top, entity, start = stack[-1]
                if top != name:
                    raise ParseError(
                        f'Unmatched end tag at byte offset {at}, expected "</{top}>", found "</{name}>"'
                    )
                stack.pop()
                if entity is not None and pos > start:
                    entities.append({**entity, "offset": start, "length": pos - start})
                i = end + 1
                continue
            m = _NAME.match(src, i + 1)
            if not m:
                raise ParseError(f"Unexpected end of name token at byte offset {at}")
            name = m.group(0).lower()
            end, quote = m.end(), None
            while end < n and (src[end] != ">" or quote):
                if src[end] in "\"'":
                    quote = None if quote == src[end] else (quote or src[end])
                end += 1
            if end >= n:
                raise ParseError(f"Unclosed start tag at byte offset {at}")
            if name not in _HTML_TAGS:
                raise ParseError(f'Unsupported start tag "{name}" at byte offset {at}')
            attrs = {a.lower(): next((v for v in vals if v), "") for a, *vals in _ATTR.findall(src[m.end():end])}
            stack.append((name, _html_entity(name, attrs, stack, at), pos))
            i = end + 1
            continue
        if ch == "&":
            m = _HTML_ENTITY.match(src, i)
            if m:
                ref = m.group(1)
                char = _NAMED.get(ref) or chr(int(ref[2:], 16) if ref[1:2] == "x" else int(ref[1:]))
                out.append(char)
                pos += utf16_len(char)
                i = m.end()
                continue
        out.append(ch)
        pos += utf16_len(ch)
        i += 1
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), entities


def _html_entity(name: str, attrs: dict[str, str], stack: list, at: int) -> dict | None:
    kind = _HTML_TAGS[name]
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
    if name == "a":
        href = attrs.get("href", "")
        if not href:
            return None  # Telegram silently ignores links without href
        return {"type": kind, "url": _unescape(href)}
    if name == "code" and stack and stack[-1][0] == "pre" and attrs.get("class", "").startswith("language-"):
        pre = stack[-1][1]
        if pre is not None:
            pre["language"] = attrs["class"][len("language-"):]
        return None
    if name == "blockquote" and "expandable" in attrs:
        return {"type": "expandable_blockquote"}
    if name == "tg-emoji":
        return {"type": kind, "custom_emoji_id": attrs.get("emoji-id", "")}
    return {"type": kind}


def _unescape(value: str) -> str:
    return _HTML_ENTITY.sub(lambda m: parse_html(m.group(0))[0], value)


# ---------------------------------------------------------------- MarkdownV2
_MD2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD2_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
    "spoiler": "Spoiler", "code": "Code", "pre": "Pre", "text_link": "TextUrl",
    "blockquote": "BlockQuote",
}
_MD2_MARKS = [("```", "pre"), ("||", "spoiler"), ("__", "underline"), ("*", "bold"),
              ("_", "italic"), ("~", "strikethrough"), ("`", "code")]


def parse_markdown_v2(src: str) -> tuple[str, list[dict]]:
    out: list[str] = []
    pos = 0
    stack: list[dict] = []  # open entities: type, start (utf16), at (byte offset)
    entities: list[dict] = []
    quote_start: int | None = None
    i, n = 0, len(src)

    def emit(text: str) -> None:
        nonlocal pos
        out.append(text)
        pos += utf16_len(text)

    while i < n:
        ch = src[i]
        at = _byte_offset(src, i)
        in_code = bool(stack) and stack[-1]["type"] in ("code", "pre")
        line_start = i == 0 or src[i - 1] == "\n"
        if line_start and quote_start is not None and ch != ">" and not in_code:
            entities.append({"type": "blockquote", "offset": quote_start, "length": pos - quote_start - 1})
            quote_start = None
        if ch == "\\":
            if i + 1 < n and 0 < ord(src[i + 1]) < 127:
                emit(src[i + 1])
                i += 2
                continue
            emit(ch)
            i += 1
            continue
        if in_code:
            top = stack[-1]
            token = "```" if top["type"] == "pre" else "`"
            if src.startswith(token, i):
                stack.pop()
                if pos > top["start"]:
                    entities.append(_md_entity(top, pos))
                i += len(token)
            elif ch == "`":
                raise ParseError("Character '`' is reserved and must be escaped with the preceding '\\'")
            else:
                emit(ch)
                i += 1
            continue
        if ch == ">" and line_start:
            if quote_start is None:
                quote_start = pos
            i += 1
            continue
        mark = next(((m, kind) for m, kind in _MD2_MARKS if src.startswith(m, i)), None)
        if mark:
            token, kind = mark
            if stack and stack[-1]["type"] == kind:
                ent = stack.pop()
                if pos > ent["start"]:
                    entities.append(_md_entity(ent, pos))
                i += len(token)
                continue
            if any(e["type"] == kind for e in stack):
                raise ParseError(f"Can't find end of {_MD2_NAMES[stack[-1]['type']]} entity at byte offset {stack[-1]['at']}")
            ent = {"type": kind, "start": pos, "at": at}
            i += len(token)
            if kind == "pre":
                newline = src.find("\n", i)
                lang = src[i:newline] if newline >= 0 else ""
                if lang and re.fullmatch(r"[\w+#.-]+", lang):
                    ent["language"] = lang
                    i = newline + 1
                elif newline == i:
                    i += 1
            stack.append(ent)
            continue
        if ch == "[":
            stack.append({"type": "text_link", "start": pos, "at": at})
            i += 1
            continue
        if ch == "]" and stack and stack[-1]["type"] == "text_link":
            ent = stack.pop()
            if not src.startswith("(", i + 1):
                raise ParseError(f"Character ']' is reserved and must be escaped with the preceding '\\'")
            url, j = [], i + 2
            while j < n and src[j] != ")":
                if src[j] == "\\" and j + 1 < n:
                    j += 1
                url.append(src[j])
                j += 1
            if j >= n:
                raise ParseError(f"Can't find end of a URL at byte offset {_byte_offset(src, i + 1)}")
            if pos > ent["start"]:
                entities.append({"type": "text_link", "offset": ent["start"], "length": pos - ent["start"], "url": "".join(url)})
            i = j + 1
            continue
        if ch in _MD2_RESERVED:
            raise ParseError(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
        emit(ch)
        i += 1
    if stack:
        ent = stack[-1]
        raise ParseError(f"Can't find end of {_MD2_NAMES[ent['type']]} entity at byte offset {ent['at']}")
    if quote_start is not None and pos > quote_start:
        entities.append({"type": "blockquote", "offset": quote_start, "length": pos - quote_start})
    return "".join(out), entities


def _md_entity(ent: dict, pos: int) -> dict:
    out = {"type": ent["type"], "offset": ent["start"], "length": pos - ent["start"]}
    if "language" in ent:
        out["language"] = ent["language"]
    return out


# ---------------------------------------------------------------- legacy Markdown
_MD1 = re.compile(r"\*(.+?)\*|_(.+?)_|```(.+?)```|`(.+?)`|\[(.+?)\]\((.+?)\)", re.S)


def parse_markdown(src: str) -> tuple[str, list[dict]]:
    out: list[str] = []
    entities: list[dict] = []
    pos, i = 0, 0
    for m in _MD1.finditer(src):
        plain = src[i:m.start()]
        _check_md1_unclosed(src, i, m.start())
        out.append(plain)
        pos += utf16_len(plain)
        bold, italic, pre, code, label, url = m.groups()
        inner = next(g for g in (bold, italic, pre, code, label) if g is not None)
        kind = "bold" if bold else "italic" if italic else "pre" if pre else "code" if code else "text_link"
        ent = {"type": kind, "offset": pos, "length": utf16_len(inner)}
        if url:
            ent["url"] = url
        entities.append(ent)
        out.append(inner)
        pos += utf16_len(inner)
        i = m.end()
    _check_md1_unclosed(src, i, len(src))
    out.append(src[i:])
    return "".join(out), entities


def _check_md1_unclosed(src: str, start: int, end: int) -> None:
    for j in range(start, end):
        if src[j] in "*_`[":
            raise ParseError(f"Can't find end of the entity starting at byte offset {_byte_offset(src, j)}")


# ---------------------------------------------------------------- incoming text
_COMMAND = re.compile(r"(?:(?<=\s)|^)/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?(?![^\s])")


def command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities Telegram attaches to a user's message."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[:m.start()]), "length": utf16_len(m.group(0))}
        for m in _COMMAND.finditer(text)
    ]
