from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp.test_utils import TestServer

from chatserver.config import Settings, load_settings
from chatserver.web.app import create_app
from tests.helpers import VisitorClient
from tests.redis_server import RedisServer
from tests.smtp_server import Inbox

if TYPE_CHECKING:
    from tests.test_handoff_e2e import World

ROOT = Path(__file__).resolve().parent.parent
DEMO_FAQ = ROOT / "faq_data"


def make_settings(data_dir: Path, faq_dir: Path = DEMO_FAQ, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "storage.data_dir": str(data_dir),
        "faq.dir": str(faq_dir),
        "server.host": "127.0.0.1",
        "server.port": 0,
        "faq.reload_interval": 0.05,
    }
    values.update(overrides)
    return load_settings(None, environ={}, overrides=values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


StartServer = Callable[..., Awaitable[TestServer]]


@pytest.fixture
async def start_server(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> StartServer:
    """Start a real chatserver on a free loopback port (may be called again to restart)."""

    async def start(settings: Settings) -> TestServer:
        return await aiohttp_server(create_app(settings), host="127.0.0.1")

    return start


@pytest.fixture
async def server(start_server: StartServer, settings: Settings) -> TestServer:
    return await start_server(settings)


VisitorFactory = Callable[..., Awaitable[VisitorClient]]


@pytest.fixture
async def visitors() -> AsyncIterator[Callable[[TestServer], VisitorClient]]:
    """Make VisitorClients for a server; all are disconnected at the end of the test."""
    made: list[VisitorClient] = []

    def make(srv: TestServer) -> VisitorClient:
        client = VisitorClient(str(srv.make_url("")).rstrip("/"))
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server (AOF on) for the whole session; started on first use.

    Tests share it and keep apart by key prefix (``redis_prefix``).
    """
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix of this test's own, so that tests never see each other's keys."""
    return f"t{uuid.uuid4().hex}:"


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    """A real SMTP server (aiosmtpd) on a free loopback port; read ``inbox.messages``."""
    server = Inbox()
    await server.start()
    yield server
    await server.stop()


# Mail settings that keep tests short: the follow-up is due 0.3 s after closing and a
# failed delivery is retried within 0.05-0.2 s.
FAST_MAIL: dict[str, object] = {
    "csat.followup_delay_minutes": 0.005,
    "outbox.poll_seconds": 0.05,
    "outbox.retry_first_seconds": 0.05,
    "outbox.retry_max_seconds": 0.2,
}

MakeMailWorld = Callable[..., Awaitable["World"]]


@pytest.fixture
async def mail_world(
    start_server: StartServer, tmp_path: Path, inbox: Inbox
) -> AsyncIterator[MakeMailWorld]:
    """Start servers (a ``World``) that send mail to ``inbox``, with short delays."""
    from tests.test_handoff_e2e import World

    made: list[World] = []

    async def make(**overrides: object) -> World:
        values = {**inbox.mail_settings(), **FAST_MAIL, **overrides}
        settings = make_settings(tmp_path / f"data{len(made)}", **values)
        made.append(World(await start_server(settings)))
        return made[-1]

    yield make
    for w in made:
        await w.close()
