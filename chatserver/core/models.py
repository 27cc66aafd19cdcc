"""Value types shared by the core, the store and the wire layer.

Times are Unix seconds (float, UTC) inside the server and ISO 8601 UTC strings on the
wire; ``to_wire`` methods produce the exact shapes documented in docs/protocol.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

LOCALES = ("ru", "uk", "en")
DEFAULT_LOCALE = "en"


class ConversationState(StrEnum):
    BOT = "bot"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    CLOSED = "closed"


class AuthorKind(StrEnum):
    VISITOR = "visitor"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


def iso(ts: float) -> str:
    """Unix seconds -> ISO 8601 UTC with millisecond precision and a ``Z`` suffix."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def agent_client_id(username: str, client_id: str) -> str:
    """How an agent's client_id is stored: scoped to the agent, so that it can never
    collide with the visitor's own client_ids in the same conversation."""
    return f"agent:{username}:{client_id}"


def public_client_id(kind: AuthorKind, stored: str) -> str:
    if kind is AuthorKind.AGENT and stored.startswith("agent:"):
        return stored.split(":", 2)[2]
    return stored


@dataclass(frozen=True, slots=True)
class Suggestion:
    id: str
    question: str

    def to_wire(self) -> dict[str, str]:
        return {"id": self.id, "question": self.question}


@dataclass(frozen=True, slots=True)
class Visitor:
    id: str
    created_at: float
    locale: str = DEFAULT_LOCALE
    page_url: str | None = None
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    visitor_id: str
    state: ConversationState
    created_at: float
    locale: str = DEFAULT_LOCALE
    closed_at: float | None = None
    agent_name: str | None = None
    queue_position: int | None = None
    wait_seconds: int | None = None
    bot_misses: int = 0
    department: str | None = None
    priority: int = 0
    # When it first started waiting for a person; kept when a chat goes back to the
    # queue, so that it returns to the head of the line rather than the tail.
    waiting_since: float | None = None
    agent_username: str | None = None
    assigned_at: float | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "id": self.id,
            "state": self.state.value,
            "created_at": iso(self.created_at),
        }
        if self.queue_position is not None:
            wire["queue_position"] = self.queue_position
        if self.wait_seconds is not None:
            wire["wait_seconds"] = self.wait_seconds
        if self.agent_name is not None:
            wire["agent"] = {"name": self.agent_name}
        return wire


@dataclass(frozen=True, slots=True)
class MessageDraft:
    """A message before the store has given it an id, a sequence number and a time."""

    author_kind: AuthorKind
    text: str
    author_name: str | None = None
    client_id: str | None = None
    faq_id: str | None = None
    suggestions: tuple[Suggestion, ...] = ()


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    conversation_id: str
    seq: int
    author_kind: AuthorKind
    text: str
    created_at: float
    author_name: str | None = None
    client_id: str | None = None
    faq_id: str | None = None
    suggestions: tuple[Suggestion, ...] = field(default=())

    def to_wire(self) -> dict[str, Any]:
        author: dict[str, str] = {"kind": self.author_kind.value}
        if self.author_name is not None:
            author["name"] = self.author_name
        wire: dict[str, Any] = {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "seq": self.seq,
            "author": author,
            "text": self.text,
            "created_at": iso(self.created_at),
        }
        if self.client_id is not None:
            wire["client_id"] = public_client_id(self.author_kind, self.client_id)
        if self.faq_id is not None:
            wire["faq_id"] = self.faq_id
        if self.suggestions:
            wire["suggestions"] = [s.to_wire() for s in self.suggestions]
        return wire


class AgentRole(StrEnum):
    AGENT = "agent"
    ADMIN = "admin"


class AgentStatus(StrEnum):
    ONLINE = "online"
    AWAY = "away"


@dataclass(frozen=True, slots=True)
class Agent:
    """A person who answers chats. ``status`` is what they chose (online/away); whether
    they are connected is presence, kept elsewhere."""

    username: str
    name: str
    role: AgentRole
    max_chats: int
    departments: tuple[str, ...]
    password_hash: str
    created_at: float
    disabled: bool = False
    status: AgentStatus = AgentStatus.AWAY
    # Every token carries the version it was issued under; bumping it (disable, password
    # change) invalidates all earlier tokens at once.
    token_version: int = 1

    def to_wire(self) -> dict[str, str]:
        return {"username": self.username, "name": self.name, "role": self.role.value}


@dataclass(frozen=True, slots=True)
class Note:
    """An agents-only remark on a conversation: never sent to the visitor and outside the
    visitor's message sequence (a visitor must never see a gap in seq)."""

    id: str
    conversation_id: str
    author_name: str
    text: str
    created_at: float
    client_id: str | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "author": {"kind": "agent", "name": self.author_name},
            "text": self.text,
            "created_at": iso(self.created_at),
        }
        if self.client_id is not None:
            wire["client_id"] = self.client_id
        return wire


@dataclass(frozen=True, slots=True)
class Rating:
    """The visitor's satisfaction with a conversation (CSAT): one per conversation."""

    conversation_id: str
    score: int  # 1..5
    created_at: float
    comment: str | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "conversation_id": self.conversation_id,
            "score": self.score,
            "created_at": iso(self.created_at),
        }
        if self.comment:
            wire["comment"] = self.comment
        return wire
