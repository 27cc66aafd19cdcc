"""Carrying out routing: hand chats to people, keep the queue moving, keep visitors told.

The decisions come from ``chatserver.core.routing`` (pure); this module loads their
inputs from the store and presence, carries the decisions out with the store's atomic
operations, and announces each change only after it is stored.

When the queue is planned (``dispatch``): after every handoff, close, re-queue and
transfer, when an agent connects or comes back online, and when a deadline fires. The
store's ``assign`` checks the agent's load in the same atomic step, so a plan made from a
stale read can fail (ConflictError) but never overload an agent or assign a chat twice;
a failed step triggers one more plan.

Deadlines are stored, not kept in timers, so a restart neither loses nor doubles them:
- ``grace:<username>`` — set when an agent's last connection drops; when it fires and the
  agent is still away, each of their chats goes back to the head of the queue (keeping its
  original waiting time) and is re-routed, and the visitor is told.
- ``no_reply:<conversation_id>`` — set on assignment, cleared by the agent's first message;
  when it fires the chat moves to another eligible agent and the first one is told. With
  nobody else free it stays where it is and the deadline is re-armed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import Any

from chatserver.core import bot, routing
from chatserver.core.hours import ALWAYS_OPEN, Schedule
from chatserver.core.models import (
    Agent,
    AgentStatus,
    AuthorKind,
    Conversation,
    ConversationState,
    Message,
    MessageDraft,
)
from chatserver.errors import ConflictError
from chatserver.event_log import EventLog
from chatserver.notifications import Notifier
from chatserver.presence import Presence
from chatserver.store.base import Deadline, Store
from chatserver.tasks import stop_if_cancelled

log = logging.getLogger("chatserver.routing")

GRACE = "grace"
NO_REPLY = "no_reply"
QUEUE_WAIT = "queue_wait"


@dataclass(frozen=True, slots=True)
class RoutingOptions:
    grace_seconds: float = 60.0
    no_reply_seconds: float = 120.0
    allow_cross_department: bool = True
    schedule: Schedule = ALWAYS_OPEN
    timezone: tzinfo = UTC
    max_queue_wait_seconds: float = 600.0
    department_priorities: Mapping[str, int] = field(default_factory=dict)


def _waiting(queue: list[Conversation]) -> list[routing.WaitingChat]:
    return [
        routing.WaitingChat(c.id, c.department, c.priority, c.waiting_since or c.created_at)
        for c in queue
    ]


def agent_conversation_wire(conversation: Conversation) -> dict[str, Any]:
    """The Conversation as agents see it: the visitor's shape plus routing details."""
    wire = conversation.to_wire()
    wire.update(
        visitor_id=conversation.visitor_id,
        department=conversation.department,
        priority=conversation.priority,
        agent_username=conversation.agent_username,
    )
    return wire


