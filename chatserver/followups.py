"""The CSAT follow-up email and the transcript email: when to write them, and sending
them from the outbox.

When a conversation closes, a stored deadline ``csat:<conversation_id>`` is set for
``closed_at + delay`` (unless CSAT is off, or it is bot-only and those are skipped). The
store fires a deadline exactly once across processes and restarts; when it fires and the
conversation is still unrated and its visitor left an address, the email goes into the
outbox under the key ``csat.<conversation_id>``, which a second enqueue cannot repeat.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from chatserver.core.followup import agent_took_part, followup_due, wants_followup
from chatserver.core.models import Conversation, ConversationState
from chatserver.emails import RatingLink, compose, to_message
from chatserver.event_log import Event
from chatserver.mailer import DeliveryError, Mailer
from chatserver.store.base import OutboxItem, Store
from chatserver.tokens import RatingTokens

log = logging.getLogger("chatserver.followups")

CSAT = "csat"  # deadline kind
EMAIL = "email"  # outbox kind


@dataclass(frozen=True, slots=True)
class FollowUpOptions:
    enabled: bool = True
    delay_seconds: float = 1800.0
    skip_bot_only: bool = False
    link_valid_seconds: float = 30 * 86400.0
    public_url: str = "http://127.0.0.1:8080"
    bot_name: str = "Assistant"
    # False when no SMTP server is configured: nothing is written or queued.
    mail_enabled: bool = True


class FollowUps:
    def __init__(
        self,
        *,
        store: Store,
        tokens: RatingTokens,
        options: FollowUpOptions,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.tokens = tokens
        self.options = options
        self.wake = wake  # tells the outbox worker that something is due now
        self.clock = clock

    async def _agent_involved(self, conversation_id: str) -> bool:
        events = await self.store.list_events(conversation_id=conversation_id)
        messages = await self.store.get_messages(conversation_id, limit=10_000)
        return agent_took_part((e["kind"] for e in events), (m.author_kind for m in messages))

    async def _wanted(self, conversation_id: str) -> bool:
        o = self.options
        agent_involved = await self._agent_involved(conversation_id) if o.skip_bot_only else True
        return o.mail_enabled and wants_followup(
            enabled=o.enabled, skip_bot_only=o.skip_bot_only, agent_involved=agent_involved
        )

    async def on_event(self, event: Event) -> None:
        """Listener of the event log: arm the follow-up when a conversation closes."""
        if event.kind != "conversation.closed" or event.conversation_id is None:
            return
        if not await self._wanted(event.conversation_id):
            return
        await self.store.set_deadline(
            CSAT,
            event.conversation_id,
            event.created_at + self.options.delay_seconds,
            keep_existing=True,
        )

    async def due(self, conversation_id: str) -> None:
        """The follow-up deadline fired (once across processes)."""
        conversation = await self.store.get_conversation(conversation_id)
        if conversation is None or not await self._wanted(conversation_id):
            return
        rating = await self.store.get_rating(conversation_id)
        visitor = await self.store.get_visitor(conversation.visitor_id)
        email = visitor.email if visitor else None
        closed = conversation.state is ConversationState.CLOSED
        if not followup_due(closed=closed, rated=rating is not None, has_email=bool(email)):
            log.info("no follow-up for %s (rated, no address, or reopened)", conversation_id)
            return
        assert email is not None
        now = self.clock()
        expires = int(now + self.options.link_valid_seconds)
        base = self.options.public_url.rstrip("/")
        links = [
            RatingLink(score, f"{base}/rate/{self.tokens.issue(conversation_id, score, expires)}")
            for score in range(1, 6)
        ]
        await self._enqueue(f"csat.{conversation_id}", email, conversation, links, expires)

    async def send_transcript(self, conversation: Conversation, email: str, key: str) -> bool:
        """Queue the transcript of ``conversation`` to ``email`` under the dedupe ``key``;
        False when that key was queued before."""
        return await self._enqueue(key, email, conversation, [], None)

    async def _enqueue(
        self,
        key: str,
        email: str,
        conversation: Conversation,
        links: list[RatingLink],
        expires: float | None,
    ) -> bool:
        messages = await self.store.get_messages(conversation.id, limit=10_000)
        payload = compose(
            to=email,
            conversation=conversation,
            messages=messages,
            bot_name=self.options.bot_name,
            links=links,
            links_expire_at=expires,
        )
        now = self.clock()
        queued = await self.store.enqueue_outbox(key, EMAIL, payload, now=now, due_at=now)
        if queued:
            log.info("email %s queued", key)
            self.wake()
        return queued


class EmailSender:
    """The outbox handler for email items."""

    def __init__(self, mailer: Mailer | None, from_address: str) -> None:
        self.mailer = mailer
        self.from_address = from_address

    async def __call__(self, item: OutboxItem) -> None:
        if self.mailer is None:
            raise DeliveryError("mail is not configured ([mail] host is empty)")
        message = to_message(item.payload, key=item.key, from_address=self.from_address)
        await self.mailer.send(message)
