"""Which agents are signed in right now: their live Socket.IO connections.

This implementation keeps connections in this process, which is the whole truth for the
embedded (single-process) deployment. Several processes need presence shared through
Redis with heartbeats; the interface is kept small for that.
"""

from __future__ import annotations


class Presence:
    def __init__(self) -> None:
        self._sids: dict[str, set[str]] = {}

    def add(self, username: str, sid: str) -> bool:
        """Record a connection; True when it is the agent's first (they came online)."""
        sids = self._sids.setdefault(username, set())
        first = not sids
        sids.add(sid)
        return first

    def remove(self, username: str, sid: str) -> bool:
        """Forget a connection; True when it was the agent's last (several tabs count as
        one agent: only the last one closing starts the grace period)."""
        sids = self._sids.get(username)
        if not sids or sid not in sids:
            return False
        sids.discard(sid)
        if sids:
            return False
        del self._sids[username]
        return True

    def is_connected(self, username: str) -> bool:
        return bool(self._sids.get(username))

    def connected(self) -> frozenset[str]:
        return frozenset(self._sids)

    def sids(self, username: str) -> frozenset[str]:
        return frozenset(self._sids.get(username, ()))
