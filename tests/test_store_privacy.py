# ruff: noqa: F811  (the contract suite's fixtures are imported by name)
"""Store contract, continued: export paging, retention and erasure, on every backend."""

from __future__ import annotations

from typing import Any

import pytest

from chatserver.core.models import (
    Agent,
    AgentRole,
    Conversation,
    ConversationState,
    Rating,
    Visitor,
)
from chatserver.ids import new_id
from chatserver.store.base import Erased, Store
from chatserver.store.redis import RedisStore
from tests.test_store_contract import (  # noqa: F401
    OpenStore,
    draft,
    new_conversation,
    open_store,
    store,
)


async def full_conversation(store: Store, visitor: Visitor, now: float) -> Conversation:
    """A conversation with messages, a note, a rating, events and a deadline; closed."""
    conversation = await new_conversation(store, now, visitor)
    await store.append_messages(conversation.id, [draft("hi", "c1"), draft("hello")], now=now)
    await store.add_note(conversation.id, author_name="Olena", text="vip", now=now)
    await store.record_event(
        "visitor.email_left", now=now, conversation_id=conversation.id, visitor_id=visitor.id
    )
    await store.set_deadline("no_reply", conversation.id, now + 60)
    closed = await store.set_conversation_state(
        conversation.id, ConversationState.CLOSED, now=now + 1
    )
    await store.rate(Rating(conversation.id, 5, now + 2))
    return closed


def visitor(email: str | None = None, *, now: float = 1000.0) -> Visitor:
    return Visitor(id=new_id(), created_at=now, locale="en", email=email)


async def assert_gone(store: Store, conversation_id: str) -> None:
    assert await store.get_conversation(conversation_id) is None
    assert await store.get_messages(conversation_id) == []
    assert await store.get_notes(conversation_id) == []
    assert await store.get_rating(conversation_id) is None
    assert await store.list_events(conversation_id=conversation_id) == []


