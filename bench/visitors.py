"""Virtual visitors: the client side of the load benchmark, run as its own process.

Each visitor connects the way the widget in a browser does (websocket transport only,
permessage-deflate offered), waits for ``session``, then either talks in a closed loop
or sits idle. By default a visitor is a lean client (bench/lean_client.py) that speaks
the protocol itself at a fraction of the CPU; ``--client socketio`` uses
``socketio.AsyncClient`` instead, as the first versions of this benchmark did. The
process prints one JSON object to stdout; progress goes to stderr. bench/load.py starts
it; it can also be run by hand against a running server:

    python bench/visitors.py roundtrips --url http://127.0.0.1:8765 --server-pid PID
    python bench/visitors.py idle --url http://127.0.0.1:8765 --server-pid PID

It reads the server's CPU time and RSS from /proc itself, so the measurement window is
exactly the one in which it was sending.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import procstat
import socketio
from lean_client import LeanVisitor, ProtocolError

NAMESPACE = "/visitor"
# Browsers offer permessage-deflate with a 15-bit window; python-engineio hands these
# options to aiohttp's ws_connect, so this client negotiates the same as the widget
# (the lean client makes the same offer in its own handshake).
DEFLATE = {"compress": 15}
# A live reply should take milliseconds; 10 s is the point where a visitor gives up.
TIMEOUT_S = 10.0
# Connecting one by one hides nothing and is slow; all at once turns the benchmark into
# a connect storm test. 25 in flight keeps the 1,000 idle visitors under ~10 s.
CONNECT_CONCURRENCY = 25
# Guard for the closed loop; far above what one visitor manages in a run.
MAX_ROUND_TRIPS_PER_VISITOR = 100_000
# A visit asks each of these once, in rotated order, then leaves; the next visit is a new
# visitor on a new connection. Real visitors ask a handful of questions, and chatserver
# allows a burst of 20 messages per connection then 1/s (realtime/visitor.py): a visitor
# that never left would be measuring the flood control. Four FAQ hits (ru with and
# without punctuation, en, ru) and one question the bot has no answer for, so a visit
# has exactly one miss and never piles up the misses that may trigger a hand-off.
QUESTIONS = (
    "Сколько идёт доставка?",
    "как вернуть товар",
    "hello, how do I pay by card?",
    "где мой заказ",
    "Можно ли заказать пиццу на Луну?",
)
VISIT_LENGTH = len(QUESTIONS)
# chatserver's per-connection flood control lets this many messages through at once.
MAX_VISIT_LENGTH = 20
# After a failed connect, before the next try, so a dead server is not hammered.
RECONNECT_PAUSE_S = 0.1


def log(message: str) -> None:
    print(f"[visitors {os.getpid()}] {message}", file=sys.stderr, flush=True)


class AckError(Exception):
    """The server acked a message with ``ok: false``; the args carry its error code."""


class SocketIOVisitor:
    """One connected widget on ``socketio.AsyncClient`` (``--client socketio``)."""

    def __init__(self, url: str, *, deflate: bool) -> None:
        self.url = url
        options = dict(DEFLATE) if deflate else {}
        self.client = socketio.AsyncClient(reconnection=False, websocket_extra_options=options)
        self._session = asyncio.Event()
        self._bot_replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.client.on("session", self._on_session, namespace=NAMESPACE)
        self.client.on("message", self._on_message, namespace=NAMESPACE)

    async def _on_session(self, data: Any) -> None:
        self._session.set()

    async def _on_message(self, data: Any) -> None:
        author = data.get("author") if isinstance(data, dict) else None
        if isinstance(author, dict) and author.get("kind") == "bot":
            self._bot_replies.put_nowait(data)

    async def connect(self) -> None:
        await self.client.connect(
            self.url,
            namespaces=[NAMESPACE],
            transports=["websocket"],
            auth={"locale": "ru"},
            wait_timeout=TIMEOUT_S,
        )
        async with asyncio.timeout(TIMEOUT_S):
            await self._session.wait()

    @property
    def connected(self) -> bool:
        return bool(self.client.connected)

    @property
    def deflate_window(self) -> int:
        """Window bits the server accepted for permessage-deflate; 0 if it declined."""
        ws = getattr(self.client.eio, "ws", None)
        return int(getattr(ws, "compress", 0) or 0)

    async def round_trip(self, text: str, client_id: str) -> None:
        """Send one message; return once its ack and the bot's reply have both arrived."""
        payload = {"text": text, "client_id": client_id}
        ack = await self.client.call("message", payload, namespace=NAMESPACE, timeout=TIMEOUT_S)
        if not isinstance(ack, dict) or not ack.get("ok"):
            error = ack.get("error") if isinstance(ack, dict) else None
            raise AckError(error.get("code") if isinstance(error, dict) else repr(ack)[:60])
        seq = ack.get("message", {}).get("seq")
        deadline = time.monotonic() + TIMEOUT_S
        # The reply may come before or after the ack; a reply left over from a round trip
        # that timed out has a seq at or below this message's and is skipped.
        for _ in range(1_000):
            left = deadline - time.monotonic()
            async with asyncio.timeout(max(left, 0.0)):
                reply = await self._bot_replies.get()
            if not isinstance(seq, int) or reply.get("seq", seq + 1) > seq:
                return
        raise AckError("no_fresh_reply")

    async def keep_alive(self) -> None:
        """The client's own tasks answer pings."""

    async def close(self) -> None:
        await self.client.disconnect()


