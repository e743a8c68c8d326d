"""A programme's competence framework ("référentiel", docs/tutoring.md): read from a CSV file (code, label,
optional group), checked row by row, written all or nothing.

The file's first line names the columns (`code`; `label`, `libellé`, `compétence`, `competence`; `group`,
`groupe`, `domaine`, `bloc`), in any order, in UTF-8 (with or without BOM) or Windows-1252, separated by
semicolons, commas or tabs. A code already imported keeps its competence (its label and group follow the
file); a competence missing from a later file is no longer asked, and its past ratings stay.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlmodel import Session, select

from storage.audit import record
from storage.importer.values import clean, fold
from storage.models import Competence, Programme

COLUMNS = {"code": ("code", "code competence", "id"),
           "label": ("label", "libelle", "competence", "intitule", "name", "nom"),
           "group": ("group", "groupe", "domaine", "bloc", "category", "categorie")}
MAX_CODE, MAX_LABEL, MAX_GROUP, MAX_ROWS = 32, 200, 80, 200


@dataclass
class CompetenceReport:
    """Problems by row (codes and values, for bot/ to word), and what was written."""

    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (row, code, value)
    added: int = 0
    updated: int = 0
    retired: int = 0

    def error(self, row: int, code: str, value: str = "") -> None:
        self.problems.append((row, code, value))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_competences(data: bytes, report: CompetenceReport) -> list[tuple[int, str, str, str | None]]:
    """The file's rows as (row number, code, label, group), or [] with the problems in `report`."""
    text = _decode(data)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max(";,\t", key=first.count) if first else ";"
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        report.error(1, "empty")
        return []
    header = [fold(cell) for cell in rows[0]]
    where = {name: next((i for i, cell in enumerate(header) if cell in names), None)
             for name, names in COLUMNS.items()}
    for name in ("code", "label"):
        if where[name] is None:
            report.error(1, "missing_column", name)
    if report.problems:
        return []
    found, seen = [], {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(rows[0]):
            report.error(number, "cells", str(len(row)))
            continue
        code, label = clean(row[where["code"]]), clean(row[where["label"]])
        group = clean(row[where["group"]]) if where["group"] is not None else ""
        if not code:
            report.error(number, "no_code")
        elif len(code) > MAX_CODE:
            report.error(number, "code_too_long", code[:MAX_CODE])
        elif fold(code) in seen:
            report.error(number, "duplicate", code)
        if not label:
            report.error(number, "no_label", code)
        elif len(label) > MAX_LABEL:
            report.error(number, "label_too_long", code)
        if len(group) > MAX_GROUP:
            report.error(number, "group_too_long", code)
        seen.setdefault(fold(code), number)
        found.append((number, code, label, group or None))
    if len(found) > MAX_ROWS:
        report.error(MAX_ROWS + 2, "too_many", str(MAX_ROWS))
    return [] if report.problems else found


def import_competences(*, session: Session, programme: Programme, data: bytes, now,
                       dry_run: bool = False) -> CompetenceReport:
    """Check the whole file, then write it (unless a row is wrong, or `dry_run`)."""
    report = CompetenceReport()
    rows = read_competences(data, report)
    if report.problems or dry_run:
        return report
    existing = {c.code: c for c in session.exec(select(Competence).where(
        Competence.programme_id == programme.id)).all()}
    kept = set()
    for position, (_, code, label, group) in enumerate(rows):
        competence = existing.get(code)
        if competence is None:
            competence = Competence(programme_id=programme.id, code=code, label=label, group=group)
            report.added += 1
        elif (competence.label, competence.group, competence.active, competence.position) != (
                label, group, True, position):
            report.updated += 1
        competence.label, competence.group, competence.position, competence.active = label, group, position, True
        session.add(competence)
        kept.add(code)
    for code, competence in existing.items():
        if code not in kept and competence.active:
            competence.active = False
            session.add(competence)
            report.retired += 1
    record(session=session, at=now, programme_id=programme.id, actor="cli", action="competences.imported",
           subject=f"programme:{programme.id}",
           details={"added": report.added, "updated": report.updated, "retired": report.retired})
    return report


def framework(*, session: Session, programme_id: int) -> list[Competence]:
    """The competences asked today, in the file's order."""
    return list(session.exec(select(Competence).where(Competence.programme_id == programme_id, Competence.active)
                             .order_by(Competence.position, Competence.id)).all())
