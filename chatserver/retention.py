"""Retention: conversations and visitors older than ``privacy.retention_days`` are
deleted, in batches, by a periodic job in every server process (the deletes are
idempotent, so several processes doing it at once only repeat work)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from chatserver.errors import StoreError
from chatserver.store.base import Erased, Store

log = logging.getLogger("chatserver.retention")

DAY = 86_400.0
BATCH = 500


async def purge_expired(store: Store, *, days: int, now: float) -> Erased:
    """Delete everything older than ``days`` (nothing when ``days`` is 0)."""
    if days <= 0:
        return Erased()
    cutoff = now - days * DAY
    conversations = visitors = events = 0
    while True:
        erased = await store.purge_before(cutoff, limit=BATCH)
        conversations += erased.conversations
        visitors += erased.visitors
        events += erased.events
        if erased.conversations < BATCH:
            return Erased(conversations=conversations, visitors=visitors, events=events)
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
    if days <= 0:
        return
    while True:
        try:
            erased = await purge_expired(store, days=days, now=clock())
        except StoreError as exc:
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
