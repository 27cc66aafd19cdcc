"""Start a server under test as a subprocess, wait until it is healthy, always stop it.

Each server gets a fresh process (and, for chatserver, a fresh data directory) so one
phase's heap cannot flatter the next: memory freed by 1,000 disconnected visitors is
kept by the allocator and reused, which would hide the next 1,000.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# chatserver builds its FAQ index and opens its store before it listens; a few seconds
# is normal, 30 s means it is stuck.
START_TIMEOUT_S = 30.0
HEALTH_POLL_S = 0.1
# Graceful shutdown closes every socket.io connection first; after this, SIGKILL.
STOP_TIMEOUT_S = 10.0


class ServerFailed(RuntimeError):
    """The server exited early or never became healthy; the message has its log tail."""


@dataclass(frozen=True, slots=True)
class Server:
    kind: str
    pid: int
    url: str
    log_path: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def command(kind: str, port: int, data_dir: Path, faq_dir: Path, *, deflate: bool) -> list[str]:
    """``deflate`` applies to the echo server; chatserver follows its own config."""
    if kind == "echo":
        echo = [sys.executable, str(ROOT / "bench" / "echo_server.py"), "--port", str(port)]
        return echo + ([] if deflate else ["--no-deflate"])
    return [
        *(sys.executable, "-m", "chatserver", "serve"),
        *("--host", HOST, "--port", str(port)),
        *("--data-dir", str(data_dir), "--faq-dir", str(faq_dir)),
    ]


def log_tail(path: Path, lines: int = 20) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def log_problems(path: Path) -> list[str]:
    """Lines of a server log that say something went wrong, first five kept."""
    markers = ("Traceback", " ERROR ", " WARNING ", " CRITICAL ", "exception was never")
    text = path.read_text(errors="replace") if path.exists() else ""
    lines = text.splitlines()
    found = [line for line in lines if any(m in line for m in markers)]
    problems = found[:5] + ([f"... {len(found) - 5} more"] if len(found) > 5 else [])
    # The first traceback in full: a marker line alone does not say what went wrong.
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
    if starts:
        end = starts[0] + 1
        while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end]):
            end += 1
        problems.append("\n".join(lines[starts[0] : end + 1]))
    return problems


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1.0) as response:
            body = json.loads(response.read())
            return response.status == 200 and bool(body.get("status") == "ok")
    except (OSError, ValueError, urllib.error.URLError):
        return False


def wait_healthy(proc: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    for _ in range(int(START_TIMEOUT_S / HEALTH_POLL_S) + 1):
        if proc.poll() is not None:
            raise ServerFailed(f"exited with {proc.returncode}:\n{log_tail(log_path)}")
        if healthy(url):
            return
        if time.monotonic() > deadline:
            break
        time.sleep(HEALTH_POLL_S)
    raise ServerFailed(f"not healthy after {START_TIMEOUT_S:.0f} s:\n{log_tail(log_path)}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (aiohttp shuts down gracefully on it), then SIGKILL; by PID only."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(STOP_TIMEOUT_S)


@contextmanager
def running(
    kind: str,
    work_dir: Path,
    faq_dir: Path,
    tag: str,
    *,
    deflate: bool = True,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """A healthy server of ``kind`` ("echo" or "full"); logs go to ``work_dir/tag.log``;
    ``env`` is added to the inherited environment (``CHATSERVER_*`` settings)."""
    port = free_port()
    data_dir = work_dir / f"{tag}-data"
    data_dir.mkdir()
    log_path = work_dir / f"{tag}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command(kind, port, data_dir, faq_dir, deflate=deflate),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        try:
            url = f"http://{HOST}:{port}"
            wait_healthy(proc, url, log_path)
            yield Server(kind, proc.pid, url, log_path)
        finally:
            stop(proc)
