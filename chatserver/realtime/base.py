"""Dispatch and error translation shared by every namespace.

Client events reach ``handle_<name>(sid, payload)`` only when the name is in the
namespace's ``client_events``; every outcome becomes an ack: ``{"ok": true, ...}`` or
``{"ok": false, "error": {"code", "message"}}``. This is the one place where errors are
turned into acks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from chatserver.errors import (
    ChatError,
    ForbiddenError,
    UnknownEventError,
    ValidationError,
    error_ack,
)

log = logging.getLogger("chatserver.realtime")

Handler = Callable[[str, Any], Awaitable[dict[str, Any]]]


class GuardedNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    client_events: frozenset[str] = frozenset()
    forbidden_events: frozenset[str] = frozenset()

    async def trigger_event(self, event: str, *args: Any) -> Any:
        # Real connect/disconnect come only from the server itself: ChatSocketServer
        # refuses client events with those names before they get here.
        if event == "connect":
            sid, environ = args[0], args[1]
            auth = args[2] if len(args) > 2 else None
            return await self.on_connect(sid, environ, auth)
        if event == "disconnect":
            return await self.on_disconnect(args[0])
        sid, payloads = args[0], args[1:]
        if event in self.forbidden_events:
            return error_ack(ForbiddenError(f"{event!r} is not allowed here"))
        if event not in self.client_events:
            return error_ack(UnknownEventError(f"unknown event {event[:40]!r}"))
        if len(payloads) > 1:
            return error_ack(ValidationError("send one payload object"))
        handler: Handler = getattr(self, f"handle_{event}")
        try:
            return await handler(sid, payloads[0] if payloads else None)
        except ChatError as exc:
            return error_ack(exc)
        except Exception:
            log.exception("%s %s failed", self.namespace, event)
            return {
                "ok": False,
                "error": {"code": "internal", "message": "the server failed; try again"},
            }

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> bool | None:
        raise NotImplementedError

    async def on_disconnect(self, sid: str) -> None:
        return None
