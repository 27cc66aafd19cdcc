"""Every Socket.IO namespace, room and event name, in one place. docs/protocol.md
describes the payloads; these names are part of the public contract."""

from __future__ import annotations

VISITOR_NAMESPACE = "/visitor"

# client -> server, visitor namespace (each answered through the ack)
V_MESSAGE = "message"
V_HISTORY = "history"
V_TYPING = "typing"
V_HANDOFF = "handoff"
V_LEAVE_EMAIL = "leave_email"
V_RATE = "rate"
V_IDENTIFY = "identify"
V_EMAIL_TRANSCRIPT = "email_transcript"
VISITOR_CLIENT_EVENTS = frozenset(
    {
        V_MESSAGE,
        V_HISTORY,
        V_TYPING,
        V_HANDOFF,
        V_LEAVE_EMAIL,
        V_RATE,
        V_IDENTIFY,
        V_EMAIL_TRANSCRIPT,
    }
)

AGENT_NAMESPACE = "/agent"
# client -> server, agent namespace
AGENT_CLIENT_EVENTS = frozenset(
    {"status", "message", "note", "typing", "close", "transfer", "history"}
)
# server -> agent
AGENT_SESSION = "agent_session"
ASSIGNED = "assigned"
UNASSIGNED = "unassigned"
NOTE = "note"
QUEUE = "queue"
AGENT = "agent"

# server -> visitor
SESSION = "session"
MESSAGE = "message"
CONVERSATION = "conversation"
TYPING = "typing"


def visitor_room(visitor_id: str) -> str:
    """Every connection (tab) of one visitor joins this room."""
    return f"visitor:{visitor_id}"


def agent_room(username: str) -> str:
    """Every connection (tab) of one agent joins this room."""
    return f"agent:{username}"


# Every agent connection joins this room, for queue counts.
AGENTS_ROOM = "agents"
