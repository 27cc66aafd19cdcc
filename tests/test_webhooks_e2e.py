"""Webhooks end to end: a real aiohttp receiver on loopback that fails at first."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from chatserver.config import load_settings
from chatserver.errors import ConfigError
from chatserver.webhooks import sign
from tests.conftest import FAST_MAIL, StartServer, make_settings
from tests.helpers import wait_until
from tests.test_handoff_e2e import ANSWERED, World, handoff

SECRET = "s3cret-for-the-crm-0123456789"
OTHER_SECRET = "another-secret-0123456789"


@dataclass
class Receiver:
    """Answers 503 to the first ``fail_first`` requests, then 200; keeps everything."""

    fail_first: int = 0
    requests: list[tuple[dict[str, str], str, int]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        status = 503 if len(self.requests) < self.fail_first else 200
        self.requests.append((dict(request.headers), body, status))
        return web.Response(status=status)

    def accepted(self) -> list[tuple[dict[str, str], dict[str, Any]]]:
        return [(h, json.loads(b)) for h, b, status in self.requests if status == 200]


def verify(secret: str, headers: dict[str, str], body: str, *, tolerance: float = 300) -> bool:
    """What a receiver does (README): check the timestamp, then the HMAC."""
    parts = dict(p.split("=", 1) for p in headers["X-Chatserver-Signature"].split(","))
    if abs(time.time() - int(parts["t"])) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{parts['t']}.{body}".encode(), hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


StartReceiver = Callable[[Receiver], Awaitable[str]]


@pytest.fixture
async def start_receiver(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> StartReceiver:
    async def start(receiver: Receiver) -> str:
        app = web.Application()
        app.router.add_post("/hook", receiver.handle)
        server = await aiohttp_server(app, host="127.0.0.1")
        return str(server.make_url("/hook"))

    return start


async def test_events_are_signed_retried_and_delivered(
    start_server: StartServer, start_receiver: StartReceiver, tmp_path: Path
) -> None:
    crm = Receiver(fail_first=3)
    closed_only = Receiver()
    crm_url = await start_receiver(crm)
    closed_url = await start_receiver(closed_only)
    settings = make_settings(
        tmp_path / "data",
        **FAST_MAIL,
        **{
            "webhooks.urls": [crm_url, f"{closed_url} conversation.closed"],
            "webhooks.secrets": [SECRET, OTHER_SECRET],
        },
    )
    w = World(await start_server(settings))
    try:
        olena = await w.agent("olena")
        visitor = await w.visitor()
        await visitor.ask(ANSWERED)
        cid = (await handoff(visitor))["id"]
        await olena.wait_assigned()
        assert (await olena.call("close", {"conversation_id": cid}))["ok"]
        assert (await visitor.call("rate", {"score": 5}))["ok"]
        kinds = [
            "conversation.created",
            "conversation.handoff",
            "conversation.assigned",
            "conversation.closed",
            "conversation.rated",
        ]
        await wait_until(lambda: len(crm.accepted()) == 5)
        await wait_until(lambda: len(closed_only.accepted()) == 1)
    finally:
        await w.close()

    accepted = crm.accepted()
    assert sorted(body["type"] for _, body in accepted) == sorted(kinds)
    for headers, body in accepted:
        assert body["conversation_id"] == cid
        assert headers["X-Chatserver-Event"] == body["type"]
        assert headers["X-Chatserver-Delivery"] == body["id"]
        assert headers["Content-Type"] == "application/json"
    # every request, failed or not, is signed with this receiver's secret
    for headers, raw, _ in crm.requests:
        assert verify(SECRET, headers, raw)
        assert not verify(OTHER_SECRET, headers, raw)
        assert not verify(SECRET, headers, raw + " ")
    # the failed attempts were retried with the same delivery id and body
    failed = [(h["X-Chatserver-Delivery"], b) for h, b, s in crm.requests if s != 200]
    assert len(failed) == 3
    ok = {h["X-Chatserver-Delivery"]: json.dumps(b) for h, b in accepted}
    for delivery, raw in failed:
        assert delivery in ok and json.loads(raw) == json.loads(ok[delivery])
    # delivered once each (a 2xx ends the retries)
    assert len({h["X-Chatserver-Delivery"] for h, _ in accepted}) == 5
    rated = next(b for _, b in accepted if b["type"] == "conversation.rated")
    assert rated["data"] == {"score": 5, "via": "widget"}
    assert [b["type"] for _, b in closed_only.accepted()] == ["conversation.closed"]
    headers, raw, _ = closed_only.requests[0]
    assert verify(OTHER_SECRET, headers, raw)


def test_signature_format() -> None:
    expected = hmac.new(b"k" * 16, b'100.{"a":1}', hashlib.sha256).hexdigest()
    assert sign("k" * 16, 100, '{"a":1}') == f"t=100,v1={expected}"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"webhooks.urls": ["https://crm.example/h"]}, "one secret per url"),
        (
            {"webhooks.urls": ["ftp://crm.example/h"], "webhooks.secrets": [SECRET]},
            "is not like",
        ),
        (
            {"webhooks.urls": ["https://crm.example/h nope"], "webhooks.secrets": [SECRET]},
            "unknown event",
        ),
        ({"webhooks.urls": ["https://crm.example/h"], "webhooks.secrets": ["tiny-pw"]}, "16"),
    ],
)
def test_webhook_config_is_checked(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(None, environ={}, overrides=values)
    assert "tiny-pw" not in str(caught.value)  # a secret is never echoed


def test_webhook_secrets_from_the_environment() -> None:
    settings = load_settings(
        None,
        environ={
            "CHATSERVER_WEBHOOKS_URLS": "https://a.example/h,"
            "https://b.example/h conversation.rated",
            "CHATSERVER_WEBHOOKS_SECRETS": f"{SECRET},{OTHER_SECRET}",
        },
    )
    assert settings.webhooks.secrets == (SECRET, OTHER_SECRET)
    assert settings.webhooks.urls[1] == "https://b.example/h conversation.rated"


async def test_a_receiver_that_hangs_is_retried(
    start_server: StartServer,
    aiohttp_server: Callable[..., Awaitable[TestServer]],
    tmp_path: Path,
) -> None:
    calls: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        calls.append(request.headers["X-Chatserver-Delivery"])
        if len(calls) == 1:  # the first attempt never gets an answer in time
            await asyncio.sleep(5)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", handle)
    receiver = await aiohttp_server(app, host="127.0.0.1")
    settings = make_settings(
        tmp_path / "data",
        **FAST_MAIL,
        **{
            "webhooks.urls": [f"{receiver.make_url('/hook')} conversation.created"],
            "webhooks.secrets": [SECRET],
            "webhooks.timeout": 0.2,
        },
    )
    w = World(await start_server(settings))
    try:
        visitor = await w.visitor()
        await visitor.ask(ANSWERED)
        await wait_until(lambda: len(calls) == 2)
        assert calls[0] == calls[1]  # the same delivery, retried
    finally:
        await w.close()


def test_mail_needs_a_from_address() -> None:
    with pytest.raises(ConfigError, match="from_address"):
        load_settings(None, environ={}, overrides={"mail.host": "smtp.example"})
    settings = load_settings(
        None,
        environ={
            "CHATSERVER_MAIL_HOST": "smtp.example",
            "CHATSERVER_MAIL_FROM_ADDRESS": "Shop <s@shop.example>",
            "CHATSERVER_MAIL_SECURITY": "tls",
            "CHATSERVER_MAIL_PASSWORD": "pw",
        },
    )
    assert (settings.mail.security, settings.mail.password) == ("tls", "pw")
    with pytest.raises(ConfigError, match="security"):
        load_settings(None, environ={}, overrides={"mail.security": "ssl"})
