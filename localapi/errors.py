"""Bot API error responses, shaped exactly like Telegram's.

Why: python-telegram-bot maps the HTTP status and the ``description``/``parameters`` of an error
body onto its exception classes (BadRequest, Forbidden, RetryAfter, Conflict...). Raising
``ApiError`` anywhere in a method handler lets the server answer with the real wire format.
"""

from __future__ import annotations

import math
from typing import Any


class ApiError(Exception):
    """An error the Bot API would return: HTTP status == ``error_code``."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    return ApiError(403, f"Forbidden: {message}")


def too_many_requests(retry_after: float) -> ApiError:
    seconds = max(1, math.ceil(retry_after))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


UNAUTHORIZED = ApiError(401, "Unauthorized")
NOT_FOUND = ApiError(404, "Not Found")
WEBHOOK_CONFLICT = ApiError(
    409,
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first",
)
POLL_CONFLICT = ApiError(
    409,
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
)
CHAT_NOT_FOUND = "chat not found"
BLOCKED = "bot was blocked by the user"
