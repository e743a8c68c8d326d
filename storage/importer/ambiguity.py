"""Checking rows, a part apart: "mentore" read as the role its pair is missing, when that is the only reading
(storage/importer/checking.py calls it with the rows grouped by pair)."""
from __future__ import annotations

from storage.importer.problems import ImportReport, Problem, rows_param
from storage.importer.values import AMBIGUOUS, make_import_key
from storage.models import Binome, Participant, Role


def resolve_ambiguous_roles(pairs: dict[str, list], existing_binomes: dict[str, Binome],
                            existing_people: dict[int, Participant], report: ImportReport) -> None:
    """Read "mentore" as the role the pair is missing, when that is the only possible reading."""
    resolved: dict[tuple[str, Role], list[int]] = {}
    for pair_key, members in pairs.items():
        ambiguous = [r for r in members if r.role == AMBIGUOUS]
        if not ambiguous:
            continue
        clear = {r.role for r in members if r.role != AMBIGUOUS}
        binome = existing_binomes.get(pair_key)
        choice: Role | None = None
        if len(ambiguous) == 1:
            r = ambiguous[0]
            if binome is not None:
                # The existing pair says who is who: the row must be one of its two people.
                for role, pid in ((Role.MENTOR, binome.mentor_id), (Role.MENTEE, binome.mentee_id)):
                    person = existing_people.get(pid)
                    if role not in clear and person is not None and \
                            person.import_key == make_import_key(r.pair, role, r.first_name, r.last_name):
                        choice = role
            else:
                missing = {Role.MENTOR, Role.MENTEE} - clear
                if len(missing) == 1 and len(clear) == 1:
                    choice = missing.pop()
        if choice is None:
            for r in ambiguous:
                report.error(r.row, Problem.AMBIGUOUS_ROLE, value=r.role_value)
            continue
        r = ambiguous[0]
        r.role = choice
        resolved.setdefault((r.role_value, choice), []).append(r.row)
    for (value, role), numbers in sorted(resolved.items(), key=lambda item: min(item[1])):
        report.warn(None, Problem.AMBIGUOUS_ROLE_RESOLVED, value=value, role=role, rows=rows_param(numbers))
