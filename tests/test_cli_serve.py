"""The real command: `chatserver serve` starts, answers, and exits cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp

from tests.conftest import DEMO_FAQ
from tests.helpers import VisitorClient

ROOT = Path(__file__).resolve().parent.parent


async def start_serve(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatserver",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    async with asyncio.timeout(20):
        while True:
            line = (await proc.stdout.readline()).decode()
            if not line:
                err = await proc.stderr.read() if proc.stderr else b""
                raise AssertionError(f"serve exited early: {err.decode()[-2000:]}")
            if line.startswith("chatserver listening on "):
                return proc, line.split()[-1]


async def test_serve_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc, url = await start_serve("--data-dir", str(data), "--faq-dir", str(DEMO_FAQ))
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as resp:
            assert resp.status == 200
            assert (await resp.json())["status"] == "ok"
        visitor = VisitorClient(url)
        await visitor.connect({"locale": "en"})
        _, reply = await visitor.ask("hello")
        assert reply["author"]["kind"] == "bot"
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            code = await proc.wait()
        assert code == 0
        async with asyncio.timeout(10):
            await visitor.sio.wait()  # the server closed the connection on its way out
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert (data / "chatserver.sqlite3").exists()
    assert (data / "secret_key").stat().st_mode & 0o777 == 0o600


async def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text("[server]\nport = 'abc'\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatserver",
        "serve",
        "--config",
        str(bad),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(20):
        _out, err = await proc.communicate()
    assert proc.returncode == 2
    assert "server.port must be an integer" in err.decode()
    assert "Traceback" not in err.decode()


async def test_acknowledged_messages_survive_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc, url = await start_serve("--data-dir", str(data), "--faq-dir", str(DEMO_FAQ))
    try:
        visitor = VisitorClient(url)
        session = await visitor.connect({"locale": "en"})
        # many in flight at once, so that they share group commits
        acks = await asyncio.gather(*(visitor.send(f"question {i}") for i in range(15)))
        assert all(ack["ok"] for ack in acks)
        proc.kill()  # SIGKILL: no shutdown, no flush
        await proc.wait()
        await visitor.sio.disconnect()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    proc, url = await start_serve("--data-dir", str(data), "--faq-dir", str(DEMO_FAQ))
    try:
        again = VisitorClient(url)
        resumed = await again.connect({"token": session["token"]})
        stored = {m["id"]: m for m in resumed["messages"]}
        for ack in acks:
            assert stored[ack["message"]["id"]] == ack["message"]
        seqs = [m["seq"] for m in resumed["messages"]]
        assert seqs == list(range(1, len(seqs) + 1))
        await again.close()
    finally:
        proc.terminate()
        await proc.wait()


async def test_sigterm_does_not_wait_for_silent_clients(tmp_path: Path) -> None:
    """A browser's socket.io-client never answers engine.io's CLOSE; shutdown must not
    wait for it (it used to take ping_interval + ping_timeout)."""
    proc, url = await start_serve("--data-dir", str(tmp_path / "data"))
    try:
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(
                url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
            )
            assert (await ws.receive_str()).startswith("0{")
            await ws.send_str("40/visitor,{}")
            assert (await ws.receive_str()).startswith("40/visitor,")
            proc.send_signal(signal.SIGTERM)  # and the client never says a word again
            async with asyncio.timeout(4):
                assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
