"""Presence shared by several processes through Redis (see ``chatserver.presence``).

Layout (``KEY_LAYOUT`` in ``chatserver.store.redis``): ``presence:<username>`` is a zset
of the agent's connections, ``<process_id>:<sid>``, each scored by the time it expires;
``presence_agents`` lists the usernames that have such a zset. A connection is live while
its score is in the future.

Each process refreshes the expiry of its own connections every ``heartbeat`` seconds
(``run_heartbeat``), to ``now + timeout``. A process killed without a goodbye stops
refreshing, so its connections expire ``timeout`` seconds later at most; every process's
heartbeat also sweeps expired connections, and reports an agent whose last live connection
it swept, so that the agent's grace period starts. The sweep runs in a script, so exactly
one process removes each expired connection and reports it.

Each step that decides "first" or "last" (``add``, ``remove``, the sweep) is one script,
so two processes can never both see themselves as an agent's first or last connection.

Clocks: expiries are written with this host's clock, so the processes' clocks must agree
to well within ``timeout`` (one host, or NTP), as they must for the stored deadlines.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from chatserver.store.redis import RETRIES, Keys
from chatserver.tasks import stop_if_cancelled

log = logging.getLogger("chatserver.presence")

# KEYS: presence:<username>, presence_agents. ARGV: now, expiry, member, username.
_ADD: Final = """
local live = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf')
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
if live == 0 then return 1 end
return 0
"""

# KEYS: presence:<username>, presence_agents. ARGV: now, member, username.
_REMOVE: Final = """
if redis.call('ZREM', KEYS[1], ARGV[2]) == 0 then return 0 end
local live = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf')
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[3]) end
if live == 0 then return 1 end
return 0
"""

# KEYS: presence_agents. ARGV: now, key prefix of presence:<username>.
# Answers the usernames that had live connections in the past and now have none left.
_SWEEP: Final = """
local gone = {}
for _, username in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[2] .. username
  local removed = redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
  local left = redis.call('ZCARD', key)
  if left == 0 then redis.call('SREM', KEYS[1], username) end
  if removed > 0 and left == 0 then gone[#gone + 1] = username end
end
return gone
"""

# KEYS: presence_agents. ARGV: now, key prefix of presence:<username>.
_CONNECTED: Final = """
local live = {}
for _, username in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('ZCOUNT', ARGV[2] .. username, '(' .. ARGV[1], '+inf') > 0 then
    live[#live + 1] = username
  end
end
return live
"""


class RedisPresence:
    """Presence shared through Redis; ``open`` before use, ``close`` after."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str,
        process_id: str,
        timeout_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.keys = Keys(prefix)
        self.process_id = process_id
        self.timeout_seconds = timeout_seconds
        self.clock = clock
        # This process's connections: the heartbeat refreshes exactly these.
        self._local: dict[str, set[str]] = {}
        self._client: aioredis.Redis | None = None
        self._scripts: dict[str, AsyncScript] = {}

    async def open(self) -> None:
        # The same retry policy as the store: a restarted Redis is picked up by itself.
        retry = Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=RETRIES)
        client = aioredis.Redis.from_url(
            self.url,
            decode_responses=True,
            retry=retry,
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
            socket_connect_timeout=2,
            socket_timeout=5,
        )
        self._scripts = {
            "add": client.register_script(_ADD),
            "remove": client.register_script(_REMOVE),
            "sweep": client.register_script(_SWEEP),
            "connected": client.register_script(_CONNECTED),
        }
        self._client = client

    async def close(self) -> None:
        """Close the connection. This process's connections are left to expire: each
        still needs its grace period, which the sweep of a surviving process starts."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _member(self, sid: str) -> str:
        return f"{self.process_id}:{sid}"

    def _redis(self) -> aioredis.Redis:
        if self._client is None:
            raise RuntimeError("RedisPresence is not open")
        return self._client

    async def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self._scripts[name](keys=keys, args=args, client=self._redis())

    async def add(self, username: str, sid: str) -> bool:
        now = self.clock()
        first = await self._script(
            "add",
            [self.keys.presence(username), self.keys.presence_agents],
            [repr(now), repr(now + self.timeout_seconds), self._member(sid), username],
        )
        # Only once stored: a connection refused because Redis was down is not refreshed.
        self._local.setdefault(username, set()).add(sid)
        return bool(first)

    async def remove(self, username: str, sid: str) -> bool:
        sids = self._local.get(username)
        if sids is not None:
            sids.discard(sid)
            if not sids:
                del self._local[username]
        last = await self._script(
            "remove",
            [self.keys.presence(username), self.keys.presence_agents],
            [repr(self.clock()), self._member(sid), username],
        )
        return bool(last)

    async def is_connected(self, username: str) -> bool:
        live: int = await self._redis().zcount(
            self.keys.presence(username), f"({self.clock()!r}", "+inf"
        )
        return live > 0

    async def connected(self) -> frozenset[str]:
        live = await self._script(
            "connected",
            [self.keys.presence_agents],
            [repr(self.clock()), self.keys.presence("")],
        )
        return frozenset(str(u) for u in live)

    async def heartbeat(self) -> list[str]:
        """Refresh this process's connections, then sweep expired ones everywhere;
        answer the agents whose last live connection was swept."""
        now = self.clock()
        expiry = repr(now + self.timeout_seconds)
        client = self._redis()
        if self._local:
            async with client.pipeline(transaction=True) as pipe:
                for username, sids in self._local.items():
                    # ZADD without XX: a connection swept during a long stall of this
                    # process is alive after all, and comes back.
                    pipe.zadd(self.keys.presence(username), {self._member(s): expiry for s in sids})
                    pipe.sadd(self.keys.presence_agents, username)
                await pipe.execute()
        gone = await self._script(
            "sweep", [self.keys.presence_agents], [repr(now), self.keys.presence("")]
        )
        return [str(u) for u in gone]

    async def run_heartbeat(
        self, interval: float, on_gone: Callable[[str], Awaitable[None]]
    ) -> None:
        """``heartbeat`` every ``interval`` seconds forever (cancel to stop); a failure
        (Redis restarting) is logged and the next beat tries again."""
        while True:
            await asyncio.sleep(interval)
            try:
                gone = await self.heartbeat()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("presence heartbeat failed")
                stop_if_cancelled()
                continue
            for username in gone:
                try:
                    await on_gone(username)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("starting the grace period of %s failed", username)
                    stop_if_cancelled()
