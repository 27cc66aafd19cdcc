"""The ``/visitor`` namespace: what the chat widget (or any client) talks to."""

from __future__ import annotations

import logging
import time
from typing import Any

from socketio.exceptions import ConnectionRefusedError as Refused

from chatserver.core.ratelimit import TokenBucket
from chatserver.core.validation import (
    Limits,
    check_email,
    check_empty,
    check_handoff,
    check_history,
    check_identify,
    check_rating,
    check_send_message,
    check_typing,
    check_visitor_auth,
)
from chatserver.errors import ChatError, ValidationError
from chatserver.realtime import events
from chatserver.realtime.base import GuardedNamespace
from chatserver.services import ChatService, VisitorIdentity

log = logging.getLogger("chatserver.realtime.visitor")

# A person types at most a message every few seconds; this stops scripts flooding the
# store while letting a burst of quick lines (or a widget flushing its offline queue) pass.
MESSAGE_RATE_PER_SECOND = 1.0
MESSAGE_BURST = 20
# Transcript emails: a few in a row (a visitor who clicked twice), then one a minute, so a
# script cannot make the server mail someone's inbox full.
TRANSCRIPT_RATE_PER_SECOND = 1 / 60
TRANSCRIPT_BURST = 3


class VisitorNamespace(GuardedNamespace):
    client_events = events.VISITOR_CLIENT_EVENTS
    # Agents' actions sent on a visitor connection are refused as such, not as unknown.
    forbidden_events = events.AGENT_CLIENT_EVENTS - events.VISITOR_CLIENT_EVENTS

    def __init__(self, service: ChatService, limits: Limits) -> None:
        super().__init__(events.VISITOR_NAMESPACE)
        self.service = service
        self.limits = limits
        # Per-connection, per-process state only: identity and flood control.
        self._identity: dict[str, VisitorIdentity] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._transcript_buckets: dict[str, TokenBucket] = {}

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> bool | None:
        try:
            checked = check_visitor_auth(auth, self.limits)
            session = await self.service.start_visitor_session(checked)
        except ChatError as exc:
            raise Refused(exc.message, exc.to_wire()) from None
        identity = session.identity
        self._identity[sid] = identity
        await self.enter_room(sid, events.visitor_room(identity.visitor_id))
        # Emitted from a task: the CONNECT packet is queued when this handler returns, and
        # the client must see it before any event of the namespace.
        self.server.start_background_task(self._send_session, sid, session.to_wire())
        return True

    async def _send_session(self, sid: str, payload: dict[str, Any]) -> None:
        await self.emit(events.SESSION, payload, to=sid)

    async def on_disconnect(self, sid: str) -> None:
        self._identity.pop(sid, None)
        self._buckets.pop(sid, None)
        self._transcript_buckets.pop(sid, None)

    def _who(self, sid: str) -> VisitorIdentity:
        identity = self._identity.get(sid)
        if identity is None:  # pragma: no cover - events arrive only after connect
            raise ValidationError("not connected")
        return identity

    async def handle_message(self, sid: str, data: Any) -> dict[str, Any]:
        send = check_send_message(data, self.limits)
        bucket = self._buckets.setdefault(
            sid, TokenBucket(rate=MESSAGE_RATE_PER_SECOND, burst=MESSAGE_BURST)
        )
        if not bucket.allow(time.monotonic()):
            return {
                "ok": False,
                "error": {"code": "rate_limited", "message": "too many messages; slow down"},
            }
        message = await self.service.post_visitor_message(self._who(sid), send)
        return {"ok": True, "message": message.to_wire()}

    async def handle_history(self, sid: str, data: Any) -> dict[str, Any]:
        after_seq = check_history(data)
        messages, more = await self.service.visitor_history(self._who(sid), after_seq)
        return {"ok": True, "messages": [m.to_wire() for m in messages], "more": more}

    async def handle_typing(self, sid: str, data: Any) -> dict[str, Any]:
        await self.service.visitor_typing(self._who(sid), check_typing(data))
        return {"ok": True}

    async def handle_handoff(self, sid: str, data: Any) -> dict[str, Any]:
        department = check_handoff(data)
        conversation = await self.service.request_handoff(self._who(sid), department=department)
        return {"ok": True, "conversation": conversation.to_wire()}

    async def handle_rate(self, sid: str, data: Any) -> dict[str, Any]:
        score, comment = check_rating(data)
        rating, recorded = await self.service.rate(self._who(sid), score, comment)
        return {"ok": True, "rating": rating.to_wire(), "recorded": recorded}

    async def handle_identify(self, sid: str, data: Any) -> dict[str, Any]:
        name, email = check_identify(data)
        await self.service.identify(self._who(sid), name=name, email=email)
        return {"ok": True}

    async def handle_leave_email(self, sid: str, data: Any) -> dict[str, Any]:
        await self.service.leave_email(self._who(sid), check_email(data))
        return {"ok": True}

    async def handle_email_transcript(self, sid: str, data: Any) -> dict[str, Any]:
        check_empty(data if data is not None else {})
        bucket = self._transcript_buckets.setdefault(
            sid, TokenBucket(rate=TRANSCRIPT_RATE_PER_SECOND, burst=TRANSCRIPT_BURST)
        )
        if not bucket.allow(time.monotonic()):
            return {
                "ok": False,
                "error": {"code": "rate_limited", "message": "a transcript was just sent"},
            }
        queued = await self.service.email_transcript(self._who(sid))
        return {"ok": True, "queued": queued}
