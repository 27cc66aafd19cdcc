"""Background loops stop on cancel even when a library swallows the CancelledError."""

from __future__ import annotations

import asyncio
import logging

import pytest

from chatserver.tasks import stop_all, stop_if_cancelled


class LibraryError(Exception):
    pass


async def library_call(started: asyncio.Event) -> None:
    """Like a client library that turns a cancel mid-command into its own error."""
    started.set()
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        raise LibraryError("connection reset") from None


async def retrying_loop(started: asyncio.Event, rounds: list[int]) -> None:
    while True:
        rounds.append(1)
        try:
            await library_call(started)
        except LibraryError:
            stop_if_cancelled()
        await asyncio.sleep(0.01)


async def test_a_swallowed_cancel_still_stops_the_loop() -> None:
    started, rounds = asyncio.Event(), []
    task = asyncio.create_task(retrying_loop(started, rounds))
    await started.wait()
    task.cancel()
    async with asyncio.timeout(5):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert rounds == [1]


async def test_stop_all_gives_up_on_a_task_that_never_stops(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stubborn_ran = asyncio.Event()
    release = asyncio.Event()

    async def stubborn() -> None:
        stubborn_ran.set()
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue  # ignores every cancel

    async def polite() -> None:
        await asyncio.Event().wait()

    tasks = [asyncio.create_task(stubborn(), name="stubborn"), asyncio.create_task(polite())]
    await stubborn_ran.wait()
    with caplog.at_level(logging.ERROR):
        await stop_all(tasks, limit_s=0.2)
    assert "background task stubborn did not stop" in caplog.text
    assert tasks[1].cancelled()
    release.set()
    await tasks[0]
