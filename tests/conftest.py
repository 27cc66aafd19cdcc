from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from chatserver.config import Settings, load_settings
from chatserver.web.app import create_app
from tests.helpers import VisitorClient

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
