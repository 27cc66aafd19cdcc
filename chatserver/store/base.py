"""The contract every storage backend keeps.

Callers never assume a single process: every method that changes shared state is atomic
in the backend (one SQLite transaction, or one Lua script / MULTI in Redis), so two
server processes on one database cannot hand out the same sequence number or open two
conversations for one visitor. tests/test_store_contract.py runs the same suite against
every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from chatserver.core.models import (
    Agent,
    AgentRole,
    AgentStatus,
    Conversation,
    ConversationState,
    Message,
    MessageDraft,
    Note,
    Rating,
    Visitor,
)


@dataclass(frozen=True, slots=True)
class Deadline:
    kind: str
    key: str
    due_at: float


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """Something to deliver outside the server (an email, a webhook POST).

    ``key`` is the dedupe key: enqueueing a key that is already stored (pending or
    delivered) stores nothing. ``lease`` names the claim that returned the item; only that
    claim can finish or reschedule it. ``attempts`` counts claims, this one included.
    """

    key: str
    kind: str
    payload: dict[str, Any]
    created_at: float
    due_at: float
    attempts: int = 0
    lease: str | None = None
    done_at: float | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Workload:
    active_chats: int
    last_assigned_at: float | None


@dataclass(frozen=True, slots=True)
class Erased:
    """What a retention purge or a ``forget_visitor`` removed."""

    conversations: int = 0
    visitors: int = 0
    events: int = 0

    def __add__(self, other: Erased) -> Erased:
        return Erased(
            self.conversations + other.conversations,
            self.visitors + other.visitors,
            self.events + other.events,
        )


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What ``append_messages`` stored.

    ``created`` is False when the first draft's ``client_id`` was already used in the
    conversation: then ``messages`` holds only that earlier message and nothing was stored.
    """

    messages: tuple[Message, ...]
    created: bool


