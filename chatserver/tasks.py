"""Background loops that stop when they are told to.

A client library that turns a CancelledError into its own error (redis-py can, when the
cancel lands mid-command) makes a loop that retries on errors swallow its own
cancellation: the task stays "cancelling" for ever and shutdown waits on it. Loops call
``stop_if_cancelled`` after handling an error; shutdown also gives up on a task after
``STOP_TIMEOUT`` seconds (``stop_all``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

log = logging.getLogger("chatserver.tasks")

STOP_TIMEOUT = 5.0


def stop_if_cancelled() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def stop_all(tasks: Sequence[asyncio.Task[None]], limit_s: float = STOP_TIMEOUT) -> None:
    """Cancel ``tasks`` and wait for them, at most ``limit_s`` seconds in all."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=limit_s)
    for task in pending:
        log.error("background task %s did not stop within %.0f s", task.get_name(), limit_s)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())
