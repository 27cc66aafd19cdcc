"""The contract every store backend keeps. Add a backend to ``BACKENDS`` and give
``open_store`` a way to build it; every test here then runs against it too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from chatserver.core.models import (
    Agent,
    AgentRole,
    AgentStatus,
    AuthorKind,
    Conversation,
    ConversationState,
    MessageDraft,
    Rating,
    Suggestion,
    Visitor,
)
from chatserver.errors import ConflictError, NotFoundError, StoreError
from chatserver.ids import new_id
from chatserver.store.base import Deadline, Store, Workload
from chatserver.store.redis import RedisStore
from chatserver.store.sqlite import SqliteStore

BACKENDS = ["sqlite", "redis"]

OpenStore = Callable[[], Awaitable[Store]]


@pytest.fixture(params=BACKENDS)
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OpenStore]:
    """Opens a store on the same underlying data each time it is called (a 'restart')."""
    opened: list[Store] = []
    if request.param == "redis":  # started only when a Redis test runs
        redis_url = request.getfixturevalue("redis_server").url
        redis_prefix = request.getfixturevalue("redis_prefix")

    async def open_() -> Store:
        if request.param == "sqlite":
            store: Store = SqliteStore(tmp_path / "db.sqlite3")
        elif request.param == "redis":
            store = RedisStore(redis_url, prefix=redis_prefix)
        else:  # pragma: no cover
            raise AssertionError(request.param)
        await store.open()
        opened.append(store)
        return store

    yield open_
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_store: OpenStore) -> Store:
    return await open_store()


async def new_conversation(
    store: Store, now: float = 1000.0, visitor: Visitor | None = None
) -> Conversation:
    """A new conversation of ``visitor`` (by default a new Russian-speaking one)."""
    visitor = visitor or Visitor(id=new_id(), created_at=now, locale="ru")
    conversation, created = await store.open_conversation(
        Conversation(
            id=new_id(),
            visitor_id=visitor.id,
            state=ConversationState.BOT,
            created_at=now,
            locale=visitor.locale,
        ),
        visitor=visitor,
    )
    assert created
    return conversation


def draft(text: str, client_id: str | None = None) -> MessageDraft:
    return MessageDraft(author_kind=AuthorKind.VISITOR, text=text, client_id=client_id)


async def test_health(store: Store) -> None:
    health = await store.health()
    assert health["ok"] is True
    assert health["backend"] == store.backend


async def test_visitor_saved_and_updated(store: Store) -> None:
    visitor = Visitor(id=new_id(), created_at=10.0, locale="uk", page_url="https://shop/a")
    assert await store.get_visitor(visitor.id) is None
    await store.save_visitor(visitor, now=10.0)
    assert await store.get_visitor(visitor.id) == visitor
    await store.save_visitor(
        Visitor(id=visitor.id, created_at=99.0, locale="en", page_url=None), now=20.0
    )
    again = await store.get_visitor(visitor.id)
    assert again is not None
    assert again.created_at == 10.0  # the first visit stays the first visit
    assert again.locale == "en"
    assert again.page_url == "https://shop/a"  # not erased by an update without a page


async def test_one_open_conversation_per_visitor(store: Store) -> None:
    first = await new_conversation(store)
    other, created = await store.open_conversation(
        Conversation(
            id=new_id(),
            visitor_id=first.visitor_id,
            state=ConversationState.BOT,
            created_at=2000.0,
        ),
        visitor=Visitor(id=first.visitor_id, created_at=2000.0),
    )
    assert not created
    assert other.id == first.id
    assert (await store.get_open_conversation(first.visitor_id)) == first
    await store.set_conversation_state(first.id, ConversationState.CLOSED, now=3000.0)
    assert await store.get_open_conversation(first.visitor_id) is None
    second, created = await store.open_conversation(
        Conversation(
            id=new_id(), visitor_id=first.visitor_id, state=ConversationState.BOT, created_at=4e3
        ),
        visitor=Visitor(id=first.visitor_id, created_at=4e3),
    )
    assert created and second.id != first.id
    assert await store.count_conversations(first.visitor_id) == 2
    created_events = [
        e
        for c in (first, second)
        for e in await store.list_events(conversation_id=c.id)
        if e["kind"] == "conversation.created"
    ]
    assert len(created_events) == 2


async def test_concurrent_opens_make_one_conversation(store: Store) -> None:
    visitor = Visitor(id=new_id(), created_at=1.0)
    await store.save_visitor(visitor, now=1.0)
    results = await asyncio.gather(
        *(
            store.open_conversation(
                Conversation(
                    id=new_id(), visitor_id=visitor.id, state=ConversationState.BOT, created_at=1.0
                ),
                visitor=visitor,
            )
            for _ in range(20)
        )
    )
    assert sum(created for _, created in results) == 1
    assert len({conversation.id for conversation, _ in results}) == 1


async def test_state_changes(store: Store) -> None:
    conversation = await new_conversation(store)
    queued = await store.set_conversation_state(
        conversation.id, ConversationState.QUEUED, now=5.0, expected=ConversationState.BOT
    )
    assert queued.state is ConversationState.QUEUED
    with pytest.raises(ConflictError):
        await store.set_conversation_state(
            conversation.id, ConversationState.ASSIGNED, now=6.0, expected=ConversationState.BOT
        )
    closed = await store.set_conversation_state(conversation.id, ConversationState.CLOSED, now=7.0)
    assert closed.closed_at == 7.0
    with pytest.raises(NotFoundError):
        await store.set_conversation_state(new_id(), ConversationState.CLOSED, now=8.0)


async def test_sequence_numbers_start_at_one_and_never_skip(store: Store) -> None:
    conversation = await new_conversation(store)
    first = await store.append_messages(conversation.id, [draft("a")], now=1.0)
    pair = await store.append_messages(
        conversation.id,
        [
            draft("b"),
            MessageDraft(
                author_kind=AuthorKind.BOT,
                author_name="Assistant",
                text="did you mean",
                suggestions=(Suggestion("x", "X?"), Suggestion("y", "Y?")),
            ),
        ],
        now=2.0,
    )
    assert [m.seq for m in first.messages] == [1]
    assert [m.seq for m in pair.messages] == [2, 3]
    stored = await store.get_messages(conversation.id)
    assert [(m.seq, m.text) for m in stored] == [(1, "a"), (2, "b"), (3, "did you mean")]
    assert stored[2].suggestions == (Suggestion("x", "X?"), Suggestion("y", "Y?"))
    assert stored[2].author_name == "Assistant"
    assert len({m.id for m in stored}) == 3


async def test_concurrent_appends_get_distinct_gapless_seqs(store: Store) -> None:
    conversation = await new_conversation(store)
    results = await asyncio.gather(
        *(store.append_messages(conversation.id, [draft(f"m{i}")], now=1.0) for i in range(50))
    )
    seqs = sorted(r.messages[0].seq for r in results)
    assert seqs == list(range(1, 51))


async def test_client_id_makes_append_idempotent(store: Store) -> None:
    conversation = await new_conversation(store)
    first = await store.append_messages(
        conversation.id, [draft("hello", "c1"), draft("bot reply")], now=1.0
    )
    again = await store.append_messages(
        conversation.id, [draft("hello (retry)", "c1"), draft("another bot reply")], now=2.0
    )
    assert first.created and not again.created
    assert again.messages == (first.messages[0],)
    assert len(await store.get_messages(conversation.id)) == 2
    # the same client_id in another conversation is a different message
    other = await new_conversation(store)
    elsewhere = await store.append_messages(other.id, [draft("hello", "c1")], now=3.0)
    assert elsewhere.created


async def test_bot_misses_are_written_with_the_messages(store: Store) -> None:
    conversation = await new_conversation(store)
    await store.append_messages(conversation.id, [draft("a", "c1")], now=1.0, bot_misses=1)
    stored = await store.get_conversation(conversation.id)
    assert stored is not None and stored.bot_misses == 1
    # a retry stores nothing, the count included
    again = await store.append_messages(conversation.id, [draft("a", "c1")], now=2.0, bot_misses=2)
    assert not again.created
    stored = await store.get_conversation(conversation.id)
    assert stored is not None and stored.bot_misses == 1
    # a refused batch writes nothing either
    with pytest.raises(StoreError):
        await store.append_messages(
            conversation.id, [draft("b", "c2"), draft("c", "c1")], now=3.0, bot_misses=3
        )
    stored = await store.get_conversation(conversation.id)
    assert stored is not None and stored.bot_misses == 1
    # without the argument the count is left as it is
    await store.append_messages(conversation.id, [draft("d")], now=4.0)
    assert (await store.get_open_conversation(conversation.visitor_id)) == stored


async def test_get_messages_pages(store: Store) -> None:
    conversation = await new_conversation(store)
    for i in range(10):
        await store.append_messages(conversation.id, [draft(f"m{i}")], now=float(i))
    page = await store.get_messages(conversation.id, after_seq=3, limit=4)
    assert [m.seq for m in page] == [4, 5, 6, 7]
    assert await store.get_messages(conversation.id, after_seq=10) == []


async def test_unknown_conversation(store: Store) -> None:
    assert await store.get_conversation(new_id()) is None
    with pytest.raises(NotFoundError):
        await store.append_messages(new_id(), [draft("x")], now=1.0)


async def test_events_are_logged_in_order(store: Store) -> None:
    conversation = await new_conversation(store)
    await store.record_event("conversation.handoff", now=2.0, conversation_id=conversation.id)
    await store.record_event(
        "conversation.assigned", now=3.0, conversation_id=conversation.id, data={"to": "olena"}
    )
    logged = await store.list_events(conversation_id=conversation.id)
    assert [e["kind"] for e in logged] == [
        "conversation.created",
        "conversation.handoff",
        "conversation.assigned",
    ]
    assert logged[0]["data"] == {"locale": "ru", "page_url": None}
    assert logged[2]["data"] == {"to": "olena"}


async def test_a_failing_write_does_not_undo_its_batch(store: Store) -> None:
    conversation = await new_conversation(store)
    results = await asyncio.gather(
        store.append_messages(conversation.id, [draft("kept 1")], now=1.0),
        store.append_messages(new_id(), [draft("no such conversation")], now=1.0),
        store.append_messages(conversation.id, [draft("kept 2")], now=1.0),
        return_exceptions=True,
    )
    assert isinstance(results[1], NotFoundError)
    assert [m.text for m in await store.get_messages(conversation.id)] == ["kept 1", "kept 2"]


async def test_everything_survives_a_restart(open_store: OpenStore) -> None:
    store = await open_store()
    conversation = await new_conversation(store)
    await store.append_messages(conversation.id, [draft("привет", "c1")], now=1.0)
    await store.close()
    reopened = await open_store()
    assert await reopened.get_conversation(conversation.id) == conversation
    messages = await reopened.get_messages(conversation.id)
    assert [(m.seq, m.text, m.client_id) for m in messages] == [(1, "привет", "c1")]
    more = await reopened.append_messages(conversation.id, [draft("ещё")], now=2.0)
    assert more.messages[0].seq == 2


def agent(username: str = "olena", **changes: object) -> Agent:
    values: dict[str, object] = {
        "username": username,
        "name": "Олена",
        "role": AgentRole.AGENT,
        "max_chats": 3,
        "departments": ("sales", "support"),
        "password_hash": "scrypt$...",
        "created_at": 5.0,
    }
    values.update(changes)
    return Agent(**values)  # type: ignore[arg-type]


async def test_agents_are_created_listed_and_updated(store: Store) -> None:
    await store.create_agent(agent("olena"))
    await store.create_agent(agent("bob", role=AgentRole.ADMIN, departments=()))
    with pytest.raises(ConflictError):
        await store.create_agent(agent("olena"))
    assert await store.get_agent("olena") == agent("olena")
    assert await store.get_agent("nobody") is None
    assert [a.username for a in await store.list_agents()] == ["bob", "olena"]
    updated = await store.update_agent(
        "olena", max_chats=5, status=AgentStatus.ONLINE, bump_token_version=True
    )
    assert (updated.max_chats, updated.status, updated.token_version) == (
        5,
        AgentStatus.ONLINE,
        2,
    )
    assert updated.departments == ("sales", "support")  # untouched fields stay
    disabled = await store.update_agent("olena", disabled=True, departments=())
    assert disabled.disabled and disabled.departments == () and disabled.token_version == 2
    assert await store.get_agent("olena") == disabled
    with pytest.raises(NotFoundError):
        await store.update_agent("nobody", disabled=True)


async def queued_conversation(store: Store, now: float = 100.0) -> Conversation:
    conversation = await new_conversation(store, now)
    return await store.request_handoff(conversation.id, now=now + 1, department="sales", priority=2)


async def test_handoff_queues_with_department_priority_and_waiting_time(store: Store) -> None:
    queued = await queued_conversation(store)
    assert queued.state is ConversationState.QUEUED
    assert (queued.department, queued.priority, queued.waiting_since) == ("sales", 2, 101.0)
    assert [c.id for c in await store.list_queue()] == [queued.id]
    with pytest.raises(ConflictError):
        await store.request_handoff(queued.id, now=102.0, department=None, priority=0)


async def test_assign_respects_capacity_atomically(store: Store) -> None:
    olena = agent("olena", max_chats=3)
    await store.create_agent(olena)
    waiting = [await queued_conversation(store, float(i)) for i in range(10)]
    results = await asyncio.gather(
        *(store.assign(c.id, olena, now=200.0) for c in waiting), return_exceptions=True
    )
    assigned = [r for r in results if isinstance(r, Conversation)]
    assert len(assigned) == 3
    assert all(isinstance(r, ConflictError) for r in results if r not in assigned)
    assert all(c.agent_username == "olena" and c.agent_name == "Олена" for c in assigned)
    assert (await store.workloads())["olena"] == Workload(3, 200.0)
    assert len(await store.list_queue()) == 7
    with pytest.raises(ConflictError):  # already assigned: never twice
        await store.assign(assigned[0].id, agent("bob"), now=201.0)


async def test_requeue_keeps_the_original_waiting_time(store: Store) -> None:
    queued = await queued_conversation(store)
    await store.create_agent(agent("olena"))
    assigned = await store.assign(queued.id, agent("olena"), now=300.0)
    assert assigned.assigned_at == 300.0
    with pytest.raises(ConflictError):
        await store.requeue(queued.id, now=400.0, from_agent="bob")
    back = await store.requeue(queued.id, now=400.0, from_agent="olena")
    assert back.state is ConversationState.QUEUED
    assert back.waiting_since == queued.waiting_since
    assert back.agent_username is None and back.agent_name is None
    assert (await store.workloads())["olena"] == Workload(0, 300.0)


async def test_transfer_between_agents(store: Store) -> None:
    queued = await queued_conversation(store)
    await store.assign(queued.id, agent("olena"), now=300.0)
    moved = await store.transfer(queued.id, agent("bob", name="Bob"), now=310.0, from_agent="olena")
    assert (moved.agent_username, moved.agent_name) == ("bob", "Bob")
    assert [c.id for c in await store.agent_conversations("bob")] == [queued.id]
    assert await store.agent_conversations("olena") == []
    with pytest.raises(ConflictError):
        await store.transfer(queued.id, agent("carol"), now=320.0, from_agent="olena")
    full = agent("dan", max_chats=1)
    other = await queued_conversation(store)
    await store.assign(other.id, full, now=330.0)
    with pytest.raises(ConflictError):
        await store.transfer(queued.id, full, now=340.0, from_agent="bob")


async def test_closing_frees_capacity_and_records_handling_time(store: Store) -> None:
    queued = await queued_conversation(store)
    await store.create_agent(agent("olena"))
    await store.assign(queued.id, agent("olena"), now=300.0)
    await store.set_conversation_state(queued.id, ConversationState.CLOSED, now=420.0)
    assert (await store.workloads())["olena"] == Workload(0, 300.0)
    assert await store.recent_handle_seconds() == [120.0]


async def test_deadlines_fire_exactly_once(store: Store) -> None:
    await store.set_deadline("grace", "olena", 50.0)
    await store.set_deadline("no_reply", "c1", 70.0)
    await store.set_deadline("no_reply", "c1", 60.0)  # moved, not duplicated
    await store.set_deadline("no_reply", "c2", 90.0)
    await store.clear_deadline("no_reply", "c2")
    assert await store.take_due_deadlines(40.0) == []
    taken = await asyncio.gather(*(store.take_due_deadlines(65.0) for _ in range(5)))
    fired = [d for batch in taken for d in batch]
    assert sorted(fired, key=lambda d: d.due_at) == [
        Deadline("grace", "olena", 50.0),
        Deadline("no_reply", "c1", 60.0),
    ]
    assert await store.take_due_deadlines(1000.0) == []


async def test_deadlines_survive_a_restart(open_store: OpenStore) -> None:
    store = await open_store()
    await store.set_deadline("grace", "olena", 50.0)
    await store.close()
    reopened = await open_store()
    assert await reopened.take_due_deadlines(60.0) == [Deadline("grace", "olena", 50.0)]


async def test_notes_stay_out_of_the_message_sequence(store: Store) -> None:
    conversation = await new_conversation(store)
    await store.append_messages(conversation.id, [draft("hi")], now=1.0)
    note, created = await store.add_note(
        conversation.id, author_name="Олена", text="VIP", now=2.0, client_id="n1"
    )
    assert created and note.client_id == "n1"
    again, created_again = await store.add_note(
        conversation.id, author_name="Олена", text="VIP (retry)", now=2.5, client_id="n1"
    )
    assert not created_again and again == note
    assert await store.get_notes(conversation.id) == [note]
    assert [m.seq for m in await store.get_messages(conversation.id)] == [1]
    more = await store.append_messages(conversation.id, [draft("again")], now=3.0)
    assert more.messages[0].seq == 2
    with pytest.raises(NotFoundError):
        await store.add_note(new_id(), author_name="x", text="y", now=4.0)


async def test_requeue_into_another_department_and_keep_existing_deadline(store: Store) -> None:
    queued = await queued_conversation(store)
    await store.create_agent(agent("olena"))
    await store.assign(queued.id, agent("olena"), now=300.0)
    back = await store.requeue(queued.id, now=310.0, from_agent="olena", department="support")
    assert back.department == "support"
    await store.set_deadline("grace", "olena", 50.0)
    await store.set_deadline("grace", "olena", 90.0, keep_existing=True)
    assert await store.take_due_deadlines(60.0) == [Deadline("grace", "olena", 50.0)]


async def test_one_rating_per_conversation(store: Store) -> None:
    conversation = await new_conversation(store)
    assert await store.get_rating(conversation.id) is None
    first, stored = await store.rate(Rating(conversation.id, 4, 10.0, "quick, thanks"))
    assert stored and first.score == 4
    again, stored_again = await store.rate(Rating(conversation.id, 1, 11.0))
    assert not stored_again and again == first
    assert await store.get_rating(conversation.id) == first
    with pytest.raises(NotFoundError):
        await store.rate(Rating(new_id(), 5, 12.0))


async def test_last_conversation(store: Store) -> None:
    first = await new_conversation(store, 10.0)
    assert await store.last_conversation(first.visitor_id) == first
    await store.set_conversation_state(first.id, ConversationState.CLOSED, now=20.0)
    closed = await store.last_conversation(first.visitor_id)
    assert closed is not None and closed.state is ConversationState.CLOSED
    assert await store.last_conversation(new_id()) is None


async def test_updating_an_agent_keeps_their_last_assignment(store: Store) -> None:
    await store.create_agent(agent("olena"))
    queued = await queued_conversation(store)
    await store.assign(queued.id, agent("olena"), now=300.0)
    await store.update_agent("olena", status=AgentStatus.AWAY, max_chats=4)
    assert (await store.workloads())["olena"] == Workload(1, 300.0)


async def test_saving_a_visitor_without_name_keeps_the_known_one(store: Store) -> None:
    visitor = Visitor(id=new_id(), created_at=1.0, name="Ivan", email="a@example.com")
    await store.save_visitor(visitor, now=1.0)
    await store.save_visitor(Visitor(id=visitor.id, created_at=2.0, email="b@example.com"), now=2.0)
    again = await store.get_visitor(visitor.id)
    assert again is not None and (again.name, again.email) == ("Ivan", "b@example.com")


# outbox ------------------------------------------------------------------------------


async def test_outbox_dedupes_by_key(store: Store) -> None:
    assert await store.enqueue_outbox("csat:c1", "email", {"to": "x"}, now=10.0, due_at=10.0)
    assert not await store.enqueue_outbox("csat:c1", "email", {"to": "y"}, now=11.0, due_at=11.0)
    item = await store.get_outbox("csat:c1")
    assert item is not None
    assert (item.kind, item.payload, item.attempts, item.done_at) == ("email", {"to": "x"}, 0, None)
    assert await store.get_outbox("nothing") is None


async def test_outbox_claims_never_overlap(store: Store) -> None:
    for n in range(6):
        await store.enqueue_outbox(f"k{n}", "webhook", {"n": n}, now=1.0, due_at=float(n))
    await store.enqueue_outbox("later", "webhook", {}, now=1.0, due_at=500.0)
    claims = await asyncio.gather(
        *(store.claim_outbox(100.0, lease=f"L{i}", lease_seconds=30, limit=2) for i in range(5))
    )
    claimed = [item.key for batch in claims for item in batch]
    assert sorted(claimed) == [f"k{n}" for n in range(6)]
    for i, batch in enumerate(claims):
        for item in batch:
            assert item.lease == f"L{i}" and item.attempts == 1
    # within the lease nobody else gets them
    assert await store.claim_outbox(120.0, lease="M", lease_seconds=30) == []


async def test_outbox_lease_expiry_makes_an_item_claimable_again(store: Store) -> None:
    await store.enqueue_outbox("k", "email", {}, now=1.0, due_at=1.0)
    [first] = await store.claim_outbox(10.0, lease="A", lease_seconds=30)
    assert first.lease == "A"
    # A died mid-send: once its lease is over, B takes the item
    [again] = await store.claim_outbox(41.0, lease="B", lease_seconds=30)
    assert (again.key, again.lease, again.attempts) == ("k", "B", 2)
    # A's late answer changes nothing; B's counts
    assert not await store.finish_outbox("k", lease="A", now=42.0)
    assert not await store.retry_outbox("k", lease="A", due_at=50.0, error="late")
    assert await store.finish_outbox("k", lease="B", now=43.0)
    done = await store.get_outbox("k")
    assert done is not None and done.done_at == 43.0
    assert done.payload == {}  # nothing personal kept once delivered
    assert await store.claim_outbox(10_000.0, lease="C", lease_seconds=30) == []
    # delivered keys stay used
    assert not await store.enqueue_outbox("k", "email", {}, now=50.0, due_at=50.0)
    assert not await store.finish_outbox("k", lease="B", now=44.0)


async def test_outbox_retry_reschedules_with_the_error(open_store: OpenStore) -> None:
    store = await open_store()
    await store.enqueue_outbox("k", "email", {"a": "б"}, now=1.0, due_at=1.0)
    [item] = await store.claim_outbox(5.0, lease="A", lease_seconds=30)
    assert await store.retry_outbox(item.key, lease="A", due_at=65.0, error="451 try later")
    assert await store.claim_outbox(64.0, lease="B", lease_seconds=30) == []
    await store.close()
    reopened = await open_store()  # survives a restart
    [again] = await reopened.claim_outbox(65.0, lease="C", lease_seconds=30)
    assert (again.attempts, again.last_error, again.payload) == (2, "451 try later", {"a": "б"})


async def test_rating_comment_is_stored_once(store: Store) -> None:
    conversation = await new_conversation(store)
    with pytest.raises(NotFoundError):
        await store.comment_rating(conversation.id, "nice")
    await store.rate(Rating(conversation.id, 4, 5.0))
    rating, stored = await store.comment_rating(conversation.id, "Дуже добре <b>")
    assert stored and rating == Rating(conversation.id, 4, 5.0, "Дуже добре <b>")
    again, stored_again = await store.comment_rating(conversation.id, "changed")
    assert not stored_again and again.comment == "Дуже добре <b>"
    assert await store.get_rating(conversation.id) == rating


async def test_outbox_prunes_only_delivered_items(store: Store) -> None:
    for key in ("old", "new", "pending"):
        await store.enqueue_outbox(key, "email", {"to": key}, now=1.0, due_at=1.0)
    items = await store.claim_outbox(2.0, lease="A", lease_seconds=30)
    assert len(items) == 3
    assert await store.finish_outbox("old", lease="A", now=10.0)
    assert await store.finish_outbox("new", lease="A", now=20.0)
    assert await store.prune_outbox(15.0) == 1
    assert await store.get_outbox("old") is None
    assert await store.get_outbox("new") is not None
    assert await store.get_outbox("pending") is not None
    assert await store.prune_outbox(10_000.0) == 1
    assert await store.get_outbox("pending") is not None
