"""Which agents are signed in right now: their live Socket.IO connections.

``Presence`` is the contract the routing service relies on. Two implementations:

- ``LocalPresence`` (here) keeps connections in this process, which is the whole truth
  for the embedded (single-process, SQLite) deployment;
- ``RedisPresence`` (``chatserver.presence_redis``) shares them between processes through
  Redis, with a heartbeat, so that an agent is online while any of their connections on
  any process is alive, and the connections of a process that died without a goodbye
  expire.

The methods are coroutines because the shared implementation talks to Redis.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol


class Presence(Protocol):
    async def add(self, username: str, sid: str) -> bool:
        """Record a connection; True when it is the agent's first anywhere (they came
        online)."""
        ...

    async def remove(self, username: str, sid: str) -> bool:
        """Forget a connection; True when it was the agent's last live one anywhere
        (several tabs count as one agent: only the last one closing starts the grace
        period). Forgetting an unknown connection answers False."""
        ...

    async def is_connected(self, username: str) -> bool: ...

    async def connected(self) -> frozenset[str]:
        """Every agent with at least one live connection."""
        ...

    async def open(self) -> None:
        """Connect to whatever holds the shared state; called once before use."""

    async def close(self) -> None: ...

    async def run_heartbeat(
        self, interval: float, on_gone: Callable[[str], Awaitable[None]]
    ) -> None:
        """Keep this process's connections alive and report agents whose last live
        connection expired elsewhere (``on_gone(username)``), until cancelled; returns at
        once where nothing can expire."""


class LocalPresence:
    """Presence kept in this process: for one process only."""

    def __init__(self) -> None:
        self._sids: dict[str, set[str]] = {}

    async def add(self, username: str, sid: str) -> bool:
        sids = self._sids.setdefault(username, set())
        first = not sids
        sids.add(sid)
        return first

    async def remove(self, username: str, sid: str) -> bool:
        sids = self._sids.get(username)
        if not sids or sid not in sids:
            return False
        sids.discard(sid)
        if sids:
            return False
        del self._sids[username]
        return True

    async def is_connected(self, username: str) -> bool:
        return bool(self._sids.get(username))

    async def connected(self) -> frozenset[str]:
        return frozenset(self._sids)

    # Nothing to connect to, and connections cannot outlive this process.
    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def run_heartbeat(
        self, interval: float, on_gone: Callable[[str], Awaitable[None]]
    ) -> None:
        return None
