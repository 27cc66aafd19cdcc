"""Several ``chatserver serve`` processes sharing one real Redis (store, Socket.IO
pub/sub, presence): real subprocesses, real clients, stopped by their own handles."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from chatserver.core.models import Agent, AgentRole, AgentStatus
from chatserver.store.redis import RedisStore
from chatserver.tokens import AgentTokens, TokenSigner
from tests.conftest import DEMO_FAQ
from tests.helpers import AgentClient, VisitorClient
from tests.redis_server import RedisServer
from tests.test_handoff_e2e import handoff

ROOT = Path(__file__).resolve().parent.parent
SECRET = "multiprocess-test-secret-0123456789"
# Short timings so that expiry and grace happen within a test: connections of a killed
# process expire after PRESENCE_TIMEOUT, then the agent's grace period runs.
HEARTBEAT = 0.2
PRESENCE_TIMEOUT = 1.0
GRACE = 1.0


class Serve:
    """One ``chatserver serve`` subprocess."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str, drain: asyncio.Task[None]):
        self.proc = proc
        self.url = url
        self._drain = drain

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                async with asyncio.timeout(15):
                    await self.proc.wait()
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        await self._drain

    async def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no goodbye to anyone
        await self.proc.wait()
        await self._drain


class Cluster:
    """Processes on one Redis and prefix, plus helpers to make agents and clients."""

    def __init__(self, directory: Path, redis: RedisServer) -> None:
        self.directory = directory
        self.redis = redis
        self.prefix = f"mp{uuid.uuid4().hex}:"
        directory.mkdir(parents=True)
        self.config = directory / "config.toml"
        self.config.write_text(
            f"""
[server]
host = "127.0.0.1"
port = 0
[storage]
backend = "redis"
data_dir = "{directory / "data"}"
redis_url = "{redis.url}"
redis_prefix = "{self.prefix}"
presence_heartbeat_seconds = {HEARTBEAT}
presence_timeout_seconds = {PRESENCE_TIMEOUT}
[routing]
agent_grace_seconds = {GRACE}
no_reply_seconds = 600
[faq]
dir = "{DEMO_FAQ}"
[security]
secret_key = "{SECRET}"
""",
            encoding="utf-8",
        )
        self.servers: list[Serve] = []
        self.clients: list[VisitorClient] = []
        self.store = RedisStore(redis.url, prefix=self.prefix)
        self.tokens = AgentTokens(TokenSigner(SECRET.encode()))

    async def start(self, *args: str) -> Serve:
        log = (self.directory / f"serve{len(self.servers)}.log").open("ab")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "chatserver",
            "serve",
            "--config",
            str(self.config),
            *args,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        assert proc.stdout is not None
        async with asyncio.timeout(20):
            while True:
                line = (await proc.stdout.readline()).decode()
                if not line:
                    raise AssertionError(f"serve exited early; see {self.directory}")
                if line.startswith("chatserver listening on "):
                    break
        stdout = proc.stdout

        async def drain() -> None:
            while await stdout.read(65536):
                pass

        serve = Serve(proc, line.split()[-1], asyncio.create_task(drain()))
        self.servers.append(serve)
        return serve

    async def agent(self, serve: Serve, username: str, max_chats: int = 3) -> AgentClient:
        if await self.store.get_agent(username) is None:
            await self.store.create_agent(
                Agent(
                    username=username,
                    name=username.title(),
                    role=AgentRole.AGENT,
                    max_chats=max_chats,
                    departments=(),
                    password_hash="unused",
                    created_at=time.time(),
                    status=AgentStatus.ONLINE,
                )
            )
        client = AgentClient(serve.url)
        self.clients.append(client)
        token = self.tokens.issue(username, 1, int(time.time()) + 3600)
        await client.connect({"token": token})
        return client

    async def visitor(self, serve: Serve, auth: dict[str, Any] | None = None) -> VisitorClient:
        client = VisitorClient(serve.url)
        self.clients.append(client)
        await client.connect(auth if auth is not None else {"locale": "ru"})
        return client

    async def close(self) -> None:
        for client in self.clients:
            with contextlib.suppress(Exception):
                await client.close()
        for serve in self.servers:
            await serve.stop()
        await self.store.close()


