"""The outbox worker on a real SQLite store, with handlers the tests control."""

from __future__ import annotations

from pathlib import Path

from chatserver.config import OutboxSettings
from chatserver.mailer import DeliveryError
from chatserver.outbox import OutboxWorker
from chatserver.store.base import OutboxItem
from chatserver.store.sqlite import SqliteStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_failures_are_retried_with_backoff_and_never_dropped(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    await store.open()
    clock = Clock()
    seen: list[int] = []

    async def flaky(item: OutboxItem) -> None:
        seen.append(item.attempts)
        if item.attempts == 1:
            raise DeliveryError("451 <a@example.com> busy")
        if item.attempts == 2:
            raise RuntimeError("a bug in a handler")

    worker = OutboxWorker(
        store,
        {"email": flaky},
        OutboxSettings(retry_first_seconds=10, retry_max_seconds=15),
        clock=clock,
    )
    try:
        await store.enqueue_outbox("k", "email", {}, now=clock.now, due_at=clock.now)
        await store.enqueue_outbox("odd", "carrier-pigeon", {}, now=clock.now, due_at=clock.now)
        assert await worker.run_once() == 2
        item = await store.get_outbox("k")
        assert item is not None and item.due_at == 1010.0
        assert item.last_error == "451 <<address>> busy"
        odd = await store.get_outbox("odd")
        assert (
            odd is not None and odd.done_at is None and "carrier-pigeon" in (odd.last_error or "")
        )
        assert await worker.run_once() == 0  # not due yet
        clock.now = 1010.0
        assert await worker.run_once() == 2
        item = await store.get_outbox("k")
        assert item is not None and item.due_at == 1025.0  # doubled, capped at 15
        assert item.last_error == "RuntimeError"
        clock.now = 1025.0
        await worker.run_once()
        item = await store.get_outbox("k")
        assert item is not None and item.done_at == 1025.0
        assert seen == [1, 2, 3]
    finally:
        await store.close()


async def test_an_item_of_a_dead_worker_is_taken_over(tmp_path: Path) -> None:
    lease_seconds = 30.0
    store = SqliteStore(tmp_path / "db.sqlite3")
    await store.open()
    clock = Clock()
    sent: list[str] = []

    async def send(item: OutboxItem) -> None:
        sent.append(item.key)

    try:
        await store.enqueue_outbox("k", "email", {}, now=clock.now, due_at=clock.now)
        # a worker claims it and dies before answering
        [claimed] = await store.claim_outbox(clock.now, lease="dead", lease_seconds=lease_seconds)
        assert claimed.key == "k"
        worker = OutboxWorker(
            store, {"email": send}, OutboxSettings(lease_seconds=lease_seconds), clock=clock
        )
        assert await worker.run_once() == 0
        clock.now += lease_seconds
        assert await worker.run_once() == 1
        assert sent == ["k"]
        item = await store.get_outbox("k")
        assert item is not None and item.done_at is not None and item.attempts == 2
    finally:
        await store.close()
