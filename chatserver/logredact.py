"""Tokens, secrets and email addresses never reach a log.

Installed once as the log record factory, so it covers every logger (ours, aiohttp's,
python-socketio's) and every handler: a record's message is formatted, then email
addresses become ``[email]`` and anything that looks like a token (a run of 40 or more
URL-safe base64 characters, with any dotted parts before it) becomes ``[token]``.
Passwords are never passed to a logger in the first place.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TOKEN = re.compile(r"(?:[\w-]+\.){0,6}[A-Za-z0-9_-]{40,}={0,2}")

_installed = False


def redact(text: str) -> str:
    return _TOKEN.sub("[token]", _EMAIL.sub("[email]", text))


def install() -> None:
    """Make every log record from now on redacted (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it later, as usual
            return record
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)
