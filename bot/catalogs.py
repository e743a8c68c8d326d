"""Keep the catalogs complete: extract every message from the code and compare with each `.po`.

`python -m bot.catalogs update` refreshes locales/binome.pot and merges it into each catalog;
`python -m bot.catalogs check` lists what is missing, untranslated, fuzzy or obsolete (exit 1).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LOCALES_DIR, available_languages, catalog_path

ROOT = LOCALES_DIR.parent
SOURCES = ("bot", "conversations", "storage", "miniapp")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "tr": None, "pgettext": ((1, "c"), 2),
            "NC_": ((1, "c"), 2)}
MAPPING = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
SOURCE_LANGUAGE = "en"
PLACEHOLDER = re.compile(r"\{[A-Za-z_0-9]*(?:![rsa])?(?::[^{}]*)?\}")
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _placeholder_problem(message, entry) -> str | None:
    """A translation must set in exactly the msgid's values (a plural form may leave out the count)."""
    sources = [message.id] if isinstance(message.id, str) else list(message.id)
    wanted = set().union(*(placeholders(text) for text in sources))
    forms = [entry.string] if isinstance(entry.string, str) else list(entry.string)
    for form in forms:
        got = placeholders(form)
        if not got <= wanted or (isinstance(message.id, str) and got != wanted):
            return f"placeholders {sorted(got)} instead of {sorted(wanted)}"
    return None


def _command_problems(language: str, catalog) -> list[str]:
    """Command names (context "command"): latin letters, digits, "_"; no name for two commands in any language."""
    found = []
    for entry in catalog:
        if entry.context == "command" and entry.string and not COMMAND_NAME.match(entry.string):
            found.append(f"{language}: command name {entry.string!r} for /{entry.id} is not a valid Telegram command")
    return found


def extract(root: Path = ROOT) -> Catalog:
    """Every translatable message in the code, with where it is used."""
    catalog = Catalog(project="binome", domain=DOMAIN)
    for folder in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
            root / folder, method_map=MAPPING, keywords=KEYWORDS, comment_tags=("Translators:",),
            strip_comment_tags=True,
        ):
            catalog.add(message, None, [(f"{folder}/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def problems(locales_dir: Path = LOCALES_DIR, root: Path = ROOT) -> list[str]:
    """What is wrong with the catalogs, one line each; empty when all is well."""
    template = extract(root)
    found: list[str] = []
    languages = sorted(p.parent.parent.name for p in locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    commands = {m.id: m.id for m in template if m.context == "command"}  # every name works in every language
    for required in ("fr", "en"):
        if required not in languages:
            found.append(f"{required}: catalog missing")
    for language in languages:
        with catalog_path(language, locales_dir).open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in template:
            if not message.id:
                continue
            entry = catalog.get(message.id, context=message.context)
            key = message.id if isinstance(message.id, str) else message.id[0]
            key = f"{message.context}|{key}" if message.context else key
            if entry is None:
                found.append(f"{language}: missing {key!r}")
            elif entry.fuzzy:
                found.append(f"{language}: fuzzy {key!r}")
            elif not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
                found.append(f"{language}: untranslated {key!r}")
            elif (problem := _placeholder_problem(message, entry)) is not None:
                found.append(f"{language}: {problem} in {key!r}")
            elif message.context == "command":
                owner = commands.setdefault(entry.string, message.id)
                if owner != message.id:
                    found.append(f"{language}: the command name {entry.string!r} is both /{owner} and /{message.id}")
        found += _command_problems(language, catalog)
        for entry in catalog:
            if entry.id and template.get(entry.id, context=entry.context) is None:
                key = entry.id if isinstance(entry.id, str) else entry.id[0]
                found.append(f"{language}: obsolete {key!r}")
    return found


def update(locales_dir: Path = LOCALES_DIR) -> None:
    """Write the template and merge it into every catalog (new messages arrive untranslated)."""
    template = extract()
    with (locales_dir / f"{DOMAIN}.pot").open("wb") as handle:
        write_po(handle, template, width=100, sort_output=False, omit_header=False)
    for language in available_languages(locales_dir):
        path = catalog_path(language, locales_dir)
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if language == SOURCE_LANGUAGE:  # the code is written in English: its catalog is the source text
            for message in catalog:
                empty = not message.string or (isinstance(message.string, tuple) and not all(message.string))
                if message.id and empty:
                    message.string = message.id
                    message.flags.discard("fuzzy")
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100)


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else "check"
    if action == "update":
        update()
    issues = problems()
    for line in issues:
        print(line)
    sys.exit(1 if issues and action == "check" else 0)
