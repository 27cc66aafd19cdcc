"""A real ``redis-server`` for tests: started on a free loopback port in a directory of
its own, with AOF on (as the product needs), stopped by its own process handle.

scripts/test installs Debian's redis-server; a missing binary is a failure, not a skip,
so that the Redis half of the contract suite can never silently stop running.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

REDIS_SERVER = Path("/usr/bin/redis-server")
# Start-up with an empty or small AOF takes milliseconds; this bound only turns a server
# that never comes up into a named failure instead of a hung test.
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One redis-server process; ``start`` again after ``stop`` reuses port and data."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        if not REDIS_SERVER.exists():
            pytest.fail(
                f"{REDIS_SERVER} is missing: the Redis store tests need Debian's redis-server"
                " (scripts/test installs it: apt-get install redis-server)",
                pytrace=False,
            )
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.process is None, "already running"
        log = (self.directory / "redis.log").open("ab")
        options = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "save": "",  # no RDB snapshots: the AOF alone must keep everything
            "appendonly": "yes",
            "appendfsync": "everysec",
            "dir": str(self.directory),
            "daemonize": "no",
        }
        argv = [str(REDIS_SERVER)] + [a for k, v in options.items() for a in (f"--{k}", v)]
        self.process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_for_ping()

    def _wait_for_ping(self) -> None:
        assert self.process is not None
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"redis-server exited with {self.process.returncode}; see"
                        f" {self.directory / 'redis.log'}"
                    )
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"redis-server did not answer PING in {START_TIMEOUT}s")
                time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM (Redis flushes the AOF and exits), then SIGKILL after a timeout."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