class LeanWidget:
    """One connected widget on bench/lean_client.py (``--client lean``, the default)."""

    def __init__(self, url: str, *, deflate: bool) -> None:
        self._lean = LeanVisitor(url, deflate=deflate)

    @property
    def connected(self) -> bool:
        return self._lean.connected

    @property
    def deflate_window(self) -> int:
        return self._lean.deflate_window

    async def connect(self) -> None:
        await self._lean.connect({"locale": "ru"}, TIMEOUT_S)

    async def round_trip(self, text: str, client_id: str) -> None:
        async with asyncio.timeout(TIMEOUT_S):
            ack = await self._lean.round_trip(text, client_id)
        if not ack.get("ok"):
            error = ack.get("error")
            raise AckError(error.get("code") if isinstance(error, dict) else repr(ack)[:60])

    async def keep_alive(self) -> None:
        await self._lean.keep_alive()

    async def close(self) -> None:
        await self._lean.close()


Visitor = SocketIOVisitor | LeanWidget


class Clients:
    """Makes visitors of the chosen kind."""

    def __init__(self, url: str, kind: str, *, deflate: bool) -> None:
        self.url, self.kind, self.deflate = url, kind, deflate

    def new(self) -> Visitor:
        if self.kind == "socketio":
            return SocketIOVisitor(self.url, deflate=self.deflate)
        return LeanWidget(self.url, deflate=self.deflate)


def error_kind(exc: BaseException) -> str:
    detailed = isinstance(exc, AckError | ProtocolError)
    return f"{type(exc).__name__}:{exc}"[:80] if detailed else type(exc).__name__


async def gather_limited(
    factories: Iterable[Callable[[], Awaitable[None]]], limit: int
) -> list[BaseException | None]:
    """Run the awaitables with at most ``limit`` in flight; return each one's error."""
    gate = asyncio.Semaphore(limit)

    async def run(factory: Callable[[], Awaitable[None]]) -> BaseException | None:
        async with gate:
            try:
                await factory()
            except Exception as exc:  # collected and counted by kind, not swallowed
                return exc
            return None

    return await asyncio.gather(*(run(f) for f in factories))


# What a failed connect or round trip may raise, by client kind; counted by kind.
CLIENT_ERRORS = (
    TimeoutError,
    AckError,
    ProtocolError,
    ConnectionError,
    socketio.exceptions.SocketIOError,
)


async def connect_all(clients: Clients, count: int, *, errors: Counter[str]) -> list[Visitor]:
    visitors = [clients.new() for _ in range(count)]
    results = await gather_limited((v.connect for v in visitors), CONNECT_CONCURRENCY)
    connected = []
    for visitor, exc in zip(visitors, results, strict=True):
        if exc is None:
            connected.append(visitor)
        else:
            errors[f"connect:{error_kind(exc)}"] += 1
            await visitor.close()
    return connected


async def close_all(visitors: list[Visitor]) -> None:
    results = await gather_limited((v.close for v in visitors), CONNECT_CONCURRENCY * 4)
    failed = sum(exc is not None for exc in results)
    if failed:
        log(f"{failed} visitors failed to disconnect cleanly")


