"""Webhooks: conversation events POSTed as JSON to the configured receivers (a CRM).

Each event becomes one outbox item per receiver that wants it, keyed
``webhook.<receiver>.<event id>``, and is retried with backoff until the receiver
answers 2xx: delivery is at least once, and every attempt carries the same
``X-Chatserver-Delivery`` id (the event id) for the receiver to drop duplicates.

Signature (README, "Webhooks"): ``X-Chatserver-Signature: t=<unix time>,v1=<hex>`` where
hex is HMAC-SHA256 with the receiver's secret over ``f"{t}.{body}"``. The time is that of
the attempt, so a receiver that refuses old timestamps (say, older than five minutes)
cannot be fed a recorded request again. Requests go only to the configured URLs:
redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from chatserver.config import WEBHOOK_EVENTS, WebhookSettings, parse_webhook
from chatserver.core.models import iso
from chatserver.event_log import Event
from chatserver.mailer import DeliveryError
from chatserver.store.base import OutboxItem, Store

log = logging.getLogger("chatserver.webhooks")

WEBHOOK = "webhook"  # outbox kind
USER_AGENT = "chatserver-webhooks/1"


@dataclass(frozen=True, slots=True)
class Receiver:
    name: str  # stable while the URL stays the same: pending items survive a reorder
    url: str
    events: frozenset[str]
    secret: str


def receivers(settings: WebhookSettings) -> list[Receiver]:
    found = []
    for entry, secret in zip(settings.urls, settings.secrets, strict=True):
        url, events = parse_webhook(entry)
        name = hashlib.sha256(url.encode()).hexdigest()[:16]
        found.append(Receiver(name, url, events, secret))
    return found


def sign(secret: str, timestamp: int, body: str) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def body(event: Event) -> str:
    return json.dumps(
        {
            "id": event.id,
            "type": event.kind,
            "created_at": iso(event.created_at),
            "conversation_id": event.conversation_id,
            "visitor_id": event.visitor_id,
            "data": event.data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


class Webhooks:
    def __init__(
        self,
        settings: WebhookSettings,
        store: Store,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.receivers = {r.name: r for r in receivers(settings)}
        self.timeout = settings.timeout
        self.store = store
        self.clock = clock
        self.wake: Callable[[], None] = lambda: None
        self._session: aiohttp.ClientSession | None = None

    async def on_event(self, event: Event) -> None:
        """Listener of the event log: queue one delivery per interested receiver."""
        if event.kind not in WEBHOOK_EVENTS:
            return
        text = body(event)
        queued = False
        for receiver in self.receivers.values():
            if event.kind not in receiver.events:
                continue
            queued |= await self.store.enqueue_outbox(
                f"webhook.{receiver.name}.{event.id}",
                WEBHOOK,
                {"receiver": receiver.name, "event": event.kind, "id": event.id, "body": text},
                now=event.created_at,
                due_at=event.created_at,
            )
        if queued:
            self.wake()

    async def deliver(self, item: OutboxItem) -> None:
        """The outbox handler: one POST; DeliveryError unless the receiver answers 2xx."""
        receiver = self.receivers.get(str(item.payload.get("receiver")))
        if receiver is None:
            raise DeliveryError("its webhook receiver is no longer configured")
        text = str(item.payload["body"])
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Chatserver-Event": str(item.payload["event"]),
            "X-Chatserver-Delivery": str(item.payload["id"]),
            "X-Chatserver-Signature": sign(receiver.secret, int(self.clock()), text),
        }
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.post(
                receiver.url, data=text.encode(), headers=headers, allow_redirects=False
            ) as response:
                if not 200 <= response.status < 300:
                    raise DeliveryError(f"the receiver answered HTTP {response.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"the receiver is unreachable: {type(exc).__name__}") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
