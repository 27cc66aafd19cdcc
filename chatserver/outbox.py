"""Delivering the stored outbox: emails and webhook POSTs, retried until they succeed.

Every process runs one worker. A worker claims due items with a lease (the store makes
the claim atomic), hands each to the handler of its kind, and then marks it delivered, or
reschedules it with a capped exponential backoff when the handler raised DeliveryError
(or anything else: nothing is ever dropped).

Exactly once? Not quite, and no outbox can promise it over SMTP or HTTP: between "the
server accepted it" and "the store marked it delivered" lies a window (one store write)
in which a crash leaves the item pending, and it is sent again once its lease runs out.
A send slower than the lease can likewise be claimed and sent a second time by another
process. Both are kept rare (the item is marked delivered right after acceptance; the
lease outlasts the send timeouts), and every retry of an item carries the same identity:
emails the same Message-ID, webhooks the same delivery id, so a receiver can drop a
duplicate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from chatserver.config import OutboxSettings
from chatserver.core.followup import retry_delay
from chatserver.ids import new_id
from chatserver.mailer import DeliveryError, redact
from chatserver.store.base import OutboxItem, Store
from chatserver.tasks import stop_if_cancelled

log = logging.getLogger("chatserver.outbox")

Handler = Callable[[OutboxItem], Awaitable[None]]

# Error texts are kept with the item for operators; long server replies are cut.
MAX_ERROR = 500


BATCH = 10  # items claimed at once; a full batch means more may be due


class OutboxWorker:
    def __init__(
        self,
        store: Store,
        handlers: Mapping[str, Handler],
        settings: OutboxSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.handlers = handlers
        self.settings = settings
        self.clock = clock
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for due items now rather than at the next poll (after an enqueue)."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and deliver what is due; returns how many items were claimed."""
        lease = new_id()
        items = await self.store.claim_outbox(
            self.clock(),
            lease=lease,
            lease_seconds=self.settings.lease_seconds,
            limit=BATCH,
        )
        await asyncio.gather(*(self._deliver(item, lease) for item in items))
        return len(items)

    async def _deliver(self, item: OutboxItem, lease: str) -> None:
        handler = self.handlers.get(item.kind)
        try:
            if handler is None:
                raise DeliveryError(f"nothing here delivers {item.kind!r} items")
            await handler(item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}"
            if not isinstance(exc, DeliveryError):
                log.exception("delivering outbox item %s failed unexpectedly", item.key)
            error = redact(error)[:MAX_ERROR]
            delay = retry_delay(
                item.attempts,
                first=self.settings.retry_first_seconds,
                cap=self.settings.retry_max_seconds,
            )
            log.warning(
                "%s %s: attempt %d failed (%s); next in %.0f s",
                item.kind,
                item.key,
                item.attempts,
                error,
                delay,
            )
            await self.store.retry_outbox(
                item.key, lease=lease, due_at=self.clock() + delay, error=error
            )
            return
        if not await self.store.finish_outbox(item.key, lease=lease, now=self.clock()):
            log.warning("%s %s was delivered after its lease ran out", item.kind, item.key)
        else:
            log.info("%s %s delivered (attempt %d)", item.kind, item.key, item.attempts)

    async def run(self) -> None:
        """Deliver forever (cancel to stop); a failing store is retried, with a capped
        backoff, and never stops the loop."""
        failures = 0
        while True:
            try:
                claimed = await self.run_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                log.exception("reading the outbox failed")
                claimed = 0
            stop_if_cancelled()
            if claimed == BATCH:
                continue  # more may be due
            wait = self.settings.poll_seconds * min(2**failures, 30)
            self._wake.clear()
            # Not asyncio.timeout: on Python 3.11 a cancel arriving as the timeout
            # expires comes out as TimeoutError, and the loop would never stop.
            waiter = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({waiter}, timeout=wait)
            finally:
                waiter.cancel()
