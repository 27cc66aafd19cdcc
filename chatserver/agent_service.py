"""What agents do: their session, status, replies, notes, typing, closing and transfers.

An agent acts only on conversations assigned to them; admins may act on any. Every other
attempt is a ``forbidden`` error (and an unknown id is ``not_found``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chatserver.core import bot, routing
from chatserver.core.models import (
    Agent,
    AgentRole,
    AgentStatus,
    AuthorKind,
    Conversation,
    ConversationState,
    Message,
    MessageDraft,
    Note,
    agent_client_id,
)
from chatserver.core.validation import AgentSend, Transfer
from chatserver.errors import ConflictError, ForbiddenError, NotFoundError
from chatserver.notifications import Notifier
from chatserver.routing_service import NO_REPLY, RoutingService, agent_conversation_wire
from chatserver.store.base import Store


@dataclass(frozen=True, slots=True)
class CannedResponse:
    shortcut: str
    title: str
    text: str
    locale: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "shortcut": self.shortcut,
            "title": self.title,
            "text": self.text,
            "locale": self.locale,
        }


def agent_wire(agent: Agent) -> dict[str, Any]:
    return {
        **agent.to_wire(),
        "status": agent.status.value,
        "max_chats": agent.max_chats,
        "departments": list(agent.departments),
    }


class AgentService:
    def __init__(
        self,
        *,
        store: Store,
        routing_service: RoutingService,
        notifier: Notifier,
        canned: Callable[[], list[CannedResponse]] = list,
        history_page_size: int = 500,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.routing = routing_service
        self.notifier = notifier
        self.canned = canned
        self.page = history_page_size
        self.clock = clock

    async def session(self, agent: Agent) -> dict[str, Any]:
        chats = await self.store.agent_conversations(agent.username)
        queue = await self.store.list_queue()
        return {
            "agent": agent_wire(agent),
            "conversations": [await self.routing.chat_view(c) for c in chats],
            "queue": {"waiting": len(queue)},
            "canned": [c.to_wire() for c in self.canned()],
        }

    async def _fresh(self, agent: Agent) -> Agent:
        current = await self.store.get_agent(agent.username)
        if current is None or current.disabled:
            raise ForbiddenError("this agent account is disabled")
        return current

    async def _owned(self, agent: Agent, conversation_id: str) -> Conversation:
        conversation = await self.store.get_conversation(conversation_id)
        if conversation is None:
            raise NotFoundError("no such conversation")
        if agent.role is not AgentRole.ADMIN and conversation.agent_username != agent.username:
            raise ForbiddenError("this conversation is not assigned to you")
        return conversation

    async def set_status(self, agent: Agent, status: str) -> Agent:
        updated = await self.store.update_agent(agent.username, status=AgentStatus(status))
        await self.notifier.to_agent(agent.username, "agent", agent_wire(updated))
        if updated.status is AgentStatus.ONLINE:
            await self.routing.dispatch()
        else:
            await self.routing.publish_queue()
        return updated

    async def send(self, agent: Agent, send: AgentSend) -> Message:
        conversation = await self._owned(agent, send.conversation_id)
        if conversation.state is ConversationState.CLOSED:
            raise ConflictError("the conversation is closed")
        agent = await self._fresh(agent)
        result = await self.store.append_messages(
            conversation.id,
            [
                MessageDraft(
                    author_kind=AuthorKind.AGENT,
                    author_name=agent.name,
                    text=send.text,
                    client_id=agent_client_id(agent.username, send.client_id),
                )
            ],
            now=self.clock(),
        )
        message = result.messages[0]
        if result.created:
            # The assigned agent answered: the no-reply deadline is met.
            if conversation.agent_username == agent.username:
                await self.store.clear_deadline(NO_REPLY, conversation.id)
            await self.notifier.to_visitor(conversation.visitor_id, "message", message.to_wire())
            for username in {agent.username, conversation.agent_username} - {None}:
                assert username is not None
                await self.notifier.to_agent(username, "message", message.to_wire())
        return message

    async def note(
        self, agent: Agent, conversation_id: str, text: str, client_id: str | None = None
    ) -> Note:
        conversation = await self._owned(agent, conversation_id)
        agent = await self._fresh(agent)
        note, created = await self.store.add_note(
            conversation.id,
            author_name=agent.name,
            text=text,
            now=self.clock(),
            client_id=client_id,
        )
        if not created:
            return note
        for username in {agent.username, conversation.agent_username} - {None}:
            assert username is not None
            await self.notifier.to_agent(username, "note", note.to_wire())
        return note

    async def typing(self, agent: Agent, conversation_id: str, typing: bool) -> None:
        conversation = await self._owned(agent, conversation_id)
        await self.notifier.to_visitor(
            conversation.visitor_id, "typing", {"typing": typing, "name": agent.name}
        )

    async def close(self, agent: Agent, conversation_id: str) -> Conversation:
        conversation = await self._owned(agent, conversation_id)
        if conversation.state is ConversationState.CLOSED:
            return conversation
        now = self.clock()
        closed = await self.store.set_conversation_state(
            conversation.id, ConversationState.CLOSED, now=now, expected=conversation.state
        )
        await self.store.clear_deadline(NO_REPLY, conversation.id)
        await self.routing.events.record(
            "conversation.closed",
            now=now,
            conversation_id=conversation.id,
            visitor_id=conversation.visitor_id,
            data={"by": agent.username},
        )
        result = await self.store.append_messages(
            closed.id,
            [MessageDraft(author_kind=AuthorKind.SYSTEM, text=bot.text("closed", closed.locale))],
            now=now,
        )
        await self.notifier.to_visitor(closed.visitor_id, "message", result.messages[0].to_wire())
        await self.notifier.to_visitor(closed.visitor_id, "conversation", closed.to_wire())
        for username in {agent.username, conversation.agent_username} - {None}:
            assert username is not None
            await self.notifier.to_agent(username, "conversation", agent_conversation_wire(closed))
        await self.routing.dispatch()  # a slot is free
        return closed

    async def transfer(self, agent: Agent, transfer: Transfer) -> Conversation:
        conversation = await self._owned(agent, transfer.conversation_id)
        if conversation.state is not ConversationState.ASSIGNED:
            raise ConflictError("only an assigned conversation can be transferred")
        holder = conversation.agent_username
        assert holder is not None
        agents, loads = await self.routing.loads()
        if transfer.to_agent is not None:
            target = agents.get(transfer.to_agent)
            if target is None:
                raise NotFoundError(f"no agent {transfer.to_agent!r}")
            if target.username == holder:
                raise ConflictError("the conversation is already theirs")
            return await self.routing.transfer(conversation, target, reason="transferred")
        department = transfer.to_department
        other = routing.choose_agent(
            loads,
            department,
            allow_cross_department=self.routing.options.allow_cross_department,
            exclude=frozenset({holder}),
        )
        if other is not None:
            return await self.routing.transfer(
                conversation, agents[other.username], reason="transferred"
            )
        back = await self.routing.requeue(
            conversation, reason="transferred", text_key="transferred", department=department
        )
        await self.routing.dispatch()
        return back

    async def history(
        self, agent: Agent, conversation_id: str, after_seq: int
    ) -> tuple[list[Message], list[Note], bool]:
        conversation = await self._owned(agent, conversation_id)
        messages = await self.store.get_messages(
            conversation.id, after_seq=after_seq, limit=self.page + 1
        )
        notes = await self.store.get_notes(conversation.id)
        return messages[: self.page], notes, len(messages) > self.page
