import os

# python-telegram-bot 22 reports `retry_after` as a timedelta when asked to (its future default).
os.environ.setdefault("PTB_TIMEDELTA", "1")
