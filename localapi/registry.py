"""The table of Bot API methods: name -> function, matched case-insensitively like Telegram.

Why: the methods live in several modules (methods.py, messages.py), each filling its own table
with ``@method("name")``; server.py looks a request up in the union of those tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable

if TYPE_CHECKING:
    from .server import LocalBotApi

Method = Callable[["LocalBotApi", dict, dict], Awaitable[Any]]


class MethodTable:
    """Lower-case method name -> (canonical name, function)."""

    def __init__(self, *tables: MethodTable) -> None:
        self.by_name: dict[str, tuple[str, Method]] = {}
        for table in tables:
            self.by_name.update(table.by_name)

    def register(self, name: str) -> Callable[[Method], Method]:
        def register(fn: Method) -> Method:
            self.by_name[name.lower()] = (name, fn)
            return fn
        return register

    def lookup(self, name: str) -> tuple[str, Method] | None:
        return self.by_name.get(name.lower())