@pytest.fixture
async def cluster(
    tmp_path: Path, redis_server: RedisServer
) -> AsyncIterator[Callable[..., Cluster]]:
    made: list[Cluster] = []

    def make(redis: RedisServer = redis_server) -> Cluster:
        made.append(Cluster(tmp_path / f"c{len(made)}", redis))
        return made[-1]

    yield make
    for c in made:
        await c.close()


async def opened(c: Cluster) -> Cluster:
    await c.store.open()
    return c


def by_kind(kind: str) -> Callable[[Any], bool]:
    return lambda m: m["author"]["kind"] == kind


async def test_visitor_on_one_process_agent_on_the_other(cluster: Callable[..., Cluster]) -> None:
    c = await opened(cluster())
    a, b = await c.start(), await c.start()
    olena = await c.agent(b, "olena")
    visitor = await c.visitor(a)
    conversation = await handoff(visitor)
    assert conversation["agent"] == {"name": "Olena"}
    view = await olena.wait_assigned()
    cid = view["conversation"]["id"]
    assert (await olena.reply(cid, "Здравствуйте"))["ok"]
    await visitor.wait_for("message", by_kind("agent"))
    mine = await visitor.send("где мой заказ?")
    await olena.wait_for("message", lambda m: m["id"] == mine["message"]["id"])
    await visitor.call("typing", {"typing": True})
    assert await olena.wait_for("typing") == {"conversation_id": cid, "typing": True}
    await olena.call("typing", {"conversation_id": cid, "typing": True})
    assert await visitor.wait_for("typing") == {"typing": True, "name": "Olena"}
    closed = await olena.call("close", {"conversation_id": cid})
    assert closed["ok"]
    await visitor.wait_for("conversation", lambda x: x["state"] == "closed")


async def test_tabs_on_two_processes_get_every_event_once_in_order(
    cluster: Callable[..., Cluster],
) -> None:
    # The conversation and both messages of a bot turn travel as one batched publish
    # (realtime/redis_manager.py); the sending process skips its own copy unread.
    c = await opened(cluster())
    a, b = await c.start(), await c.start()
    here = await c.visitor(a)
    session = await here.wait_for("session")
    there = await c.visitor(b, {"locale": "ru", "token": session["token"]})
    for i in range(4):
        await here.send(f"где мой заказ? {i}", f"tab-{i}")
    for tab in (here, there):
        await tab.wait_for("message", lambda m: m["seq"] == 8 and m["author"]["kind"] == "bot")
        # A copy that came twice would be among these: pub/sub keeps the order of
        # publishes, and the last turn arrived after all of them.
        kinds = [name for name, _ in tab.received if name in ("conversation", "message")]
        assert kinds == ["conversation"] + ["message"] * 8
        assert [m["seq"] for m in tab.events("message")] == list(range(1, 9))


async def test_least_busy_and_capacity_hold_across_processes(
    cluster: Callable[..., Cluster],
) -> None:
    c = await opened(cluster())
    a, b = await c.start(), await c.start()
    names = ["ann", "bob", "cat", "dan"]
    agents = {n: await c.agent((a, b)[i % 2], n, max_chats=3) for i, n in enumerate(names)}
    # one at a time: least-busy gives every agent one chat before anyone gets a second
    for i in range(4):
        assert (await handoff(await c.visitor((a, b)[i % 2])))["state"] == "assigned"
    work = await c.store.workloads()
    assert {n: work[n].active_chats for n in names} == dict.fromkeys(names, 1)
    # 50 at once, visitors on both processes: 8 more slots, never more, never twice
    visitors = await asyncio.gather(*(c.visitor((a, b)[i % 2]) for i in range(50)))
    results = await asyncio.gather(*(handoff(v) for v in visitors))
    assert sum(r["state"] == "assigned" for r in results) == 8
    work = await c.store.workloads()
    assert {n: work[n].active_chats for n in names} == dict.fromkeys(names, 3)
    held: list[str] = []
    for n, client in agents.items():
        chats = await c.store.agent_conversations(n)
        assert len(chats) == 3
        assert all(ch.agent_username == n for ch in chats)
        held += [ch.id for ch in chats]
        # every assignment was announced to the agent, wherever the handoff happened
        await client.wait_for("assigned", lambda _, c=client: len(c.events("assigned")) >= 3)
        assert {e["conversation"]["id"] for e in client.events("assigned")} == {
            ch.id for ch in chats
        }
    assert len(held) == len(set(held)) == 12
    assert len(await c.store.list_queue()) == 42


