"""The configured store, for the server and the command line alike."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from chatserver.config import Settings
from chatserver.errors import ConfigError, NotFoundError
from chatserver.store.base import Store
from chatserver.store.redis import RedisStore
from chatserver.store.sqlite import SqliteStore

T = TypeVar("T")


def build_store(settings: Settings) -> Store:
    backend = settings.storage.backend
    if backend == "sqlite":
        return SqliteStore(
            settings.storage.data_dir / "chatserver.sqlite3",
            synchronous=settings.storage.sqlite_synchronous,
        )
    if backend == "redis":
        return RedisStore(settings.storage.redis_url, prefix=settings.storage.redis_prefix)
    raise ConfigError(f"storage.backend {backend!r} is not available in this version")


def with_store(
    settings: Settings, op: Callable[[Store], Awaitable[T]], *, create: bool = False
) -> T:
    """Open the configured store, run ``op`` on it, close it: one command-line action.

    On SQLite a missing database is NotFoundError unless ``create`` (a typo in
    ``--data-dir`` must not silently start an empty database)."""
    if settings.storage.backend == "sqlite":
        path = settings.storage.data_dir / "chatserver.sqlite3"
        if not create and not path.is_file():
            raise NotFoundError(f"no database at {path} (check --data-dir)")

    async def main() -> T:
        store = build_store(settings)
        await store.open()
        try:
            return await op(store)
        finally:
            await store.close()

    return asyncio.run(main())