class RoutingService:
    def __init__(
        self,
        *,
        store: Store,
        presence: Presence,
        notifier: Notifier,
        options: RoutingOptions,
        clock: Callable[[], float] = time.time,
        events: EventLog | None = None,
    ) -> None:
        self.store = store
        # Conversation events go through here so that webhooks and follow-ups hear them.
        self.events = events if events is not None else EventLog(store)
        # Deadline kinds handled outside routing (the CSAT follow-up): kind -> handler(key).
        self.deadline_handlers: dict[str, Callable[[str], Awaitable[None]]] = {}
        self.presence = presence
        self.notifier = notifier
        self.options = options
        self.clock = clock
        self._plan_lock = asyncio.Lock()
        # What each queued visitor was last told, so that they hear of changes only.
        self._told: dict[str, tuple[int, int | None]] = {}
        self._waiting_count: int | None = None

    # --- loads ------------------------------------------------------------------------

    async def loads(self) -> tuple[dict[str, Agent], list[routing.AgentLoad]]:
        agents = {a.username: a for a in await self.store.list_agents() if not a.disabled}
        work = await self.store.workloads()
        connected = await self.presence.connected()
        loads = [
            routing.AgentLoad(
                username=a.username,
                connected=a.username in connected,
                status=a.status.value,
                departments=frozenset(a.departments),
                active_chats=work[a.username].active_chats if a.username in work else 0,
                max_chats=a.max_chats,
                last_assigned_at=work[a.username].last_assigned_at if a.username in work else None,
            )
            for a in agents.values()
        ]
        return agents, loads

    # --- handoff and planning ---------------------------------------------------------

    async def start_handoff(
        self, conversation: Conversation, *, department: str | None, priority: int, reason: str
    ) -> Conversation:
        """bot -> queued, then plan. Returns the conversation as it stands afterwards."""
        now = self.clock()
        if department is not None:
            priority = max(priority, self.options.department_priorities.get(department, priority))
        queued = await self.store.request_handoff(
            conversation.id, now=now, department=department, priority=priority
        )
        await self.events.record(
            "conversation.handoff",
            now=now,
            conversation_id=conversation.id,
            visitor_id=conversation.visitor_id,
            data={"reason": reason, "department": department},
        )
        await self.notifier.to_visitor(queued.visitor_id, "conversation", queued.to_wire())
        await self.store.set_deadline(
            QUEUE_WAIT, conversation.id, now + self.options.max_queue_wait_seconds
        )
        await self.dispatch()
        current = await self.store.get_conversation(conversation.id)
        assert current is not None
        if current.state is ConversationState.QUEUED:
            current = await self.with_standing(current)
            if current.queue_position is not None:
                standing = routing.QueueStanding(current.queue_position, current.wait_seconds)
                await self._say(current, self._queue_text(current.locale, standing))
        return current

    def is_open(self) -> bool:
        """Inside business hours (always, when none are configured)."""
        local = datetime.fromtimestamp(self.clock(), self.options.timezone)
        return self.options.schedule.is_open(local.weekday(), local.hour * 60 + local.minute)

    def _queue_text(self, locale: str, standing: routing.QueueStanding) -> str:
        if standing.wait_seconds is None:
            return bot.text("handoff_nobody" if self.is_open() else "handoff_closed", locale)
        return bot.text("handoff_queued", locale).format(
            position=standing.position, wait=bot.minutes(standing.wait_seconds, locale)
        )

    async def dispatch(self) -> None:
        """Assign what can be assigned now, then tell every queued visitor where they stand."""
        async with self._plan_lock:
            for _attempt in range(3):
                if not await self._plan_once():
                    break
        await self.publish_queue()

    async def _plan_once(self) -> bool:
        """One plan, carried out; True when a step failed and planning again may help."""
        queue = await self.store.list_queue()
        if not queue:
            return False
        agents, loads = await self.loads()
        waiting = _waiting(queue)
        plan = routing.plan_assignments(
            loads, waiting, allow_cross_department=self.options.allow_cross_department
        )
        conflicted = False
        for step in plan:
            try:
                assigned = await self.store.assign(
                    step.conversation_id, agents[step.username], now=self.clock()
                )
            except ConflictError:
                conflicted = True
                continue
            await self.announce_assigned(assigned)
        return conflicted

    async def standings(self) -> dict[str, routing.QueueStanding]:
        queue = await self.store.list_queue()
        if not queue:
            return {}
        _, loads = await self.loads()
        waiting = _waiting(queue)
        handle = routing.mean_handle_seconds(await self.store.recent_handle_seconds())
        # Outside working hours with nobody signed in there is no capacity, so no estimate
        # (None): the visitor is told so rather than given a number.
        return routing.queue_standings(
            loads,
            waiting,
            allow_cross_department=self.options.allow_cross_department,
            mean_handle_seconds=handle,
        )

    async def with_standing(self, conversation: Conversation) -> Conversation:
        """A queued conversation with its current place in line and wait estimate."""
        standing = (await self.standings()).get(conversation.id)
        if standing is None:
            return conversation
        return replace(
            conversation, queue_position=standing.position, wait_seconds=standing.wait_seconds
        )

    async def publish_queue(self) -> None:
        """Tell each queued visitor their place and wait when either changed, and every
        agent the queue length when it changed."""
        queue = {c.id: c for c in await self.store.list_queue()}
        standings = await self.standings()
        for cid, standing in standings.items():
            told = (standing.position, standing.wait_seconds)
            # A chat queued between the two reads (by another process, or a concurrent
            # handoff) is told by the publish that its own handoff triggers.
            if cid not in queue or self._told.get(cid) == told:
                continue
            self._told[cid] = told
            conversation = replace(
                queue[cid], queue_position=standing.position, wait_seconds=standing.wait_seconds
            )
            await self.notifier.to_visitor(
                conversation.visitor_id, "conversation", conversation.to_wire()
            )
        for gone in set(self._told) - set(standings):
            del self._told[gone]
        if self._waiting_count != len(queue):
            self._waiting_count = len(queue)
            await self.notifier.to_all_agents("queue", {"waiting": len(queue)})

    async def announce_assigned(self, conversation: Conversation) -> None:
        """Tell the visitor who joined, give the agent the whole chat, arm the no-reply
        deadline."""
        now = self.clock()
        name = conversation.agent_name or ""
        # The agent gets this message inside the chat view below, not as a separate event.
        await self._say(
            conversation,
            bot.text("assigned", conversation.locale).format(name=name),
            tell_agent=False,
        )
        await self.notifier.to_visitor(
            conversation.visitor_id, "conversation", conversation.to_wire()
        )
        await self.events.record(
            "conversation.assigned",
            now=now,
            conversation_id=conversation.id,
            visitor_id=conversation.visitor_id,
            data={"agent": conversation.agent_username},
        )
        await self.store.set_deadline(
            NO_REPLY, conversation.id, now + self.options.no_reply_seconds
        )
        assert conversation.agent_username is not None
        await self.notifier.to_agent(
            conversation.agent_username, "assigned", await self.chat_view(conversation)
        )

    async def chat_view(self, conversation: Conversation) -> dict[str, Any]:
        messages = await self.store.get_messages(conversation.id, limit=10_000)
        notes = await self.store.get_notes(conversation.id)
        visitor = await self.store.get_visitor(conversation.visitor_id)
        previous = await self.store.count_conversations(conversation.visitor_id) - 1
        return {
            "conversation": agent_conversation_wire(conversation),
            "messages": [m.to_wire() for m in messages],
            "notes": [n.to_wire() for n in notes],
            "visitor": {
                "id": conversation.visitor_id,
                "locale": visitor.locale if visitor else conversation.locale,
                "page_url": visitor.page_url if visitor else None,
                "name": visitor.name if visitor else None,
                "email": visitor.email if visitor else None,
                "previous_conversations": max(previous, 0),
            },
        }

    async def _say(
        self, conversation: Conversation, text: str, *, tell_agent: bool = True
    ) -> Message:
        """A system message in the conversation, announced to the visitor and the agent."""
        result = await self.store.append_messages(
            conversation.id,
            [MessageDraft(author_kind=AuthorKind.SYSTEM, text=text)],
            now=self.clock(),
        )
        message = result.messages[0]
        await self.notifier.to_visitor(conversation.visitor_id, "message", message.to_wire())
        if tell_agent and conversation.agent_username:
            await self.notifier.to_agent(conversation.agent_username, "message", message.to_wire())
        return message

    # --- presence and deadlines -------------------------------------------------------

    async def agent_connected(self, agent: Agent, sid: str) -> None:
        first = await self.presence.add(agent.username, sid)
        await self.store.clear_deadline(GRACE, agent.username)
        if first and agent.status is AgentStatus.ONLINE:
            await self.dispatch()

    async def agent_disconnected(self, username: str, sid: str) -> None:
        if await self.presence.remove(username, sid):
            await self.store.set_deadline(
                GRACE, username, self.clock() + self.options.grace_seconds
            )
            await self.publish_queue()  # estimates depend on who is online

    async def agent_expired(self, username: str) -> None:
        """The agent's last connection expired (its process died without a goodbye, see
        ``chatserver.presence_redis``): their grace period starts, unless one runs."""
        await self.store.set_deadline(
            GRACE, username, self.clock() + self.options.grace_seconds, keep_existing=True
        )
        await self.publish_queue()

    async def recover(self) -> None:
        """After a start, nobody is connected yet: agents holding chats get their grace
        period (unless one is already running, which keeps its original end)."""
        now = self.clock()
        for username, work in (await self.store.workloads()).items():
            if work.active_chats and not await self.presence.is_connected(username):
                await self.store.set_deadline(
                    GRACE, username, now + self.options.grace_seconds, keep_existing=True
                )

    async def run_deadlines(self, poll_seconds: float) -> None:
        """Fire due deadlines forever (cancel to stop); one failure never stops the loop."""
        while True:
            await asyncio.sleep(poll_seconds)
            try:
                due = await self.store.take_due_deadlines(self.clock())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading deadlines failed")
                stop_if_cancelled()
                continue
            for deadline in due:
                try:
                    await self.fire(deadline)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("deadline %s:%s failed", deadline.kind, deadline.key)
                    stop_if_cancelled()

    async def fire(self, deadline: Deadline) -> None:
        if deadline.kind == GRACE:
            await self._agent_gone(deadline.key)
        elif deadline.kind == NO_REPLY:
            await self._no_reply(deadline.key)
        elif deadline.kind == QUEUE_WAIT:
            await self._long_wait(deadline.key)
        elif deadline.kind in self.deadline_handlers:
            await self.deadline_handlers[deadline.kind](deadline.key)
        else:
            log.warning("unknown deadline kind %r", deadline.kind)

    async def _agent_gone(self, username: str) -> None:
        if await self.presence.is_connected(username):
            return
        chats = await self.store.agent_conversations(username)
        for conversation in chats:
            with contextlib.suppress(ConflictError):  # closed or moved meanwhile
                await self.requeue(conversation, reason="offline", text_key="agent_left")
        if chats:
            log.info("%s did not come back: %d chat(s) re-routed", username, len(chats))
            await self.dispatch()

    async def requeue(
        self,
        conversation: Conversation,
        *,
        reason: str,
        text_key: str,
        department: str | None = None,
    ) -> Conversation:
        assert conversation.agent_username is not None
        agent_username, agent_name = conversation.agent_username, conversation.agent_name
        back = await self.store.requeue(
            conversation.id, now=self.clock(), from_agent=agent_username, department=department
        )
        await self.store.clear_deadline(NO_REPLY, conversation.id)
        await self.notifier.to_agent(
            agent_username, "unassigned", {"conversation_id": conversation.id, "reason": reason}
        )
        await self._say(back, bot.text(text_key, back.locale).format(name=agent_name or ""))
        await self.notifier.to_visitor(back.visitor_id, "conversation", back.to_wire())
        return back

    async def _long_wait(self, conversation_id: str) -> None:
        conversation = await self.store.get_conversation(conversation_id)
        if conversation is not None and conversation.state is ConversationState.QUEUED:
            await self._say(conversation, bot.text("long_wait", conversation.locale))

    async def _no_reply(self, conversation_id: str) -> None:
        conversation = await self.store.get_conversation(conversation_id)
        if conversation is None or conversation.state is not ConversationState.ASSIGNED:
            return
        first = conversation.agent_username
        assert first is not None
        agents, loads = await self.loads()
        other = routing.choose_agent(
            loads,
            conversation.department,
            allow_cross_department=self.options.allow_cross_department,
            exclude=frozenset({first}),
        )
        if other is None:  # nobody else free: leave it with the first agent, look again later
            await self.store.set_deadline(
                NO_REPLY, conversation_id, self.clock() + self.options.no_reply_seconds
            )
            return
        await self.transfer(conversation, agents[other.username], reason="no_reply")

    async def transfer(self, conversation: Conversation, to: Agent, *, reason: str) -> Conversation:
        """Move an assigned chat to another agent (atomic load check in the store)."""
        first = conversation.agent_username
        assert first is not None
        moved = await self.store.transfer(conversation.id, to, now=self.clock(), from_agent=first)
        await self.notifier.to_agent(
            first, "unassigned", {"conversation_id": conversation.id, "reason": reason}
        )
        await self._say(moved, bot.text("transferred", moved.locale), tell_agent=False)
        await self.announce_assigned(moved)
        return moved
