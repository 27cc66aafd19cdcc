"""Orchestration: load state from the store, let the pure core decide, persist, notify.

Every notification is sent only after the write it announces has been committed, so a
client never sees a message that a restart could take back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chatserver.core import bot
from chatserver.core.conversation import BotTurn, HandoffReason, after_bot_decision
from chatserver.core.faq import Answer, FaqEntry, FaqIndex
from chatserver.core.models import (
    DEFAULT_LOCALE,
    AuthorKind,
    Conversation,
    ConversationState,
    Message,
    MessageDraft,
    Rating,
    Visitor,
)
from chatserver.core.validation import SendMessage, VisitorAuth
from chatserver.errors import ConflictError, NotFoundError
from chatserver.event_log import Event
from chatserver.followups import FollowUps
from chatserver.ids import new_id
from chatserver.notifications import Notifier
from chatserver.routing_service import RoutingService
from chatserver.store.base import Store
from chatserver.tokens import TokenSigner


class FaqSource(Protocol):
    @property
    def index(self) -> FaqIndex: ...


@dataclass(frozen=True, slots=True)
class VisitorIdentity:
    """Who is on a visitor connection; kept for the life of that connection."""

    visitor_id: str
    locale: str
    page_url: str | None


@dataclass(frozen=True, slots=True)
class ClosedConversation:
    """The visitor's latest conversation when it has ended: shown again after a reload,
    with its rating prompt if it has not been rated yet."""

    conversation: Conversation
    messages: list[Message]
    rating: Rating | None

    def to_wire(self) -> dict[str, Any]:
        return {
            "conversation": self.conversation.to_wire(),
            "messages": [m.to_wire() for m in self.messages],
            "rating": None if self.rating is None else self.rating.to_wire(),
        }


@dataclass(frozen=True, slots=True)
class VisitorSession:
    identity: VisitorIdentity
    token: str
    conversation: Conversation | None
    messages: list[Message]
    last_closed: ClosedConversation | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "visitor_id": self.identity.visitor_id,
            "conversation": None if self.conversation is None else self.conversation.to_wire(),
            "messages": [m.to_wire() for m in self.messages],
            "last_closed": None if self.last_closed is None else self.last_closed.to_wire(),
        }


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    bot_name: str = "Assistant"
    history_page_size: int = 500
    handoff_after_misses: int = 2


class ChatService:
    def __init__(
        self,
        *,
        store: Store,
        faq: FaqSource,
        notifier: Notifier,
        signer: TokenSigner,
        routing: RoutingService,
        options: ServiceOptions,
        clock: Callable[[], float] = time.time,
        followups: FollowUps | None = None,
    ) -> None:
        self.followups = followups  # writes emails (the transcript a visitor asks for)
        self.routing = routing
        self.store = store
        self.faq = faq
        self.notifier = notifier
        self.signer = signer
        self.options = options
        self.clock = clock

    async def start_visitor_session(self, auth: VisitorAuth) -> VisitorSession:
        """Resume the visitor a valid token names, or start a new one.

        Nothing is written here: a visitor is stored when they first send a message.
        """
        visitor_id = self.signer.visitor_id(auth.token) if auth.token else None
        if visitor_id is None:  # a new visitor: nothing of theirs can be stored yet
            identity = VisitorIdentity(new_id(), auth.locale or DEFAULT_LOCALE, auth.page_url)
            return VisitorSession(
                identity, self.signer.visitor_token(identity.visitor_id), None, []
            )
        stored = await self.store.get_visitor(visitor_id)
        locale = auth.locale or (stored.locale if stored else DEFAULT_LOCALE)
        identity = VisitorIdentity(visitor_id, locale, auth.page_url)
        conversation = await self.store.get_open_conversation(visitor_id)
        messages = (
            await self.store.get_messages(conversation.id, limit=self.options.history_page_size)
            if conversation
            else []
        )
        if conversation is not None and conversation.state is ConversationState.QUEUED:
            # A page reload while waiting must show the place in line at once.
            conversation = await self.routing.with_standing(conversation)
        last_closed = None
        if conversation is None:
            last = await self.store.last_conversation(visitor_id)
            if last is not None and last.closed_at is not None:
                last_closed = ClosedConversation(
                    last,
                    await self.store.get_messages(last.id, limit=self.options.history_page_size),
                    await self.store.get_rating(last.id),
                )
        return VisitorSession(
            identity, self.signer.visitor_token(visitor_id), conversation, messages, last_closed
        )

    async def post_visitor_message(self, identity: VisitorIdentity, send: SendMessage) -> Message:
        """Store the visitor's message (and the bot's reply while the bot is in charge).

        Returns the stored visitor message; a retry with the same ``client_id`` returns
        the message stored the first time and stores and announces nothing.
        """
        now = self.clock()
        conversation, opened = await self._current_conversation(identity, now)
        if opened:
            await self._announce_created(conversation)
        drafts = [
            MessageDraft(author_kind=AuthorKind.VISITOR, text=send.text, client_id=send.client_id)
        ]
        turn: BotTurn | None = None
        handoff_entry: FaqEntry | None = None
        if conversation.state is ConversationState.BOT:
            decision = self.faq.index.match(send.text, conversation.locale)
            turn = after_bot_decision(
                decision,
                conversation.bot_misses,
                handoff_after_misses=self.options.handoff_after_misses,
            )
            if isinstance(decision, Answer) and turn.handoff is HandoffReason.FAQ_ENTRY:
                handoff_entry = decision.entry
            # Asked for a person, or missed too often: the next words are the handoff's,
            # not another "I don't know".
            if turn.handoff not in (HandoffReason.ASKED_IN_WORDS, HandoffReason.BOT_MISSES):
                drafts.append(bot.reply(decision, conversation.locale, self.options.bot_name))
        # The new miss count is written with the messages: one atomic write per bot turn.
        misses = (
            turn.misses if turn is not None and turn.misses != conversation.bot_misses else None
        )
        result = await self.store.append_messages(
            conversation.id, drafts, now=now, bot_misses=misses
        )
        if not result.created:
            return result.messages[0]
        visitor_id = identity.visitor_id
        # Every connection of the visitor (each tab, the sender's included) gets every
        # message; clients merge by seq, so the sender's copy of its own ack is harmless.
        announced = [("message", message.to_wire()) for message in result.messages]
        if opened:
            announced.insert(0, ("conversation", conversation.to_wire()))
        await self.notifier.to_visitor_many(visitor_id, announced)
        if conversation.state is ConversationState.ASSIGNED and conversation.agent_username:
            await self.notifier.to_agent(
                conversation.agent_username, "message", result.messages[0].to_wire()
            )
        if turn is not None and turn.handoff is not None:
            context = handoff_entry or await self._topic(conversation)
            await self.routing.start_handoff(
                conversation,
                department=context.department if context else None,
                priority=context.priority if context else 0,
                reason=turn.handoff.value,
            )
        return result.messages[0]

    async def request_handoff(
        self, identity: VisitorIdentity, *, department: str | None = None
    ) -> Conversation:
        """The visitor asked for a person (the button). Idempotent: once a person is
        involved, the conversation is returned as it is. ``department`` (the page's
        ``data-department``) wins over the department of the FAQ topic."""
        conversation, opened = await self._current_conversation(identity, self.clock())
        if opened:
            await self._announce_created(conversation)
            await self.notifier.to_visitor(
                identity.visitor_id, "conversation", conversation.to_wire()
            )
        if conversation.state is not ConversationState.BOT:
            return conversation
        context = await self._topic(conversation)
        return await self.routing.start_handoff(
            conversation,
            department=department or (context.department if context else None),
            priority=context.priority if context else 0,
            reason=HandoffReason.REQUESTED.value,
        )

    async def _announce_created(self, conversation: Conversation) -> None:
        """``open_conversation`` stored the event itself (atomically); listeners hear it
        here."""
        await self.routing.events.announce(
            Event(
                "conversation.created",
                conversation.created_at,
                conversation.id,
                conversation.visitor_id,
                {"locale": conversation.locale},
            )
        )

    async def _topic(self, conversation: Conversation) -> FaqEntry | None:
        """The FAQ entry the bot last answered with: its department and priority route the
        chat when the visitor then asks for a person."""
        messages = await self.store.get_messages(conversation.id, limit=10_000)
        for message in reversed(messages):
            if message.faq_id is not None:
                return self.faq.index.get(message.faq_id)
        return None

    async def identify(
        self, identity: VisitorIdentity, *, name: str | None, email: str | None
    ) -> None:
        """Remember who the visitor is (pre-chat form, the page's ``identify`` call)."""
        now = self.clock()
        stored = await self.store.get_visitor(identity.visitor_id)
        await self.store.save_visitor(
            Visitor(
                id=identity.visitor_id,
                created_at=stored.created_at if stored else now,
                locale=identity.locale,
                page_url=identity.page_url,
                name=name,
                email=email,
            ),
            now=now,
        )

    async def rate(
        self, identity: VisitorIdentity, score: int, comment: str | None
    ) -> tuple[Rating, bool]:
        """Rate the visitor's latest conversation once it is closed; the first rating is
        kept and a second one changes nothing."""
        conversation = await self.store.last_conversation(identity.visitor_id)
        if conversation is None:
            raise NotFoundError("there is no conversation to rate")
        return await self.rate_conversation(conversation, score, comment, via="widget")

    async def rate_conversation(
        self, conversation: Conversation, score: int, comment: str | None, *, via: str
    ) -> tuple[Rating, bool]:
        """Record the (first) rating of a closed conversation and log
        ``conversation.rated``; a later rating changes nothing. ``via`` says where it came
        from ("widget", "email")."""
        if conversation.state is not ConversationState.CLOSED:
            raise ConflictError("a conversation can be rated once it is closed")
        now = self.clock()
        rating, stored = await self.store.rate(Rating(conversation.id, score, now, comment))
        if stored:
            await self.routing.events.record(
                "conversation.rated",
                now=now,
                conversation_id=conversation.id,
                visitor_id=conversation.visitor_id,
                data={"score": score, "via": via},
            )
        return rating, stored

    async def leave_email(self, identity: VisitorIdentity, email: str) -> None:
        """Keep the address for a reply (no agent online, or a long wait)."""
        now = self.clock()
        await self.identify(identity, name=None, email=email)
        conversation = await self.store.get_open_conversation(identity.visitor_id)
        if conversation is not None:
            await self.routing.events.record(
                "visitor.email_left",
                now=now,
                conversation_id=conversation.id,
                visitor_id=identity.visitor_id,
            )

    async def email_transcript(self, identity: VisitorIdentity) -> bool:
        """Queue the transcript of the visitor's current (else latest) conversation to the
        address they left. False when this very transcript (same last message) was queued
        before: asking twice sends one email. ConflictError without an address or without
        mail on this server, NotFoundError without a conversation."""
        if self.followups is None or not self.followups.options.mail_enabled:
            raise ConflictError("email is not set up on this server")
        visitor = await self.store.get_visitor(identity.visitor_id)
        if visitor is None or not visitor.email:
            raise ConflictError("leave an email address first")
        conversation = await self.store.get_open_conversation(
            identity.visitor_id
        ) or await self.store.last_conversation(identity.visitor_id)
        if conversation is None:
            raise NotFoundError("there is no conversation yet")
        messages = await self.store.get_messages(conversation.id, limit=10_000)
        last_seq = messages[-1].seq if messages else 0
        return await self.followups.send_transcript(
            conversation, visitor.email, f"transcript.{conversation.id}.{last_seq}"
        )

    async def visitor_typing(self, identity: VisitorIdentity, typing: bool) -> None:
        conversation = await self.store.get_open_conversation(identity.visitor_id)
        if conversation is not None and conversation.agent_username:
            await self.notifier.to_agent(
                conversation.agent_username,
                "typing",
                {"conversation_id": conversation.id, "typing": typing},
            )

    async def _current_conversation(
        self, identity: VisitorIdentity, now: float
    ) -> tuple[Conversation, bool]:
        conversation = await self.store.get_open_conversation(identity.visitor_id)
        if conversation is not None:
            return conversation, False
        return await self.store.open_conversation(
            Conversation(
                id=new_id(),
                visitor_id=identity.visitor_id,
                state=ConversationState.BOT,
                created_at=now,
                locale=identity.locale,
            ),
            visitor=Visitor(
                id=identity.visitor_id,
                created_at=now,
                locale=identity.locale,
                page_url=identity.page_url,
            ),
        )

    async def visitor_history(
        self, identity: VisitorIdentity, after_seq: int
    ) -> tuple[list[Message], bool]:
        """Messages of the visitor's open conversation after ``after_seq``, and whether
        more remain beyond this page."""
        conversation = await self.store.get_open_conversation(identity.visitor_id)
        if conversation is None:
            return [], False
        page = self.options.history_page_size
        messages = await self.store.get_messages(
            conversation.id, after_seq=after_seq, limit=page + 1
        )
        return messages[:page], len(messages) > page
