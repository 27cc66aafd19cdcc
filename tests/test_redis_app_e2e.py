"""The server on the Redis backend (one process): the same behaviour as on SQLite."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from chatserver.config import Settings
from tests.conftest import StartServer, make_settings
from tests.helpers import AgentClient, VisitorClient
from tests.redis_server import RedisServer
from tests.test_handoff_e2e import World, handoff


def redis_settings(tmp_path: Path, server: RedisServer, prefix: str) -> Settings:
    return make_settings(
        tmp_path / "data",
        **{
            "storage.backend": "redis",
            "storage.redis_url": server.url,
            "storage.redis_prefix": prefix,
        },
    )


async def test_chat_and_handoff_on_redis(
    start_server: StartServer, tmp_path: Path, redis_server: RedisServer, redis_prefix: str
) -> None:
    server = await start_server(redis_settings(tmp_path, redis_server, redis_prefix))
    w = World(server)
    try:
        olena: AgentClient = await w.agent("olena")
        visitor: VisitorClient = await w.visitor()
        _, reply = await visitor.ask("Сколько идёт доставка?")
        assert reply["faq_id"] == "ru-delivery-time"
        conversation = await handoff(visitor)
        assert conversation["agent"] == {"name": "Olena"}
        view = await olena.wait_assigned()
        assert [m["author"]["kind"] for m in view["messages"]] == [
            "visitor",
            "bot",
            "system",
        ]
        assert (await olena.reply(view["conversation"]["id"], "Здравствуйте!"))["ok"]
        await visitor.wait_for("message", lambda m: m["author"]["kind"] == "agent")
    finally:
        await w.close()


async def test_server_warns_when_redis_persistence_is_off(
    start_server: StartServer,
    tmp_path: Path,
    redis_server: RedisServer,
    redis_prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = aioredis.from_url(redis_server.url)
    await admin.config_set("appendonly", "no")
    try:
        with caplog.at_level(logging.WARNING, logger="chatserver"):
            await start_server(redis_settings(tmp_path, redis_server, redis_prefix))
        assert "Redis persistence is off" in caplog.text
    finally:
        await admin.config_set("appendonly", "yes")
        await admin.aclose()


async def test_sign_in_limits_are_shared_by_every_process(
    start_server: StartServer, tmp_path: Path, redis_server: RedisServer, redis_prefix: str
) -> None:
    settings = redis_settings(tmp_path, redis_server, redis_prefix)
    servers = [await start_server(settings), await start_server(settings)]

    async def attempt(index: int, username: str) -> int:
        url = str(servers[index].make_url("/api/login"))
        async with aiohttp.ClientSession() as http:
            body = {"username": username, "password": "wrong-password"}
            async with http.post(url, json=body) as response:
                return response.status

    # five attempts (the burst) spread over both processes, a new username each time
    assert [await attempt(i % 2, f"guess{i}") for i in range(5)] == [401] * 5
    assert await attempt(0, "guess5") == 429
    assert await attempt(1, "guess6") == 429  # the other process knows too
    admin = aioredis.from_url(redis_server.url)
    try:
        keys = [k async for k in admin.scan_iter(f"{redis_prefix}login:*")]
    finally:
        await admin.aclose()
    assert keys  # the buckets live under the deployment's prefix


async def test_one_publish_per_visitor_message_and_none_for_the_session(
    start_server: StartServer, tmp_path: Path, redis_server: RedisServer, redis_prefix: str
) -> None:
    # What other processes hear of a visitor: the session (an emit to one connection of
    # this process) not at all; a message with its bot reply as one batch.
    listener = aioredis.from_url(redis_server.url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(f"{redis_prefix}socketio")
    server = await start_server(redis_settings(tmp_path, redis_server, redis_prefix))
    visitor = VisitorClient(str(server.make_url("")).rstrip("/"))
    try:
        await visitor.connect({"locale": "ru"})
        await visitor.ask("Сколько идёт доставка?")
        async with asyncio.timeout(5):
            heard = await anext(pubsub.listen())
        message = json.loads(heard["data"])
        assert message["method"] == "emit_batch"
        assert [event for event, _ in message["events"]] == ["conversation", "message", "message"]
    finally:
        await visitor.close()
        await pubsub.aclose()
        await listener.aclose()
