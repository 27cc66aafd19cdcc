"""One error hierarchy for the whole server.

Every error a client can see carries a stable ``code`` (part of the wire contract, see
docs/protocol.md) and a human ``message``. The socket layer turns them into
``{"ok": false, "error": {"code", "message"}}`` acks and the web layer into JSON
responses, each in exactly one place.

    ChatError                      code
    ├── ValidationError            "invalid"        bad payload shape, type or value
    │   └── TooLongError           "too_long"       text over the configured limit
    ├── AuthError                  "unauthorized"   missing or invalid credentials
    ├── ForbiddenError             "forbidden"      valid identity, not allowed
    ├── NotFoundError              "not_found"      no such thing (or not yours)
    ├── UnknownEventError          "unknown_event"  event name the namespace lacks
    ├── ConflictError              "conflict"       state changed underneath
    ├── ConfigError                "config"         bad configuration (startup only)
    └── StoreError                 "unavailable"    storage backend failed
"""

from __future__ import annotations

from typing import Any


class ChatError(Exception):
    """Base of every error the server reports to a client or an operator."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_wire(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return error


class ValidationError(ChatError):
    code = "invalid"


class TooLongError(ValidationError):
    code = "too_long"


class AuthError(ChatError):
    code = "unauthorized"


class ForbiddenError(ChatError):
    code = "forbidden"


class NotFoundError(ChatError):
    code = "not_found"


class UnknownEventError(ChatError):
    code = "unknown_event"


class ConflictError(ChatError):
    code = "conflict"


class ConfigError(ChatError):
    code = "config"


class StoreError(ChatError):
    code = "unavailable"


def error_ack(error: ChatError) -> dict[str, Any]:
    """The acknowledgement payload for a failed client request."""
    return {"ok": False, "error": error.to_wire()}
