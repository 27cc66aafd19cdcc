"""The port through which services announce changes; the realtime layer implements it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Notifier(Protocol):
    """Delivers server->client events. Called only after the change is stored."""

    async def to_visitor(self, visitor_id: str, event: str, payload: dict[str, Any]) -> None: ...

    async def to_visitor_many(
        self, visitor_id: str, events: Sequence[tuple[str, dict[str, Any]]]
    ) -> None:
        """Several events for one visitor, delivered in order (one publish on Redis)."""

    async def to_agent(self, username: str, event: str, payload: dict[str, Any]) -> None: ...

    async def to_all_agents(self, event: str, payload: dict[str, Any]) -> None: ...
