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
are written; the others fill only what it leaves empty: `extra`).

Memory: a large file's rows are not all compared. Hashes of what two people may share (e-mail, phone,
name and role) are counted first, in an array; only the rows that can be joined to another one
become nodes, and only their values are read again from the file. A name shared by people who all
have an e-mail address of their own joins nobody (two e-mails tell them apart), so it makes no node.
"""
from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise

from sqlmodel import Session, select

from storage.importer.problems import ImportReport, Problem, rows_param
from storage.importer.values import key_part
from storage.models import Participant, Programme, Role


@dataclass(slots=True)
class _Node:
    """A file row (`row` set) or a participant already in the database (`existing` set)."""
    role: Role
    name: str
    emails: tuple[str, ...]  # tuples, not frozensets: one node per row of a large file, kept small
    phones: tuple[str, ...]
    row: object | None = None
    existing: str | None = None  # its import key
    values: dict | None = None  # a row's values, read again from the file
    # What the component (when this node is its root) holds and how it was joined.
    rows: tuple = ()
    named_rows: bool = False  # two of its rows joined by name alone
    named_existing: bool = False  # joined to an existing participant by name alone
    contact_existing: bool = False  # joined to an existing participant by e-mail or phone


def email_key(value: object) -> str | None:
    return str(value).strip().casefold() or None if value else None


def phone_key(value: object) -> str | None:
    digits = "".join(c for c in str(value or "") if c.isdigit())
    return (digits[-9:] if len(digits) >= 9 else digits) or None


def _keys(key: str | None) -> tuple[str, ...]:
    return (key,) if key else ()


def _merged(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(a) | set(b))) if b else a


def _mark(kind: str, value: str | None) -> int:
    """A hash of what two people may share (0: nothing); a hash collision only adds a node that joins
    nobody (the nodes compare the values themselves)."""
    return (hash((kind, value)) or 1) if value else 0


def _name_mark(first: str, last: str, role: object) -> int:
    name = _name(first, last)
    return (hash(("n", name, str(role))) or 1) if name else 0


class Contacts:
    """Each row's e-mail and phone, as two hashes by row number (16 bytes a row, no strings kept)."""

    def __init__(self) -> None:
        self._marks = array("q")

    def add(self, row: int, email: object, phone: object) -> None:
        missing = 2 * row + 2 - len(self._marks)
        if missing > 0:
            self._marks.extend([0] * missing)
        self._marks[2 * row] = _mark("e", email_key(email))
        self._marks[2 * row + 1] = _mark("p", phone_key(phone))

    def get(self, row: int) -> tuple[int, int]:
        if 2 * row + 1 >= len(self._marks):
            return 0, 0
        return self._marks[2 * row], self._marks[2 * row + 1]


def _shared(marks: array) -> set[int]:
    """The marks that occur more than once (sorted for a moment, rather than counted in a dict of all)."""
    return {a for a, b in pairwise(sorted(marks)) if a == b and a}


def _name(first: str, last: str) -> str:
    # interned: many people share a name, and each row's node holds it
    return sys.intern(f"{key_part(first)}|{key_part(last)}") if key_part(last) else ""  # no last name: no guess


def resolve_people(*, session: Session, programme: Programme, rows: list, contacts: Contacts,
                   report: ImportReport, values: Callable[[Iterable[int]], dict[int, dict]]) -> None:
    """Set `person`, `lead` (and a lead's `extra`) on every row; report the guesses and the conflicts.

    `contacts` holds the rows' e-mail and phone hashes; `values` reads chosen rows' values again."""
    for r in rows:
        r.person, r.lead = r.key, True
    members = [r for r in rows if r.role != Role.COORDINATOR and r.first_name]
    if not members:
        return
    found = [(p, _mark("e", email_key(p.email)), _mark("p", phone_key(p.phone)),
              _name_mark(p.first_name, p.last_name, Role(p.role))) for p in _existing(session, programme)]
    # Only what may be someone else's too is compared (memory: 100,000 distinct rows make no node).
    every = array("q")
    for r in members:
        every.extend((*contacts.get(r.row), _name_mark(r.first_name, r.last_name, r.role)))
    for _, email, phone, name in found:
        every.extend((email, phone, name))
    shared = _shared(every)
    del every
    weak = {_name_mark(r.first_name, r.last_name, r.role) for r in members if not contacts.get(r.row)[0]}
    weak |= {name for _, email, _, name in found if not email}  # names borne by someone without an e-mail
    keys = {p.import_key for p, *_ in found}
    file_keys = {r.key for r in members} if found else set()

    def joinable(email: int, phone: int, name: int) -> bool:
        # Two people who each have an e-mail address are one only by that address (see _compatible):
        # a name shared by such people alone joins nobody.
        return email in shared or phone in shared or (name in shared and name in weak)

    chosen = [r for r in members
              if r.key in keys or joinable(*contacts.get(r.row), _name_mark(r.first_name, r.last_name, r.role))]
    read = values(r.row for r in chosen) if chosen else {}
    nodes = [_Node(role=r.role, name=_name(r.first_name, r.last_name),
                   emails=_keys(email_key(read[r.row].get("email"))), phones=_keys(phone_key(read[r.row].get("phone"))),
                   row=r, rows=(r,), values=read[r.row])
             for r in chosen]
    for p, email, phone, name in found:
        if p.import_key in file_keys or joinable(email, phone, name):
            nodes.append(_Node(role=Role(p.role), name=_name(p.first_name, p.last_name),
                               emails=_keys(email_key(p.email)), phones=_keys(phone_key(p.phone)),
                               existing=p.import_key))
    del shared, weak, keys, file_keys, found, chosen, read
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
        root.emails = _merged(root.emails, other.emails)
        root.phones = _merged(root.phones, other.phones)
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
    seen: dict[str, dict[str, int]] = {"e": {}, "p": {}}  # e-mails, phones -> the first node with it
    for i, n in enumerate(nodes):
        for kind, contact in [("e", e) for e in n.emails] + [("p", p) for p in n.phones]:
            if contact not in seen[kind]:
                seen[kind][contact] = i
                continue
            j = seen[kind][contact]
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
    return not (a.emails and b.emails and not set(a.emails) & set(b.emails)) and \
        not (a.phones and b.phones and not set(a.phones) & set(b.phones))


def _settle(nodes: list[_Node], find, report: ImportReport) -> None:
    values = {n.row.row: n.values for n in nodes if n.row is not None}  # the rows' values, read again
    for i, n in enumerate(nodes):
        if find(i) != i or not n.rows:
            continue
        rows = sorted(n.rows, key=lambda r: r.row)
        person = n.existing or rows[0].key
        lead = next((r for r in rows if r.key == person), rows[0])
        own = values[lead.row]
        extra: dict = {}
        for r in rows:
            r.person, r.lead = person, r is lead
            if r is not lead:
                for name, value in values[r.row].items():
                    if name not in own:
                        extra.setdefault(name, value)
        if extra:
            lead.extra = extra
            lead.language = own.get("language") or extra.get("language")
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
    return session.exec(
        select(Participant.import_key, Participant.role, Participant.first_name, Participant.last_name,
               Participant.email, Participant.phone)
        .where(Participant.programme_id == programme.id, Participant.role != Role.COORDINATOR)
        .order_by(Participant.id)
    ).all()