async def test_kill_9_visitors_move_and_agent_gets_grace(cluster: Callable[..., Cluster]) -> None:
    c = await opened(cluster())
    a, b = await c.start(), await c.start()
    olena = await c.agent(a, "olena")  # only on A
    visitor = await c.visitor(a)
    session = await visitor.wait_for("session")
    conversation = await handoff(visitor)
    cid = conversation["id"]
    await olena.wait_assigned()
    assert (await olena.reply(cid, "Здравствуйте"))["ok"]
    acked = [(await visitor.send(f"before {i}"))["message"] for i in range(5)]
    bob = await c.agent(b, "bob")

    await a.kill()
    await visitor.close()
    again = await c.visitor(b, {"token": session["token"]})
    resumed = await again.wait_for("session")
    assert resumed["conversation"]["id"] == cid
    acked += [(await again.send(f"after {i}"))["message"] for i in range(3)]
    # Olena's connection on A expires, then her grace period ends: the chat goes to Bob
    moved = await bob.wait_assigned(lambda v: v["conversation"]["id"] == cid)
    assert moved["conversation"]["agent_username"] == "bob"
    assert (await bob.reply(cid, "Я продолжу"))["ok"]
    await again.wait_for("message", lambda m: m["text"] == "Я продолжу")
    history = await again.call("history", {"after_seq": 0})
    seqs = [m["seq"] for m in history["messages"]]
    assert seqs == list(range(1, len(seqs) + 1))
    ids = [m["id"] for m in history["messages"]]
    assert len(ids) == len(set(ids))
    stored = {m["id"]: m for m in history["messages"]}
    for message in acked:
        assert stored[message["id"]] == message


async def test_redis_restart_mid_chat(cluster: Callable[..., Cluster], tmp_path: Path) -> None:
    redis = RedisServer(tmp_path / "own-redis")
    redis.start()
    try:
        c = await opened(cluster(redis))
        a, b = await c.start(), await c.start()
        olena = await c.agent(b, "olena")
        visitor = await c.visitor(a)
        cid = (await handoff(visitor))["id"]
        await olena.wait_assigned()
        acked = [(await visitor.send(f"before {i}"))["message"] for i in range(3)]
        await olena.wait_for("message", lambda m: m["id"] == acked[-1]["id"])

        redis.stop()  # SIGTERM: Redis writes its AOF and exits
        redis.start()

        acked.append((await visitor.send("right after the restart"))["message"])
        # B's pub/sub listener reconnects with a backoff of its own (1 s first): messages
        # are stored meanwhile, and live delivery resumes once it is back.
        async with asyncio.timeout(20):
            while True:
                ack = await visitor.send(f"after {len(acked)}")
                acked.append(ack["message"])
                with contextlib.suppress(TimeoutError):
                    await olena.wait_for(
                        "message", lambda m, i=ack["message"]["id"]: m["id"] == i, timeout=0.5
                    )
                    break
        assert (await olena.reply(cid, "снова на связи"))["ok"]
        await visitor.wait_for("message", lambda m: m["text"] == "снова на связи", timeout=10)
        history = await visitor.call("history", {"after_seq": 0})
        stored = [m["id"] for m in history["messages"]]
        assert len(stored) == len(set(stored))
        assert [m["seq"] for m in history["messages"]] == list(range(1, len(stored) + 1))
        mine = [i for i in stored if i in {m["id"] for m in acked}]
        assert mine == [m["id"] for m in acked]  # all present, in the order sent
        await c.close()
    finally:
        redis.stop()


async def test_serve_workers_share_one_port(cluster: Callable[..., Cluster]) -> None:
    c = await opened(cluster())
    serve = await c.start("--workers", "2")
    tabs = [await c.agent(serve, "olena") for _ in range(16)]
    # Each tab's connection is in presence as "<host>:<pid>:<run>:<sid>": the kernel
    # spread them over both workers (all 16 on one: probability 2 / 2**16).
    members = await c.store._redis().zrange(f"{c.prefix}presence:olena", 0, -1)
    assert len(members) == 16
    assert len({m.split(":")[1] for m in members}) == 2
    visitor = await c.visitor(serve)
    assert (await handoff(visitor))["state"] == "assigned"
    await asyncio.wait_for(
        asyncio.gather(*(t.wait_assigned() for t in tabs)), timeout=5
    )  # every tab hears of it, on either worker
    await serve.stop()
    assert serve.proc.returncode == 0
