"""Real Socket.IO clients for end-to-end tests, with waiting on events (never sleeping)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

import socketio

from chatserver.core.models import Agent, AgentRole
from chatserver.passwords import hash_password
from chatserver.web import keys

VISITOR_NS = "/visitor"
_ids = itertools.count(1)


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for a condition on state that offers no event to wait on (bounded)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - the watched state has no event to await
            await asyncio.sleep(0.01)


def client_id() -> str:
    return f"c-{next(_ids)}"


class VisitorClient:
    """One visitor connection that records every event the server sends it."""

    namespace = VISITOR_NS
    session_event = "session"

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: list[tuple[str, Any]] = []
        self._changed = asyncio.Condition()
        self.sio.on("*", self._record, namespace=self.namespace)
        self.sio.on("connect_error", self._refused, namespace=self.namespace)

    async def _refused(self, data: Any) -> None:
        await self._record("connect_error", data)

    async def _record(self, event: str, data: Any) -> None:
        async with self._changed:
            self.received.append((event, data))
            self._changed.notify_all()

    async def connect(self, auth: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            await self.sio.connect(
                self.url,
                namespaces=[self.namespace],
                transports=["websocket"],
                auth=auth if auth is not None else {},
                wait_timeout=5,
            )
        except socketio.exceptions.ConnectionError:
            # A refused handshake leaves the client's own HTTP session open.
            http = getattr(self.sio.eio, "http", None)
            if http is not None and not http.closed:
                await http.close()
            raise
        return await self.wait_for(self.session_event)

    async def wait_for(
        self,
        event: str,
        where: Callable[[Any], bool] = lambda _: True,
        *,
        timeout: float = 5.0,
        start: int = 0,
    ) -> Any:
        async with asyncio.timeout(timeout), self._changed:
            while True:
                for name, data in self.received[start:]:
                    if name == event and where(data):
                        return data
                await self._changed.wait()

    def events(self, event: str) -> list[Any]:
        return [data for name, data in self.received if name == event]

    async def call(self, event: str, data: Any = None, *, timeout: float = 5.0) -> Any:
        return await self.sio.call(event, data, namespace=self.namespace, timeout=timeout)

    async def send(self, text: str, cid: str | None = None) -> dict[str, Any]:
        ack: dict[str, Any] = await self.call(
            "message", {"text": text, "client_id": cid or client_id()}
        )
        return ack

    async def ask(self, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Send a question; return (the stored visitor message, the bot's reply)."""
        ack = await self.send(text)
        assert ack["ok"], ack
        seq = ack["message"]["seq"]
        reply = await self.wait_for(
            "message", lambda m: m["author"]["kind"] == "bot" and m["seq"] == seq + 1
        )
        return ack["message"], reply

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


class AgentClient(VisitorClient):
    """One agent connection (the /agent namespace), recording every event."""

    namespace = "/agent"
    session_event = "agent_session"

    async def reply(self, conversation_id: str, text: str) -> dict[str, Any]:
        ack: dict[str, Any] = await self.call(
            "message", {"conversation_id": conversation_id, "text": text, "client_id": client_id()}
        )
        return ack

    async def wait_assigned(self, where: Callable[[Any], bool] = lambda _: True) -> Any:
        return await self.wait_for("assigned", where)


async def add_agent_with_password(server: Any, username: str, name: str, password: str) -> None:
    """Store an agent who can sign in with ``password`` (hashing runs off the loop)."""
    await server.app[keys.STORE].create_agent(
        Agent(
            username=username,
            name=name,
            role=AgentRole.AGENT,
            max_chats=5,
            departments=(),
            password_hash=await asyncio.to_thread(hash_password, password),
            created_at=time.time(),
        )
    )
