"""Agent sign-in and token checks, shared by the HTTP routes and the Socket.IO namespaces.

No aiohttp here: ``chatserver.web.auth`` turns the outcomes into responses and the
``/agent`` namespace will call ``authenticate_agent`` with a token from its ``auth``
payload or from the cookie header of the handshake.

    sign_in(credentials)    rate limits -> store -> scrypt (in a thread) -> token
    authenticate_agent(tok) token signature/expiry -> store -> version and disabled checks

Every refusal of credentials is the same ``AuthError`` ("wrong username or password"),
whether the username is unknown, the password wrong or the agent disabled, and each of
those costs one scrypt run (``DUMMY_HASH`` for unknown users), so neither the answer nor
its timing tells which usernames exist.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from chatserver.core.models import Agent
from chatserver.core.ratelimit import TokenBucket
from chatserver.errors import AuthError, ValidationError
from chatserver.passwords import DUMMY_HASH, MAX_PASSWORD_LENGTH, verify_password
from chatserver.store.base import Store
from chatserver.tokens import AgentTokens

log = logging.getLogger("chatserver.auth")

COOKIE_NAME = "chatserver_agent"
WRONG_CREDENTIALS = "wrong username or password"
NOT_SIGNED_IN = "not signed in, or the session has ended"

# Usernames are [a-z0-9][a-z0-9._-]{1,31} (see agent_cli); anything longer cannot exist.
MAX_USERNAME_LENGTH = 32

# Guessing passwords: 5 attempts at once (a person mistyping a few times is never slowed
# down), then one every 12 s, i.e. at most ~7,200 guesses a day per address and per
# username. Both limits apply to every attempt, successful or not.
LOGIN_BURST = 5.0
LOGIN_RATE = 1 / 12
# Buckets kept per table. ~200 bytes each, so 10,000 is ~2 MB; when full, buckets that have
# refilled (the same as a new one) go first, then the least recently used.
LOGIN_MAX_KEYS = 10_000
# scrypt runs at once (16 MiB each). The rest wait here rather than filling the default
# thread pool that other blocking calls (DNS lookups, ...) share.
MAX_CONCURRENT_HASHES = 2


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str


def _credential(data: dict[str, Any], field: str, max_length: int) -> str:
    if field not in data:
        raise ValidationError(f"{field} is required", field=field)
    value = data[field]
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string", field=field)
    if not value:
        raise ValidationError(f"{field} must not be empty", field=field)
    if len(value) > max_length:
        raise ValidationError(f"{field} is longer than {max_length} characters", field=field)
    return value


def check_credentials(data: Any) -> Credentials:
    """``{"username": str, "password": str}`` and nothing else, within the length caps."""
    if not isinstance(data, dict):
        raise ValidationError("the body must be an object with username and password")
    unknown = sorted(str(key) for key in data if key not in ("username", "password"))
    if unknown:
        raise ValidationError(f"unknown field {unknown[0]!r}", field=unknown[0])
    return Credentials(
        username=_credential(data, "username", MAX_USERNAME_LENGTH),
        password=_credential(data, "password", MAX_PASSWORD_LENGTH),
    )


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """``server.trusted_proxies`` parsed (config validation has checked every entry)."""
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def client_address(
    remote: str | None, forwarded_for: str | None, trusted: Sequence[IPNetwork]
) -> str | None:
    """The client's address: ``remote``, unless that is a trusted proxy; then the last
    address in ``X-Forwarded-For`` that is not a trusted proxy (the ones before it were
    written by the client and prove nothing)."""
    if not trusted or not _is_trusted(remote, trusted):
        return remote
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else remote


def _is_trusted(address: str | None, trusted: Sequence[IPNetwork]) -> bool:
    if not address:
        return False
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in trusted)


def address_key(remote: str | None) -> str:
    """The rate-limit key for a client address: IPv4 as is, IPv6 by its /64 (one host
    usually holds a whole /64, so a per-address limit would be easy to step around)."""
    if not remote:
        return "unknown"
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return remote
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class BucketTable:
    """Token buckets by key, never more than ``max_keys`` of them."""

    def __init__(self, *, rate: float, burst: float, max_keys: int) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str, now: float) -> float:
        """Spend one token for ``key``: 0.0 if allowed, else the seconds until one is back."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._evict(now)
            bucket = self._buckets[key] = TokenBucket(rate=self.rate, burst=self.burst)
        else:
            self._buckets.move_to_end(key)
        if bucket.allow(now):
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def _evict(self, now: float) -> None:
        # A bucket that has refilled is the same as a new one: dropping it forgets nothing.
        for key in [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * self.rate >= self.burst
        ]:
            del self._buckets[key]
        # If that freed little, drop the least recently used down to 3/4, so that the scan
        # above runs at most once per max_keys/4 new keys.
        while len(self._buckets) > self.max_keys * 3 // 4:
            self._buckets.popitem(last=False)