def percentile_ms(sorted_s: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of latencies given in seconds, in milliseconds."""
    if not sorted_s:
        return None
    rank = min(len(sorted_s) - 1, max(0, round(pct / 100 * len(sorted_s)) - 1))
    return round(sorted_s[rank] * 1000, 2)


@dataclass(slots=True)
class Sample:
    """CPU seconds used so far by the server, by this process and by the watched
    processes (``--watch``), at a moment."""

    server_cpu: float
    client_cpu: float
    machine_busy: float
    at: float
    watched: dict[str, float]

    @classmethod
    def take(cls, server_pid: int, watch: dict[str, int]) -> Sample:
        return cls(
            procstat.cpu_seconds(server_pid),
            time.process_time(),
            procstat.machine_busy_seconds(),
            time.perf_counter(),
            {name: procstat.cpu_seconds(pid) for name, pid in watch.items()},
        )


async def roundtrips(args: argparse.Namespace) -> dict[str, Any]:
    errors: Counter[str] = Counter()
    clients = Clients(args.url, args.client, deflate=not args.no_deflate)
    first = await connect_all(clients, args.visitors, errors=errors)
    log(f"{len(first)}/{args.visitors} visitors connected to {args.url}")
    # Slot i holds virtual visitor i's current connection, so all can be closed at the end.
    current: list[Visitor | None] = list(first)
    latencies: list[float] = []
    counters = {"window_open": 0, "visits": 0}
    stop_at = time.monotonic() + args.warmup + args.duration

    async def next_visitor(index: int) -> Visitor | None:
        visitor = clients.new()
        current[index] = visitor
        try:
            await visitor.connect()
        except CLIENT_ERRORS as exc:
            errors[f"connect:{error_kind(exc)}"] += 1
            await visitor.close()
            current[index] = None
            await asyncio.sleep(RECONNECT_PAUSE_S)
            return None
        if counters["window_open"]:
            counters["visits"] += 1
        return visitor

    async def talk(index: int) -> None:
        visitor, asked = current[index], 0
        # Each pass either connects or sends one message, so twice the cap bounds both.
        for _ in range(2 * MAX_ROUND_TRIPS_PER_VISITOR):
            # Cancellation alone is not enough: on 3.11, asyncio.wait_for (used inside
            # client.call) can drop a cancel that lands as its future completes.
            if time.monotonic() >= stop_at:
                return
            if visitor is None or not visitor.connected:
                visitor, asked = await next_visitor(index), 0
                continue
            started = time.perf_counter()
            question = QUESTIONS[(index + asked) % len(QUESTIONS)]
            asked += 1
            try:
                await visitor.round_trip(question, f"bench-{index}-{asked}")
            except CLIENT_ERRORS as exc:
                errors[error_kind(exc)] += 1
            else:
                if counters["window_open"]:
                    latencies.append(time.perf_counter() - started)
            if asked >= args.visit_length:
                await visitor.close()

    tasks = [asyncio.create_task(talk(i)) for i in range(len(current))]
    await asyncio.sleep(args.warmup)
    counters["window_open"] = 1
    watch = dict(args.watch)
    begin = Sample.take(args.server_pid, watch)
    await asyncio.sleep(args.duration)
    counters["window_open"] = 0
    end = Sample.take(args.server_pid, watch)
    # Round trips still in flight would finish outside the window; they are not counted.
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks, timeout=TIMEOUT_S)
    for task in tasks:
        # A visitor that died of something unexpected must show up, not just go quiet.
        crash = task.exception() if task.done() and not task.cancelled() else None
        if crash is not None:
            errors[f"crashed:{error_kind(crash)}"] += 1
    server_rss = procstat.rss_kib(args.server_pid)
    still = [v for v in current if v is not None]
    deflate_bits = sorted({v.deflate_window for v in still if v.connected})
    await close_all(still)

    elapsed = end.at - begin.at
    server_cpu = end.server_cpu - begin.server_cpu
    client_cpu = end.client_cpu - begin.client_cpu
    other_cpu = end.machine_busy - begin.machine_busy - server_cpu - client_cpu
    latencies.sort()
    count = len(latencies)
    return {
        "visitors": len(first),
        "round_trips": count,
        "round_trips_per_s": round(count / elapsed, 1),
        "visits_per_s": round(counters["visits"] / elapsed, 1),
        "p50_ms": percentile_ms(latencies, 50),
        "p99_ms": percentile_ms(latencies, 99),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common(5)),
        "server_cpu_pct": round(100 * server_cpu / elapsed, 1),
        "client_cpu_pct": round(100 * client_cpu / elapsed, 1),
        # Anything else running on the machine meanwhile; above ~20 the numbers are noisy.
        "other_cpu_pct": round(100 * max(other_cpu, 0.0) / elapsed, 1),
        "machine_busy_pct": round(100 * (end.machine_busy - begin.machine_busy) / elapsed, 1),
        "watched_cpu_pct": {
            name: round(100 * (end.watched[name] - begin.watched[name]) / elapsed, 1)
            for name in watch
        },
        "server_cpu_ms_per_round_trip": round(1000 * server_cpu / count, 3) if count else None,
        "server_rss_kib": server_rss,
        "deflate_window_bits": deflate_bits,
    }


async def idle(args: argparse.Namespace) -> dict[str, Any]:
    errors: Counter[str] = Counter()
    clients = Clients(args.url, args.client, deflate=not args.no_deflate)
    warm = await connect_all(clients, args.warm, errors=errors)
    # One round trip each, so everything a talking visitor needs (FAQ index, compressor
    # contexts both ways, store connections) exists before the baseline is read.
    warmed = await gather_limited(
        (partial(v.round_trip, QUESTIONS[0], f"warm-{i}") for i, v in enumerate(warm)),
        CONNECT_CONCURRENCY,
    )
    for exc in warmed:
        if exc is not None:
            errors[f"warm:{error_kind(exc)}"] += 1
    before = await procstat.settled_rss_kib(args.server_pid)
    log(f"{len(warm)} warm visitors; server RSS {before} KiB; connecting {args.idle} idle")
    started = time.perf_counter()
    idlers = await connect_all(clients, args.idle, errors=errors)
    # Lean visitors read frames only when asked; idle ones must still answer pings.
    keepers = [asyncio.create_task(v.keep_alive()) for v in warm + idlers]
    connect_s = time.perf_counter() - started
    after = await procstat.settled_rss_kib(args.server_pid)
    log(f"{len(idlers)} idle visitors in {connect_s:.1f} s; server RSS {after} KiB")
    await close_all(warm + idlers)
    for keeper in keepers:
        keeper.cancel()
    await asyncio.gather(*keepers, return_exceptions=True)
    return {
        "warm_visitors": len(warm),
        "idle_visitors": len(idlers),
        "connect_s": round(connect_s, 2),
        "rss_before_kib": before,
        "rss_after_kib": after,
        "idle_visitor_kib": round((after - before) / len(idlers), 1) if idlers else None,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common(5)),
    }


def raise_fd_limit(wanted: int) -> None:
    """Each visitor holds one socket; the usual soft limit of 1,024 is too few."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def watched_pid(text: str) -> tuple[str, int]:
    name, _, pid = text.partition("=")
    if not name or not pid.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=PID, got {text!r}")
    return name, int(pid)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Virtual visitors for bench/load.py.")
    sub = parser.add_subparsers(dest="mode", required=True)
    for name in ("roundtrips", "idle"):
        p = sub.add_parser(name)
        p.add_argument("--url", required=True)
        p.add_argument("--server-pid", type=int, required=True)
        p.add_argument("--no-deflate", action="store_true", help="do not offer deflate")
        p.add_argument(
            "--client",
            choices=("lean", "socketio"),
            default="lean",
            help="lean: bench/lean_client.py (default); socketio: socketio.AsyncClient",
        )
    rt = sub.choices["roundtrips"]
    rt.add_argument(
        "--watch",
        type=watched_pid,
        action="append",
        default=[],
        metavar="NAME=PID",
        help="also report this process's CPU over the measured window (repeatable)",
    )
    rt.add_argument("--visitors", type=int, default=50)
    rt.add_argument("--warmup", type=float, default=2.0)
    rt.add_argument("--duration", type=float, default=10.0)
    rt.add_argument(
        "--visit-length",
        type=int,
        default=VISIT_LENGTH,
        choices=range(1, MAX_VISIT_LENGTH + 1),
        metavar=f"1..{MAX_VISIT_LENGTH}",
        help="messages per visit before the visitor leaves and a new one connects",
    )
    mem = sub.choices["idle"]
    mem.add_argument("--warm", type=int, default=20)
    mem.add_argument("--idle", type=int, default=1_000)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    # Sockets plus a little headroom for the event loop, files and logging.
    raise_fd_limit(
        getattr(args, "visitors", 0) + getattr(args, "warm", 0) + getattr(args, "idle", 0) + 256
    )
    mode = roundtrips if args.mode == "roundtrips" else idle
    result = asyncio.run(mode(args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
