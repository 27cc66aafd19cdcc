"""Sign-in limits shared by every process on Redis: the same token buckets as
``agent_auth.BucketTable``, kept in Redis by one Lua script, so that N processes do not
give an attacker N times the attempts.

Keys: ``<prefix>login:<table>:<key>``, a hash {tokens, at}, expiring once the bucket would
be full again (a full bucket and a missing one are the same). Time is Redis's own clock
(``TIME``), so processes on machines with skewed clocks agree.
"""

from __future__ import annotations

import logging
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("chatserver.ratelimit_redis")

# KEYS[1] bucket; ARGV rate, burst. Answers the seconds to wait as a string ("0": allowed).
_TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisBuckets:
    """Token buckets by key in Redis (the async counterpart of ``BucketTable.take``)."""

    def __init__(
        self, client: aioredis.Redis, *, name: str, prefix: str, rate: float, burst: float
    ):
        self._client = client
        self._prefix = f"{prefix}login:{name}:"
        self.rate = rate
        self.burst = burst
        self._script: Any = client.register_script(_TAKE)

    async def take(self, key: str) -> float:
        """0.0 if allowed, else the seconds until a token is back. If Redis cannot be
        reached the attempt is allowed (logged): the password check still stands, and a
        Redis outage must not lock every agent out."""
        try:
            answer = await self._script(keys=[self._prefix + key], args=[self.rate, self.burst])
        except RedisError as exc:
            log.warning("sign-in limits unavailable (%s); attempt allowed", exc)
            return 0.0
        return float(answer)