class Buckets(Protocol):
    async def take(self, key: str) -> float:
        """Spend one token for ``key``: 0.0 if allowed, else the seconds to wait."""


class LocalBuckets:
    """``BucketTable`` on a clock: the limits of one process."""

    def __init__(self, table: BucketTable, clock: Callable[[], float]) -> None:
        self.table = table
        self.clock = clock

    async def take(self, key: str) -> float:
        return self.table.take(key, self.clock())


class LoginGuard:
    """Rate limits for sign-in attempts per client address and per username, and the cap
    on concurrent scrypt runs. One per application; ``clock`` is injectable for tests.

    The buckets live in this process unless ``shared`` gives others (Redis: one limit
    for every process, ``chatserver.ratelimit_redis``)."""

    def __init__(
        self,
        *,
        burst: float = LOGIN_BURST,
        rate: float = LOGIN_RATE,
        username_burst: float | None = None,
        max_keys: int = LOGIN_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
        shared: tuple[Buckets, Buckets] | None = None,
    ) -> None:
        self.by_address = BucketTable(rate=rate, burst=burst, max_keys=max_keys)
        self.by_username = BucketTable(
            rate=rate, burst=burst if username_burst is None else username_burst, max_keys=max_keys
        )
        self.clock = clock
        self._address_buckets: Buckets
        self._username_buckets: Buckets
        if shared is not None:
            self._address_buckets, self._username_buckets = shared
        else:
            self._address_buckets = LocalBuckets(self.by_address, clock)
            self._username_buckets = LocalBuckets(self.by_username, clock)
        self.hashing = asyncio.Semaphore(MAX_CONCURRENT_HASHES)

    async def admit(self, address: str, username: str) -> int:
        """0 if the attempt may go on, else whole seconds to wait (for ``Retry-After``).

        The address is checked first and a refused attempt spends nothing from the
        username's bucket, so a client already over its own limit cannot lock others out.
        """
        wait = await self._address_buckets.take(address)
        if wait <= 0:
            wait = await self._username_buckets.take(username.lower())
        return math.ceil(wait) if wait > 0 else 0


@dataclass(frozen=True, slots=True)
class SignedIn:
    agent: Agent
    token: str
    max_age: int  # seconds the token is valid for (the cookie's Max-Age)


@dataclass(frozen=True, slots=True)
class RateLimited:
    retry_after: int  # whole seconds


async def sign_in(
    credentials: Credentials,
    *,
    address: str,
    store: Store,
    tokens: AgentTokens,
    guard: LoginGuard,
    token_seconds: float,
    now: float,
) -> SignedIn | RateLimited:
    """Check a username and password; AuthError(WRONG_CREDENTIALS) for any refusal.

    ``now`` is wall-clock time (token expiry); the rate limits use ``guard.clock``.
    """
    wait = await guard.admit(address, credentials.username)
    if wait:
        log.info("sign-in attempts from %s are over the limit", address)
        return RateLimited(wait)
    agent = await store.get_agent(credentials.username)
    stored = agent.password_hash if agent is not None else DUMMY_HASH
    async with guard.hashing:
        matches = await asyncio.to_thread(verify_password, credentials.password, stored)
    if agent is None or not matches or agent.disabled:
        # The username is logged only when it exists: a password typed into the username
        # field is not a username and must not reach the log.
        who = f"agent {agent.username}" if agent is not None else "an unknown username"
        log.info("failed sign-in for %s from %s", who, address)
        raise AuthError(WRONG_CREDENTIALS)
    max_age = int(token_seconds)
    token = tokens.issue(agent.username, agent.token_version, int(now) + max_age)
    log.info("agent %s signed in from %s", agent.username, address)
    return SignedIn(agent=agent, token=token, max_age=max_age)


async def authenticate_agent(
    token: str | None, *, store: Store, tokens: AgentTokens, now: float
) -> Agent:
    """The agent a token belongs to; AuthError unless the token is correctly signed,
    unexpired (``now`` is wall-clock seconds), issued under the agent's current
    ``token_version`` and the agent is not disabled. One message for every refusal."""
    claims = tokens.read(token, now=now)
    if claims is None:
        raise AuthError(NOT_SIGNED_IN)
    agent = await store.get_agent(claims.username)
    if agent is None or agent.disabled or agent.token_version != claims.token_version:
        raise AuthError(NOT_SIGNED_IN)
    return agent


def token_from_cookie_header(cookie_header: str | None) -> str | None:
    """The ``chatserver_agent`` cookie from a ``Cookie:`` header (first one wins), if any.

    Parsed by hand: ``http.cookies`` stops at the first malformed pair and would let a
    junk cookie set by another app on the same host hide ours.
    """
    if not cookie_header:
        return None
    for pair in cookie_header.split(";"):
        name, sep, value = pair.strip().partition("=")
        if sep and name.strip() == COOKIE_NAME:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value or None
    return None
