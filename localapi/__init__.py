"""Local Telegram Bot API server for tests and demos (no traffic to api.telegram.org).

``LocalBotApi`` serves the Bot API subset the bot uses on 127.0.0.1 and hosts simulated
people (``SimUser``, ``SimGroup``) whose actions become updates; ``BotMessage`` is what
they see of the bot's messages.
"""

from .errors import ApiError
from .faults import Fault
from .server import LocalBotApi
from .sim import SimGroup, SimUser
from .state import BotMessage

__all__ = ["ApiError", "BotMessage", "Fault", "LocalBotApi", "SimGroup", "SimUser"]
