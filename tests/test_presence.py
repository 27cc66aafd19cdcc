"""The Presence contract, for the in-process and the Redis implementation; and what only
the Redis one does: several processes, expiry, and the sweep that reports it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from chatserver.presence import LocalPresence, Presence
from chatserver.presence_redis import RedisPresence
from tests.redis_server import RedisServer


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


MakeRedis = Callable[[str], RedisPresence]


@pytest.fixture
async def redis_presence(
    redis_server: RedisServer, redis_prefix: str
) -> AsyncIterator[tuple[MakeRedis, Clock]]:
    clock = Clock()
    made: list[RedisPresence] = []

    def make(process_id: str) -> RedisPresence:
        presence = RedisPresence(
            redis_server.url,
            prefix=redis_prefix,
            process_id=process_id,
            timeout_seconds=15.0,
            clock=clock,
        )
        made.append(presence)
        return presence

    yield make, clock
    for presence in made:
        await presence.close()


@pytest.fixture(params=["local", "redis"])
async def presence(
    request: pytest.FixtureRequest, redis_presence: tuple[MakeRedis, Clock]
) -> Presence:
    if request.param == "local":
        return LocalPresence()
    made = redis_presence[0]("p1")
    await made.open()
    return made


async def test_first_and_last_connection(presence: Presence) -> None:
    assert await presence.add("olena", "s1") is True
    assert await presence.add("olena", "s2") is False  # a second tab
    assert await presence.is_connected("olena")
    assert await presence.connected() == frozenset({"olena"})
    assert await presence.remove("olena", "s1") is False
    assert await presence.remove("olena", "unknown") is False
    assert await presence.remove("olena", "s2") is True
    assert not await presence.is_connected("olena")
    assert await presence.connected() == frozenset()
    assert await presence.remove("olena", "s2") is False  # already gone


async def test_connections_on_two_processes_count_as_one_agent(
    redis_presence: tuple[MakeRedis, Clock],
) -> None:
    make, _ = redis_presence
    a, b = make("a"), make("b")
    await a.open()
    await b.open()
    assert await a.add("olena", "x") is True
    assert await b.add("olena", "x") is False  # same sid text, other process: distinct
    assert await b.connected() == frozenset({"olena"})
    assert await a.remove("olena", "x") is False
    assert await b.is_connected("olena")
    assert await b.remove("olena", "x") is True
    assert not await a.is_connected("olena")


async def test_a_dead_process_expires_and_is_reported_once(
    redis_presence: tuple[MakeRedis, Clock],
) -> None:
    make, clock = redis_presence
    dead, alive, other = make("dead"), make("alive"), make("other")
    for p in (dead, alive, other):
        await p.open()
    await dead.add("olena", "s1")
    await dead.add("bob", "s2")
    await alive.add("bob", "s3")
    clock.now += 10
    assert await alive.heartbeat() == []  # nothing expired yet; bob's s3 refreshed
    clock.now += 10  # dead's entries are now 20 s old: expired
    assert await alive.connected() == frozenset({"bob"})
    assert not await alive.is_connected("olena")
    assert await alive.heartbeat() == ["olena"]  # bob still has a live connection
    assert await other.heartbeat() == []  # reported by exactly one sweep
    assert await alive.add("olena", "s4") is True  # she comes back: online again


async def test_a_stalled_process_comes_back_on_its_next_beat(
    redis_presence: tuple[MakeRedis, Clock],
) -> None:
    make, clock = redis_presence
    slow, sweeper = make("slow"), make("sweeper")
    await slow.open()
    await sweeper.open()
    await slow.add("olena", "s1")
    clock.now += 20
    assert await sweeper.heartbeat() == ["olena"]
    await slow.heartbeat()  # the connection was alive all along
    assert await sweeper.is_connected("olena")
    assert await slow.remove("olena", "s1") is True
