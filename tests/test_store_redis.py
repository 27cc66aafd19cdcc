"""What only the Redis backend has to prove (the shared contract is in
test_store_contract.py): its keys stay under the prefix, a restarted redis-server loses
nothing acknowledged and the client finds it again by itself, and several store
instances (as several server processes would hold) never overload an agent, assign a
chat twice or fire a deadline twice."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from chatserver.core.models import (
    Agent,
    AgentRole,
    AuthorKind,
    Conversation,
    ConversationState,
    MessageDraft,
    Rating,
    Visitor,
)
from chatserver.errors import ConflictError, StoreError
from chatserver.ids import new_id
from chatserver.store.base import Deadline
from chatserver.store.redis import KEY_LAYOUT, RedisStore
from tests.redis_server import RedisServer

OpenRedis = Callable[..., Awaitable[RedisStore]]


@pytest.fixture
async def open_redis(redis_server: RedisServer, redis_prefix: str) -> AsyncIterator[OpenRedis]:
    """Open RedisStores (each with its own connection pool, like separate processes) on
    the session's server and this test's prefix, unless told otherwise."""
    opened: list[RedisStore] = []

    async def open_(url: str | None = None) -> RedisStore:
        store = RedisStore(url or redis_server.url, prefix=redis_prefix)
        await store.open()
        opened.append(store)
        return store

    yield open_
    for store in opened:
        await store.close()


async def queued(store: RedisStore, now: float = 1.0) -> Conversation:
    visitor = Visitor(id=new_id(), created_at=now)
    conversation, _ = await store.open_conversation(
        Conversation(
            id=new_id(), visitor_id=visitor.id, state=ConversationState.BOT, created_at=now
        ),
        visitor=visitor,
    )
    return await store.request_handoff(conversation.id, now=now, department=None, priority=0)


def agent(username: str, max_chats: int) -> Agent:
    return Agent(username, username.title(), AgentRole.AGENT, max_chats, (), "x", 1.0)


def visitor_draft(text: str, client_id: str | None = None) -> MessageDraft:
    return MessageDraft(author_kind=AuthorKind.VISITOR, text=text, client_id=client_id)


async def test_every_key_is_under_the_prefix_and_in_the_layout(
    redis_server: RedisServer, open_redis: OpenRedis, redis_prefix: str
) -> None:
    # a database of its own, so that the other tests' keys do not get in the way
    url = redis_server.url.rsplit("/", 1)[0] + "/7"
    raw = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        await raw.flushdb()
        store = await open_redis(url)
        conversation = await queued(store)
        await store.append_messages(conversation.id, [visitor_draft("hi", "c1")], now=2.0)
        await store.add_note(conversation.id, author_name="A", text="n", now=2.0, client_id="n")
        await store.create_agent(agent("olena", 2))
        await store.update_agent("olena", bump_token_version=True)
        await store.assign(conversation.id, agent("olena", 2), now=3.0)
        await store.set_deadline("no_reply", conversation.id, 10.0)
        await store.set_deadline("grace", "olena", 10.0)
        await store.take_due_deadlines(5.0)
        await store.record_event("server.started", now=3.0)
        await store.set_conversation_state(conversation.id, ConversationState.CLOSED, now=4.0)
        await store.rate(Rating(conversation.id, 5, 5.0))
        await store.set_bot_misses(conversation.id, 1)
        assert await store.recent_handle_seconds() == [1.0]

        keys = [key async for key in raw.scan_iter(count=1000)]
        assert keys, "the workload stored nothing"
        outside = [key for key in keys if not key.startswith(redis_prefix)]
        assert outside == []
        templates = [
            re.compile(re.escape(t).replace(r"\{\}", "[^:]+") + "$")
            for t, _, _ in KEY_LAYOUT.values()
        ]
        undeclared = [
            key
            for key in keys
            if not any(t.match(key.removeprefix(redis_prefix)) for t in templates)
        ]
        assert undeclared == []
        # the workload touched most of the layout (the open pointer is gone once closed)
        assert (
            len(
                {
                    t.pattern
                    for t in templates
                    for key in keys
                    if t.match(key.removeprefix(redis_prefix))
                }
            )
            >= 14
        )
    finally:
        await raw.flushdb()
        await raw.aclose()


async def test_health_reports_persistence(open_redis: OpenRedis) -> None:
    store = await open_redis()
    health = await store.health()
    assert health == {"backend": "redis", "ok": True, "persistence": {"aof": True, "rdb": False}}


async def test_unreachable_redis_is_unavailable_and_health_never_raises() -> None:
    store = RedisStore(f"redis://127.0.0.1:{_closed_port()}/0", retries=1)
    with pytest.raises(StoreError) as raised:
        await store.open()
    assert raised.value.code == "unavailable"
    assert "unavailable" in raised.value.message
    health = await store.health()
    assert health["ok"] is False and health["backend"] == "redis"


def _closed_port() -> int:
    from tests.redis_server import free_port

    return free_port()  # nothing listens there once the probe socket is closed


async def test_a_restarted_redis_loses_nothing_and_the_store_reconnects(
    tmp_path: Path, redis_prefix: str
) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    # few retries, so that the "while it is down" step fails fast
    store = RedisStore(server.url, prefix=redis_prefix, retries=3)
    try:
        await store.open()
        conversation = await queued(store)
        for i in range(20):
            await store.append_messages(conversation.id, [visitor_draft(f"m{i}", f"c{i}")], now=2.0)
        await store.set_deadline("no_reply", conversation.id, 50.0)

        await asyncio.to_thread(server.stop)  # SIGTERM: Redis writes out the AOF and exits
        with pytest.raises(StoreError) as raised:
            await store.get_messages(conversation.id)
        assert raised.value.code == "unavailable"
        assert (await store.health())["ok"] is False

        await asyncio.to_thread(server.start)  # same port and directory: the AOF is replayed
        messages = await store.get_messages(conversation.id)  # the same object, no reopen
        assert [(m.seq, m.text) for m in messages] == [(i + 1, f"m{i}") for i in range(20)]
        retried = await store.append_messages(
            conversation.id, [visitor_draft("again", "c3")], now=3.0
        )
        assert not retried.created and retried.messages[0].seq == 4
        more = await store.append_messages(conversation.id, [visitor_draft("m20")], now=3.0)
        assert more.messages[0].seq == 21
        assert await store.take_due_deadlines(60.0) == [Deadline("no_reply", conversation.id, 50.0)]
        assert (await store.health())["ok"] is True

        # a restart while a request is under way: the client's retries bridge it
        await asyncio.to_thread(server.stop)
        comeback = asyncio.create_task(asyncio.to_thread(_start_after, server, 0.2))
        during = await store.append_messages(conversation.id, [visitor_draft("m21")], now=4.0)
        await comeback
        assert during.messages[0].seq == 22
        assert len(await store.get_messages(conversation.id)) == 22
    finally:
        await store.close()
        await asyncio.to_thread(server.stop)


def _start_after(server: RedisServer, seconds: float) -> None:
    time.sleep(seconds)
    server.start()


async def test_concurrent_assigns_across_instances_never_overload_or_double_assign(
    open_redis: OpenRedis,
) -> None:
    stores = [await open_redis() for _ in range(5)]
    agents = [agent(f"agent{i}", max_chats=2) for i in range(4)]  # room for 8 chats
    for a in agents:
        await stores[0].create_agent(a)
    waiting = [await queued(stores[0], float(i)) for i in range(12)]
    # 50 attempts: every chat is tried by several instances for several agents at once
    attempts = [
        stores[i % len(stores)].assign(waiting[i % len(waiting)].id, agents[i % 4], now=100.0 + i)
        for i in range(50)
    ]
    results = await asyncio.gather(*attempts, return_exceptions=True)

    won = [r for r in results if isinstance(r, Conversation)]
    assert all(isinstance(r, ConflictError) for r in results if not isinstance(r, Conversation))
    assert len({c.id for c in won}) == len(won), "a chat was assigned twice"
    assert len(won) == 8  # every agent filled up, none beyond max_chats
    workloads = await stores[1].workloads()
    for a in agents:
        mine = await stores[2].agent_conversations(a.username)
        assert len(mine) == workloads[a.username].active_chats <= a.max_chats
        assert {c.id for c in mine} == {c.id for c in won if c.agent_username == a.username}
    assert len(await stores[3].list_queue()) == 12 - 8


async def test_due_deadlines_are_taken_once_across_instances(open_redis: OpenRedis) -> None:
    stores = [await open_redis() for _ in range(5)]
    expected = {Deadline("no_reply", f"c{i}", float(i)) for i in range(200)}
    for d in expected:
        await stores[0].set_deadline(d.kind, d.key, d.due_at)
    await stores[0].set_deadline("no_reply", "later", 1000.0)

    async def drain(store: RedisStore) -> list[Deadline]:
        taken: list[Deadline] = []
        while batch := await store.take_due_deadlines(500.0, limit=7):
            taken += batch
        return taken

    batches = await asyncio.gather(*(drain(s) for s in stores))
    fired = [d for batch in batches for d in batch]
    assert len(fired) == len(expected) and set(fired) == expected
    assert await stores[1].take_due_deadlines(2000.0) == [Deadline("no_reply", "later", 1000.0)]
