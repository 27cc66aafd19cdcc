"""The services' Notifier, carried out with Socket.IO rooms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import socketio

from chatserver.realtime import events
from chatserver.realtime.redis_manager import ChatRedisManager


class SocketNotifier:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio

    async def to_visitor_many(
        self, visitor_id: str, batch: Sequence[tuple[str, dict[str, Any]]]
    ) -> None:
        room = events.visitor_room(visitor_id)
        manager = self._sio.manager
        if isinstance(manager, ChatRedisManager):
            await manager.emit_many(batch, namespace=events.VISITOR_NAMESPACE, room=room)
            return
        for event, payload in batch:
            await self._sio.emit(event, payload, room=room, namespace=events.VISITOR_NAMESPACE)

    async def to_visitor(self, visitor_id: str, event: str, payload: dict[str, Any]) -> None:
        await self._sio.emit(
            event,
            payload,
            room=events.visitor_room(visitor_id),
            namespace=events.VISITOR_NAMESPACE,
        )

    async def to_agent(self, username: str, event: str, payload: dict[str, Any]) -> None:
        await self._sio.emit(
            event, payload, room=events.agent_room(username), namespace=events.AGENT_NAMESPACE
        )

    async def to_all_agents(self, event: str, payload: dict[str, Any]) -> None:
        await self._sio.emit(
            event, payload, room=events.AGENTS_ROOM, namespace=events.AGENT_NAMESPACE
        )