class Store(Protocol):
    backend: str

    async def open(self) -> None:
        """Connect and create or migrate the schema. Called once before use."""

    async def close(self) -> None: ...

    async def health(self) -> dict[str, Any]:
        """``{"backend": name, "ok": bool, ...}``; never raises."""

    # visitors -------------------------------------------------------------------------

    async def save_visitor(self, visitor: Visitor, *, now: float) -> None:
        """Create the visitor, or update an existing one's last-seen time, locale and page.

        Visitors are saved when they first write, not when they connect, so a page view
        alone stores nothing.
        """

    async def get_visitor(self, visitor_id: str) -> Visitor | None: ...

    # agents ---------------------------------------------------------------------------

    async def create_agent(self, agent: Agent) -> None:
        """Store a new agent; ConflictError if the username is taken."""

    async def get_agent(self, username: str) -> Agent | None: ...

    async def list_agents(self) -> list[Agent]:
        """Every agent, disabled ones included, by username."""

    async def update_agent(
        self,
        username: str,
        *,
        name: str | None = None,
        role: AgentRole | None = None,
        max_chats: int | None = None,
        departments: tuple[str, ...] | None = None,
        password_hash: str | None = None,
        disabled: bool | None = None,
        status: AgentStatus | None = None,
        bump_token_version: bool = False,
    ) -> Agent:
        """Change the given fields (None leaves one as it is) and return the agent.

        NotFoundError for an unknown username.
        """

    # conversations --------------------------------------------------------------------

    async def open_conversation(
        self, conversation: Conversation, *, visitor: Visitor
    ) -> tuple[Conversation, bool]:
        """Save ``visitor`` (as ``save_visitor``) and store ``conversation`` unless the
        visitor already has an open one, in one atomic step.

        Returns ``(conversation, True)`` when stored, with a ``conversation.created``
        event logged, or ``(existing, False)``. A visitor never has two open (not closed)
        conversations, even under concurrent calls.
        """

    async def get_conversation(self, conversation_id: str) -> Conversation | None: ...

    async def get_open_conversation(self, visitor_id: str) -> Conversation | None: ...

    async def set_conversation_state(
        self,
        conversation_id: str,
        state: ConversationState,
        *,
        now: float,
        expected: ConversationState | None = None,
    ) -> Conversation:
        """Move to ``state``; with ``expected``, only from that state (else ConflictError).

        Raises NotFoundError for an unknown id.
        """

    async def count_conversations(self, visitor_id: str) -> int: ...

    async def set_bot_misses(self, conversation_id: str, misses: int) -> None: ...

    # handoff and routing --------------------------------------------------------------

    async def request_handoff(
        self, conversation_id: str, *, now: float, department: str | None, priority: int
    ) -> Conversation:
        """bot -> queued, waiting since ``now``. ConflictError from any other state."""

    async def requeue(
        self,
        conversation_id: str,
        *,
        now: float,
        from_agent: str,
        department: str | None = None,
    ) -> Conversation:
        """assigned (to ``from_agent``) -> queued, keeping the original waiting time
        (and moving it to ``department`` when given).

        ConflictError if the conversation is not assigned to that agent any more.
        """

    async def assign(self, conversation_id: str, agent: Agent, *, now: float) -> Conversation:
        """queued -> assigned to ``agent``, in one atomic step that also checks the
        agent's load: ConflictError if the conversation is no longer queued or the agent
        already has ``agent.max_chats`` active chats. Two concurrent calls can therefore
        never overload an agent or assign one chat twice."""

    async def transfer(
        self, conversation_id: str, agent: Agent, *, now: float, from_agent: str
    ) -> Conversation:
        """assigned to ``from_agent`` -> assigned to ``agent`` (same atomic load check)."""

    async def list_queue(self) -> list[Conversation]:
        """Every queued conversation (the caller orders them; see core.routing)."""

    async def workloads(self) -> dict[str, Workload]:
        """Active (assigned, open) chats and the last assignment time of every stored
        agent (the time stays when a chat is later re-queued or closed)."""

    async def agent_conversations(self, username: str) -> list[Conversation]:
        """The open conversations assigned to ``username``."""

    async def recent_handle_seconds(self, *, limit: int = 50) -> list[float]:
        """Assignment-to-close durations of the most recently closed chats."""

    # deadlines ------------------------------------------------------------------------

    async def set_deadline(
        self, kind: str, key: str, due_at: float, *, keep_existing: bool = False
    ) -> None:
        """Create or move the deadline (kind, key); with ``keep_existing`` an existing one
        is left as it is. Stored, so restarts keep it."""

    async def clear_deadline(self, kind: str, key: str) -> None: ...

    async def take_due_deadlines(self, now: float, *, limit: int = 100) -> list[Deadline]:
        """Remove and return deadlines due at ``now``: each is returned exactly once,
        however many processes ask."""

    # outbox ---------------------------------------------------------------------------
    # Deliveries to the outside world (email, webhooks), retried until they succeed. An
    # item is claimed with a lease: while the lease runs no other claim returns it; when
    # the lease runs out (the process died mid-send) it is claimable again. So delivery
    # is at least once; see chatserver/outbox.py for how duplicates are kept rare.

    async def enqueue_outbox(
        self, key: str, kind: str, payload: dict[str, Any], *, now: float, due_at: float
    ) -> bool:
        """Store a pending item under the dedupe ``key``; False (and nothing changes) when
        the key is already stored, pending or delivered."""

    async def claim_outbox(
        self, now: float, *, lease: str, lease_seconds: float, limit: int = 10
    ) -> list[OutboxItem]:
        """Atomically take up to ``limit`` pending items due at ``now``: each gets
        ``lease``, one more attempt, and is hidden from other claims until
        ``now + lease_seconds``. Two concurrent claims never return the same item."""

    async def finish_outbox(self, key: str, *, lease: str, now: float) -> bool:
        """Mark the item delivered (for good: it is never claimed again) and drop its
        payload (an address, a transcript: kept no longer than needed); the key stays
        used. False, and nothing changes, unless ``lease`` still holds it."""

    async def retry_outbox(self, key: str, *, lease: str, due_at: float, error: str) -> bool:
        """Release the item to be claimed again at ``due_at``, keeping ``error``. False,
        and nothing changes, unless ``lease`` still holds it."""

    async def get_outbox(self, key: str) -> OutboxItem | None: ...

    async def prune_outbox(self, done_before: float, *, limit: int = 1000) -> int:
        """Forget up to ``limit`` items delivered before ``done_before`` (their keys become
        free again); returns how many. Pending items are never pruned."""

    async def comment_rating(self, conversation_id: str, comment: str) -> tuple[Rating, bool]:
        """Add the visitor's comment to the conversation's rating unless it already has
        one: ``(rating, True)``, or ``(rating as it is, False)`` and nothing changes.
        NotFoundError when the conversation has no rating."""

    # messages -------------------------------------------------------------------------

    async def append_messages(
        self,
        conversation_id: str,
        drafts: Sequence[MessageDraft],
        *,
        now: float,
        bot_misses: int | None = None,
    ) -> AppendResult:
        """Store ``drafts`` in order with the next sequence numbers, atomically.

        Sequence numbers start at 1 and never repeat or skip within a conversation. If the
        first draft carries a ``client_id`` already stored in this conversation, nothing is
        stored and the earlier message is returned (idempotent retries). Raises
        NotFoundError for an unknown conversation. ``bot_misses``, when given, becomes the
        conversation's count of bot misses in the same atomic step (a bot turn is one
        write), and only if the drafts are stored.
        """

    async def get_messages(
        self, conversation_id: str, *, after_seq: int = 0, limit: int = 500
    ) -> list[Message]:
        """Messages with ``seq > after_seq`` in order, at most ``limit``."""

    # notes ----------------------------------------------------------------------------

    async def add_note(
        self,
        conversation_id: str,
        *,
        author_name: str,
        text: str,
        now: float,
        client_id: str | None = None,
    ) -> tuple[Note, bool]:
        """Store a note: ``(note, True)``; or, when ``client_id`` was already used for a
        note in this conversation, ``(that note, False)`` and nothing new. NotFoundError
        for an unknown conversation."""

    async def get_notes(self, conversation_id: str) -> list[Note]: ...

    # ratings (CSAT) -------------------------------------------------------------------

    async def rate(self, rating: Rating) -> tuple[Rating, bool]:
        """Record the rating unless the conversation already has one: returns
        ``(stored, True)``, or ``(the earlier rating, False)`` and changes nothing.
        NotFoundError for an unknown conversation."""

    async def get_rating(self, conversation_id: str) -> Rating | None: ...

    async def last_conversation(self, visitor_id: str) -> Conversation | None:
        """The visitor's most recent conversation, open or closed."""

    # events ---------------------------------------------------------------------------

    async def record_event(
        self,
        kind: str,
        *,
        now: float,
        conversation_id: str | None = None,
        visitor_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Append to the event log that reports and webhooks read later."""

    async def list_events(self, *, conversation_id: str) -> list[dict[str, Any]]: ...

    # export, retention and erasure ----------------------------------------------------

    async def conversations_created(
        self,
        *,
        since: float,
        until: float,
        after: tuple[float, str] | None = None,
        limit: int = 200,
    ) -> list[Conversation]:
        """Conversations created in ``[since, until)``, ordered by (created_at, id),
        starting after the key ``after`` (the last one of the previous page): callers
        page through any range without holding it in memory."""

    async def visitor_ids_by_email(self, email: str) -> list[str]:
        """Ids of the visitors whose stored email is ``email`` (case-insensitive)."""

    async def forget_visitor(self, visitor_id: str) -> Erased:
        """Erase the visitor and everything stored about them: the visitor record, every
        conversation (open ones too: an agent's chat is taken off their load), its
        messages, notes, rating, events and deadlines, and the outbox items whose key
        names one of those conversations (a queued follow-up email with the address and
        the transcript). Nothing is left to restore."""

    async def purge_before(self, cutoff: float, *, limit: int = 500) -> Erased:
        """Retention: delete at most ``limit`` closed conversations closed before
        ``cutoff`` (with messages, notes, ratings, events, deadlines and undelivered
        outbox items whose key names them), then visitors
        last seen before ``cutoff`` who have no conversation left, and events without a
        conversation logged before ``cutoff``. Call again while it returns a full batch
        of conversations."""
