"""The action plan from the chat (to be written: issue 5)."""
from __future__ import annotations

HANDLERS: list = []
