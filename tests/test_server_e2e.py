"""Server-level behaviour: allowed origins, FAQ hot reload under a running server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer

from chatserver.web import keys
from tests.conftest import StartServer, make_settings
from tests.helpers import VISITOR_NS, VisitorClient, wait_until

Visitors = Callable[[TestServer], VisitorClient]

FAQ_V1 = """\
locale: en
category: Store
entries:
  - id: opening-hours
    questions:
      - When are you open?
      - What are your opening hours?
    answer: Every day from 9 to 18.
"""

FAQ_V2 = (
    FAQ_V1
    + """\
  - id: gift-cards
    questions:
      - Do you sell gift cards?
      - Can I buy a gift certificate?
    answer: Yes, from 10 to 500 euros.
"""
)

BROKEN = FAQ_V2.replace("    answer: Yes, from 10 to 500 euros.\n", "")


async def test_faq_edits_are_picked_up_without_restart(
    start_server: StartServer, tmp_path: Path, visitors: Visitors
) -> None:
    faq_dir = tmp_path / "faq"
    faq_dir.mkdir()
    faq_file = faq_dir / "store.yaml"
    faq_file.write_text(FAQ_V1)
    server = await start_server(make_settings(tmp_path / "data", faq_dir))
    library = server.app[keys.FAQ]
    visitor = visitors(server)
    await visitor.connect({"locale": "en"})
    _, reply = await visitor.ask("when are you open")
    assert reply["faq_id"] == "opening-hours"
    _, reply = await visitor.ask("do you sell gift cards")
    assert "faq_id" not in reply

    generation = library.generation
    faq_file.write_text(FAQ_V2)
    await wait_until(lambda: library.generation > generation)
    _, reply = await visitor.ask("do you sell gift cards")
    assert reply["faq_id"] == "gift-cards"

    # a broken edit is reported and the last good FAQ keeps answering
    faq_file.write_text(BROKEN)
    await wait_until(lambda: bool(library.problems))
    problem = str(library.problems[0])
    assert problem.startswith(f"{faq_file}:")
    assert "answer" in problem
    _, reply = await visitor.ask("do you sell gift cards")
    assert reply["faq_id"] == "gift-cards"
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.make_url("/healthz")) as resp,
    ):
        body = await resp.json()
    assert body["faq"]["problems"] >= 1
    assert body["status"] == "ok"


async def test_server_starts_with_a_broken_faq(
    start_server: StartServer, tmp_path: Path, visitors: Visitors
) -> None:
    faq_dir = tmp_path / "faq"
    faq_dir.mkdir()
    (faq_dir / "bad.yaml").write_text("locale: en\nentries: [\n")
    server = await start_server(make_settings(tmp_path / "data", faq_dir))
    visitor = visitors(server)
    await visitor.connect({"locale": "en"})
    _, reply = await visitor.ask("when are you open")
    assert reply["author"]["kind"] == "bot"  # the bot still talks: the fallback


async def can_connect_from(url: str, origin: str) -> bool:
    async with aiohttp.ClientSession() as http:
        client = socketio.AsyncClient(reconnection=False, http_session=http)
        try:
            await client.connect(
                url,
                namespaces=[VISITOR_NS],
                transports=["websocket"],
                headers={"Origin": origin},
                wait_timeout=5,
            )
        except socketio.exceptions.ConnectionError:
            return False
        await client.disconnect()
        return True


async def test_only_allowed_origins_may_connect(start_server: StartServer, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "data", **{"server.allowed_origins": ["https://shop.example"]}
    )
    server = await start_server(settings)
    url = str(server.make_url("")).rstrip("/")
    assert await can_connect_from(url, "https://shop.example")
    assert await can_connect_from(url, url)  # the server's own pages
    assert not await can_connect_from(url, "https://evil.example")
    assert not await can_connect_from(url, "null")


async def test_client_leaving_mid_handshake_is_not_an_error(
    server: TestServer,
    visitors: Visitors,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from aiohttp.client_exceptions import ClientConnectionResetError
    from aiohttp.web import WebSocketResponse

    async def gone(self: WebSocketResponse, request: object) -> None:
        raise ClientConnectionResetError("Cannot write to closing transport")

    eio = server.app[keys.SIO].eio
    with monkeypatch.context() as patch:
        patch.setattr(WebSocketResponse, "prepare", gone)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await visitors(server).connect({})
    assert "Error handling request" not in caplog.text
    await wait_until(lambda: not eio.sockets)  # the half-open socket is gone at once
    assert (await visitors(server).connect({}))["token"]  # and the server carries on
