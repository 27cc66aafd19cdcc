"""Every Socket.IO namespace, room and event name, in one place. docs/protocol.md
describes the payloads; these names are part of the public contract."""

from __future__ import annotations

VISITOR_NAMESPACE = "/visitor"

# client -> server, visitor namespace (each answered through the ack)
V_MESSAGE = "message"
V_HISTORY = "history"
V_TYPING = "typing"
VISITOR_CLIENT_EVENTS = frozenset({V_MESSAGE, V_HISTORY, V_TYPING})

# server -> visitor
SESSION = "session"
MESSAGE = "message"
CONVERSATION = "conversation"
TYPING = "typing"


def visitor_room(visitor_id: str) -> str:
    """Every connection (tab) of one visitor joins this room."""
    return f"visitor:{visitor_id}"