async def test_conversations_created_pages_through_a_range_in_order(store: Store) -> None:
    v = visitor()
    made = []
    for i in range(7):
        c = await new_conversation(store, 100.0 + i // 2, v)  # pairs share a created_at
        await store.set_conversation_state(c.id, ConversationState.CLOSED, now=100.0 + i)
        made.append(c)
    await new_conversation(store, 99.0, visitor())  # before the range
    await new_conversation(store, 103.0, visitor())  # at `until`: excluded
    seen: list[Conversation] = []
    after: tuple[float, str] | None = None
    while True:
        page = await store.conversations_created(since=100.0, until=103.0, after=after, limit=2)
        if not page:
            break
        assert len(page) <= 2
        seen.extend(page)
        after = (page[-1].created_at, page[-1].id)
    expected = sorted((c for c in made if c.created_at < 103.0), key=lambda c: (c.created_at, c.id))
    assert [c.id for c in seen] == [c.id for c in expected]
    assert len(seen) == 6


async def test_forget_visitor_erases_everything_and_frees_the_agent(store: Store) -> None:
    agent = Agent(
        username="olena",
        name="Olena",
        role=AgentRole.AGENT,
        max_chats=1,
        departments=(),
        password_hash="x",
        created_at=1.0,
    )
    await store.create_agent(agent)
    gone = visitor("Someone@Example.com")
    kept = visitor("other@example.com")
    old = await full_conversation(store, gone, 1000.0)
    live = await new_conversation(store, 2000.0, gone)
    await store.request_handoff(live.id, now=2001.0, department=None, priority=0)
    await store.assign(live.id, agent, now=2002.0)
    other = await full_conversation(store, kept, 1000.0)
    await store.record_event("visitor.identified", now=5.0, visitor_id=gone.id)
    for cid in (old.id, other.id):
        payload = {"to": "someone@example.com"}
        await store.enqueue_outbox(f"csat.{cid}", "email", payload, now=1.0, due_at=1.0)
    await store.enqueue_outbox(f"transcript.{old.id}.2", "email", {}, now=1.0, due_at=1.0)

    assert await store.visitor_ids_by_email("someone@EXAMPLE.com") == [gone.id]
    erased = await store.forget_visitor(gone.id)

    assert erased.conversations == 2 and erased.visitors == 1 and erased.events >= 3
    for cid in (old.id, live.id):
        await assert_gone(store, cid)
    assert await store.get_visitor(gone.id) is None
    assert await store.get_open_conversation(gone.id) is None
    assert await store.last_conversation(gone.id) is None
    assert await store.visitor_ids_by_email("someone@example.com") == []
    assert await store.get_outbox(f"csat.{old.id}") is None
    assert await store.get_outbox(f"transcript.{old.id}.2") is None
    assert await store.get_outbox(f"csat.{other.id}") is not None
    assert (await store.workloads())["olena"].active_chats == 0
    assert await store.agent_conversations("olena") == []
    assert await store.list_queue() == []
    due = await store.take_due_deadlines(10_000.0)
    assert [d.key for d in due] == [other.id]  # only the other visitor's deadline is left
    # the other visitor is untouched
    assert await store.get_visitor(kept.id) is not None
    assert len(await store.get_messages(other.id)) == 2
    page = await store.conversations_created(since=0.0, until=1e12)
    assert [c.id for c in page] == [other.id]
    # forgetting again (or an unknown id) is harmless
    assert await store.forget_visitor(gone.id) == Erased()


async def test_purge_before_deletes_only_what_is_old_and_closed(store: Store) -> None:
    old_visitor = visitor(now=1000.0)
    old = await full_conversation(store, old_visitor, 1000.0)
    recent_visitor = visitor(now=5000.0)
    recent = await full_conversation(store, recent_visitor, 5000.0)
    # created long ago but still open: never purged
    stuck_visitor = visitor(now=1000.0)
    stuck = await new_conversation(store, 1000.0, stuck_visitor)
    # a visitor who only identified themselves, long ago, and one who did so recently
    lurker = visitor("l@example.com", now=1000.0)
    await store.save_visitor(lurker, now=1000.0)
    fresh = visitor("f@example.com", now=5000.0)
    await store.save_visitor(fresh, now=5000.0)
    await store.record_event("agent.status", now=1000.0, data={"agent": "olena"})
    await store.record_event("agent.status", now=5000.0, data={"agent": "olena"})
    for cid in (old.id, recent.id):  # follow-ups still waiting to be delivered
        await store.enqueue_outbox(f"csat.{cid}", "email", {}, now=1.0, due_at=1.0)

    erased = await store.purge_before(3000.0)

    assert erased.conversations == 1 and erased.visitors == 2 and erased.events >= 2
    await assert_gone(store, old.id)
    assert await store.get_visitor(old_visitor.id) is None
    assert await store.get_visitor(lurker.id) is None
    assert await store.get_visitor(fresh.id) is not None
    assert await store.get_visitor(recent_visitor.id) is not None
    assert await store.get_visitor(stuck_visitor.id) is not None
    assert await store.get_conversation(stuck.id) is not None
    assert len(await store.get_messages(recent.id)) == 2
    assert await store.get_rating(recent.id) is not None
    assert await store.get_outbox(f"csat.{old.id}") is None
    assert await store.get_outbox(f"csat.{recent.id}") is not None
    assert await store.purge_before(3000.0) == Erased()


@pytest.mark.parametrize("limit", [1, 2])
async def test_purge_before_works_in_batches(store: Store, limit: int) -> None:
    for i in range(3):
        await full_conversation(store, visitor(), 1000.0 + i)
    total = 0
    for _ in range(5):
        erased = await store.purge_before(3000.0, limit=limit)
        assert erased.conversations <= limit
        total += erased.conversations
        if erased.conversations < limit:
            break
    assert total == 3
    assert await store.conversations_created(since=0.0, until=1e12) == []


async def test_redis_data_of_the_first_layout_gets_the_new_indexes(
    redis_server: Any, redis_prefix: str
) -> None:
    first = RedisStore(redis_server.url, prefix=redis_prefix)
    await first.open()
    someone = visitor("a@example.com")
    conversation = await full_conversation(first, someone, 1000.0)
    client = first._redis()  # make it look like data written by schema 1
    await client.delete(first.keys.conversations, first.keys.visitors)
    await client.hset(first.keys.meta, "schema", "1")
    await first.close()

    upgraded = RedisStore(redis_server.url, prefix=redis_prefix)
    await upgraded.open()
    try:
        page = await upgraded.conversations_created(since=0.0, until=1e12)
        assert [c.id for c in page] == [conversation.id]
        assert await upgraded.visitor_ids_by_email("A@example.com") == [someone.id]
        assert await upgraded._redis().hget(upgraded.keys.meta, "schema") == "2"
    finally:
        await upgraded.close()


async def test_forget_visitor_erases_delivered_outbox_items_too(store: Store) -> None:
    gone = visitor("g@example.com")
    conversation = await full_conversation(store, gone, 1000.0)
    key = f"csat.{conversation.id}"
    await store.enqueue_outbox(key, "email", {"to": "g@example.com"}, now=1.0, due_at=1.0)
    [item] = await store.claim_outbox(1.0, lease="l", lease_seconds=60)
    assert await store.finish_outbox(item.key, lease="l", now=2.0)
    await store.forget_visitor(gone.id)
    assert await store.get_outbox(key) is None
