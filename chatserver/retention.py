"""Retention: conversations and visitors older than ``privacy.retention_days`` are
deleted, in batches, by a periodic job in every server process (the deletes are
idempotent, so several processes doing it at once only repeat work). The same job
forgets delivered outbox items after a while."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from chatserver.errors import StoreError
from chatserver.store.base import Erased, Store
from chatserver.tasks import stop_if_cancelled

log = logging.getLogger("chatserver.retention")

DAY = 86_400.0
BATCH = 500
# Delivered outbox items keep their dedupe key this long (a replayed event within it is
# still recognised), or as long as retention_days when that is shorter.
OUTBOX_KEEP_DAYS = 30


async def prune_outbox(store: Store, *, days: int, now: float) -> int:
    """Forget delivered outbox items older than OUTBOX_KEEP_DAYS (or ``days``)."""
    keep = min(days, OUTBOX_KEEP_DAYS) if days > 0 else OUTBOX_KEEP_DAYS
    pruned = 0
    while (batch := await store.prune_outbox(now - keep * DAY, limit=BATCH)) > 0:
        pruned += batch
        await asyncio.sleep(0)
    return pruned


async def purge_expired(store: Store, *, days: int, now: float) -> Erased:
    """Delete everything older than ``days`` (nothing when ``days`` is 0)."""
    if days <= 0:
        return Erased()
    cutoff = now - days * DAY
    total = Erased()
    while True:
        erased = await store.purge_before(cutoff, limit=BATCH)
        total += erased
        if erased.conversations < BATCH:
            return total
        await asyncio.sleep(0)  # let chats go on between batches


async def run_retention(
    store: Store,
    *,
    days: int,
    interval_s: float,
    clock: Callable[[], float] = time.time,
) -> None:
    """Purge now and then every ``interval_s`` until cancelled; a storage failure is
    logged and retried at the next round."""
    while True:
        try:
            await prune_outbox(store, days=days, now=clock())
            erased = await purge_expired(store, days=days, now=clock())
        except StoreError as exc:
            stop_if_cancelled()
            log.warning("retention: storage failed (%s); trying again later", exc.message)
        else:
            if erased != Erased():
                log.info(
                    "retention (%d days): deleted %d conversation(s), %d visitor(s), %d event(s)",
                    days,
                    erased.conversations,
                    erased.visitors,
                    erased.events,
                )
        await asyncio.sleep(interval_s)
