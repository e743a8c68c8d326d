"""One person in several pairs: which rows of the file (and which people already imported) are the
same person, so that a mentor with two mentees is one participant in two binômes, with one invitation.

Rows are the same person when they share an e-mail address (case ignored) or a phone number (its last
nine digits: "+32 470 12 34 56", "0032470123456" and "0470 12 34 56" are one number), or, failing
that, the same first and last name (case, accents and spacing ignored) with no e-mail or phone telling
them apart: that is a guess, and the report lists it as a warning with the rows. A person keeps one
role: the same e-mail or phone on a mentor's row and a mentee's row is an error. Two people already
in the database are never merged, and coordinators are left out (they belong to no pair).

Each row gets `person` (the import key of the participant it stands for: the one already in the
database, else the key of the person's first row) and `lead` (the one row of a person whose values
are written; the others fill only what it leaves empty).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session, select

from storage.importer.problems import ImportReport, Problem, rows_param
from storage.importer.values import key_part
from storage.models import Participant, Programme, Role


@dataclass(slots=True)
class _Node:
    """A file row (`row` set) or a participant already in the database (`existing` set)."""
    role: Role
    name: str
    emails: frozenset[str]
    phones: frozenset[str]
    row: object | None = None
    existing: str | None = None  # its import key
    # What the component (when this node is its root) holds and how it was joined.
    rows: list = field(default_factory=list)
    named_rows: bool = False  # two of its rows joined by name alone
    named_existing: bool = False  # joined to an existing participant by name alone
    contact_existing: bool = False  # joined to an existing participant by e-mail or phone


def email_key(value: object) -> str | None:
    return str(value).strip().casefold() or None if value else None


def phone_key(value: object) -> str | None:
    digits = "".join(c for c in str(value or "") if c.isdigit())
    return (digits[-9:] if len(digits) >= 9 else digits) or None


def _keys(key: str | None) -> frozenset[str]:
    return frozenset((key,)) if key else frozenset()


def _marks(first: str, last: str, email: object, phone: object) -> list[int]:
    """Hashes of what two people may share: e-mail, phone, name (a hash collision only adds a node)."""
    return [hash((kind, value)) for kind, value in
            (("e", email_key(email)), ("p", phone_key(phone)), ("n", _name(first, last))) if value]


def _name(first: str, last: str) -> str:
    return f"{key_part(first)}|{key_part(last)}" if key_part(last) else ""  # no last name: never a guess


def resolve_people(*, session: Session, programme: Programme, rows: list, report: ImportReport) -> None:
    """Set `person` and `lead` on every row; report the guesses and the conflicts."""
    for r in rows:
        r.person, r.lead = r.key, True
    members = [r for r in rows if r.role != Role.COORDINATOR and r.first_name]
    if not members:
        return
    existing = _existing(session, programme)
    # Only what may be someone else's too is compared (memory: 100,000 distinct rows make no node).
    marks: Counter[int] = Counter()
    for r in members:
        marks.update(_marks(r.first_name, r.last_name, r.optional.get("email"), r.optional.get("phone")))
    for p in existing:
        marks.update(_marks(p.first_name, p.last_name, p.email, p.phone))
    keys = {p.import_key for p in existing}
    file_keys = {r.key for r in members}

    def shared(first, last, email, phone) -> bool:
        return any(marks[m] > 1 for m in _marks(first, last, email, phone))

    nodes = [_Node(role=r.role, name=_name(r.first_name, r.last_name),
                   emails=_keys(email_key(r.optional.get("email"))),
                   phones=_keys(phone_key(r.optional.get("phone"))), row=r, rows=[r])
             for r in members if r.key in keys or shared(r.first_name, r.last_name, r.optional.get("email"),
                                                          r.optional.get("phone"))]
    for p in existing:
        if p.import_key in file_keys or shared(p.first_name, p.last_name, p.email, p.phone):
            nodes.append(_Node(role=Role(p.role), name=_name(p.first_name, p.last_name),
                               emails=_keys(email_key(p.email)), phones=_keys(phone_key(p.phone)),
                               existing=p.import_key))
    del marks, keys, file_keys
    parent = list(range(len(nodes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def joinable(a: _Node, b: _Node) -> bool:
        return a.role == b.role and not (a.existing and b.existing and a.existing != b.existing)

    def union(i: int, j: int) -> bool:
        a, b = find(i), find(j)
        if a == b:
            return True
        root, other = nodes[a], nodes[b]
        if not joinable(root, other):
            return False
        root.rows += other.rows
        root.emails = root.emails | other.emails
        root.phones = root.phones | other.phones
        root.existing = root.existing or other.existing
        root.named_rows |= other.named_rows
        root.named_existing |= other.named_existing
        root.contact_existing |= other.contact_existing
        parent[b] = a
        return True

    # The same import key: the row stands for that participant, certainly.
    by_key = {n.existing: i for i, n in enumerate(nodes) if n.existing}
    for i, n in enumerate(nodes):
        if n.row is not None and n.row.key in by_key:
            union(by_key[n.row.key], i)
    # The same e-mail or phone: the same person; with two roles, an error.
    conflicts: dict[tuple[int, int], None] = {}
    seen: dict[tuple[str, str], int] = {}
    for i, n in enumerate(nodes):
        for contact in [("e", e) for e in sorted(n.emails)] + [("p", p) for p in sorted(n.phones)]:
            if contact not in seen:
                seen[contact] = i
                continue
            j = seen[contact]
            a, b = nodes[find(j)], nodes[find(i)]
            if find(i) == find(j):
                continue
            if a.role != b.role:
                conflicts[(min(find(i), find(j)), max(find(i), find(j)))] = None
                continue
            existing_joined = bool(a.existing) != bool(b.existing)
            if union(j, i) and existing_joined:
                nodes[find(i)].contact_existing = True
    for a, b in conflicts:
        numbers = sorted(r.row for r in nodes[find(a)].rows + nodes[find(b)].rows)
        if numbers:
            report.error(numbers[-1], Problem.MENTOR_AND_MENTEE, rows=rows_param(set(numbers)))
    # The same first and last name, nothing telling them apart: a guess.
    named: dict[tuple[str, Role], list[int]] = {}
    for i, n in enumerate(nodes):
        if not n.name:
            continue
        earlier = named.setdefault((n.name, n.role), [])
        for j in earlier:
            a, b = nodes[find(j)], nodes[find(i)]
            if find(i) == find(j) or not _compatible(a, b):
                continue
            by_existing = bool(a.existing) != bool(b.existing)
            rows_only = not a.existing and not b.existing
            if union(j, i):
                root = nodes[find(i)]
                root.named_existing |= by_existing
                root.named_rows |= rows_only or (bool(a.rows) and bool(b.rows))
                break
        earlier.append(i)
    _settle(nodes, find, report)


def _compatible(a: _Node, b: _Node) -> bool:
    """Nothing says they are two people: no two different e-mails, no two different phones."""
    return not (a.emails and b.emails and not a.emails & b.emails) and \
        not (a.phones and b.phones and not a.phones & b.phones)


def _settle(nodes: list[_Node], find, report: ImportReport) -> None:
    for i, n in enumerate(nodes):
        if find(i) != i or not n.rows:
            continue
        rows = sorted(n.rows, key=lambda r: r.row)
        person = n.existing or rows[0].key
        lead = next((r for r in rows if r.key == person), rows[0])
        for r in rows:
            r.person, r.lead = person, r is lead
            if r is not lead:
                for name, value in r.optional.items():
                    lead.optional.setdefault(name, value)
        numbers = rows_param(r.row for r in rows)
        new_rows = [r.row for r in rows if r.key != person]
        if n.named_existing and new_rows:
            report.warn(None, Problem.SAME_NAME_AS_EXISTING, rows=rows_param(new_rows))
        elif n.named_rows:
            report.warn(None, Problem.SAME_NAME_GUESSED, rows=numbers)
        elif n.contact_existing and new_rows and len(rows) == 1:
            report.warn(None, Problem.SAME_AS_EXISTING, rows=rows_param(new_rows))
        if len(rows) > 1 and not n.named_rows and not n.named_existing:
            report.warn(None, Problem.SAME_PERSON_SEVERAL_PAIRS, rows=numbers)


def _existing(session: Session, programme: Programme):
    """The programme's mentors and mentees already imported: only the columns compared."""
    return session.exec(  # a list: walked twice
        select(Participant.import_key, Participant.role, Participant.first_name, Participant.last_name,
               Participant.email, Participant.phone)
        .where(Participant.programme_id == programme.id, Participant.role != Role.COORDINATOR)
        .order_by(Participant.id)
    ).all()
