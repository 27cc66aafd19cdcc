"""Conversation events: logged in the store, then handed to whoever listens (webhooks,
the CSAT follow-up).

A listener runs after the event is stored; one that fails is logged and does not undo
the event or stop the others. The gap this leaves (the process dies between storing the
event and a listener enqueueing its delivery) is one store write wide.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from chatserver.ids import new_id
from chatserver.store.base import Store

log = logging.getLogger("chatserver.events")


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    created_at: float
    conversation_id: str | None = None
    visitor_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # Unique per event; webhooks use it as the delivery id receivers dedupe on.
    id: str = field(default_factory=new_id)


Listener = Callable[[Event], Awaitable[None]]


class EventLog:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.listeners: list[Listener] = []

    async def record(
        self,
        kind: str,
        *,
        now: float,
        conversation_id: str | None = None,
        visitor_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Store the event (``Store.record_event``), then announce it."""
        await self.store.record_event(
            kind, now=now, conversation_id=conversation_id, visitor_id=visitor_id, data=data
        )
        await self.announce(Event(kind, now, conversation_id, visitor_id, dict(data or {})))

    async def announce(self, event: Event) -> None:
        """Hand an already stored event to the listeners."""
        for listener in self.listeners:
            try:
                await listener(event)
            except Exception:
                log.exception("a listener failed on %s %s", event.kind, event.id)
