"""Scale-out phase of the load benchmark: one chatserver process on Redis against two
processes sharing that Redis, with the same visitor load, in one run.

    .venv/bin/python bench/load.py --scale-out            # ~60 s (2 rounds)
    .venv/bin/python bench/load.py --scale-out --quick    # smoke run

A private ``redis-server`` (AOF on, ``appendfsync everysec``, as README recommends) is
started in the work directory. Both setups get the same two client processes
(bench/visitors.py) of ``--visitors / 2`` visitors each: with one server both talk to
it, with two each talks to its own, as behind a load balancer. Throughput is the sum of
the two clients; p99 is the worse of the two clients' p99 (percentiles do not add up).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import servers

REDIS_SERVER = Path("/usr/bin/redis-server")
VISITORS_SCRIPT = Path(__file__).resolve().parent / "visitors.py"
WORKER_SLACK_S = 60.0
# Two processes on two cores could at best double; clients share those cores, so 1.6x
# is the bar for "scales".
SCALE_TARGET = 1.6


def log(message: str) -> None:
    print(f"[scale-out] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True, slots=True)
class RedisServer:
    url: str
    pid: int


@contextlib.contextmanager
def redis_server(work_dir: Path) -> Iterator[RedisServer]:
    directory = work_dir / "redis"
    directory.mkdir()
    port = servers.free_port()
    with (directory / "redis.log").open("wb") as out:
        proc = subprocess.Popen(
            [
                str(REDIS_SERVER),
                *("--port", str(port), "--bind", servers.HOST, "--dir", str(directory)),
                *("--appendonly", "yes", "--appendfsync", "everysec", "--save", ""),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        client = redis.Redis(host=servers.HOST, port=port)
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    break
            time.sleep(0.05)
        client.close()
        yield RedisServer(f"redis://{servers.HOST}:{port}/0", proc.pid)
    finally:
        servers.stop(proc)


def run_clients(argvs: list[list[str]], budget_s: float) -> list[dict[str, Any]]:
    """Run several bench/visitors.py processes at once; their last stdout lines."""
    procs = [
        subprocess.Popen([sys.executable, str(VISITORS_SCRIPT), *argv], stdout=subprocess.PIPE)
        for argv in argvs
    ]
    results = []
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=budget_s + WORKER_SLACK_S)
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            raise
        lines = out.decode().strip().splitlines()
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f"visitors exited with {proc.returncode}")
        results.append(json.loads(lines[-1]))
    return results


def per_round_trip_ms(cpu_pct: float, round_trips_per_s: float) -> float | None:
    return round(10 * cpu_pct / round_trips_per_s, 3) if round_trips_per_s else None


def measure(cfg: argparse.Namespace, redis: RedisServer, processes: int, round_no: int) -> Any:
    env = {
        "CHATSERVER_STORAGE_BACKEND": "redis",
        "CHATSERVER_STORAGE_REDIS_URL": redis.url,
        # A fresh prefix per run: no chats left over from the previous setup.
        "CHATSERVER_STORAGE_REDIS_PREFIX": f"bench{processes}r{round_no}:",
        "CHATSERVER_SECURITY_SECRET_KEY": "bench-scale-out-secret",
    }
    with contextlib.ExitStack() as stack:
        started = [
            stack.enter_context(
                servers.running(
                    "full", cfg.work_dir, cfg.faq_dir, f"p{processes}-{i}-r{round_no}", env=env
                )
            )
            for i in range(processes)
        ]
        per_client = max(1, cfg.visitors // 2)
        # Every client watches Redis and every server over its own measured window, so
        # the report can say where the two cores went.
        watch = [f"redis={redis.pid}"] + [f"server{i}={s.pid}" for i, s in enumerate(started)]
        argvs = []
        for i in range(2):
            server = started[i % processes]
            argvs.append(
                [
                    *("roundtrips", "--url", server.url, "--server-pid", str(server.pid)),
                    *(arg for w in watch for arg in ("--watch", w)),
                    *("--visitors", str(per_client), "--warmup", str(cfg.warmup)),
                    *("--duration", str(cfg.duration), "--visit-length", str(cfg.visit_length)),
                    *("--client", cfg.client),
                ]
            )
        log(f"{processes} process(es), 2 clients x {per_client} visitors")
        results = run_clients(argvs, cfg.warmup + cfg.duration)
        problems = [p for s in started for p in servers.log_problems(s.log_path)]
    rate = round(sum(r["round_trips_per_s"] for r in results), 1)
    # The first client's window; the second one's starts and ends within milliseconds.
    watched = results[0]["watched_cpu_pct"]
    server_pct = [watched[f"server{i}"] for i in range(processes)]
    client_pct = [r["client_cpu_pct"] for r in results]
    redis_pct = watched["redis"]
    busy = results[0]["machine_busy_pct"]
    summary = {
        "processes": processes,
        "round_trips_per_s": rate,
        "p50_ms_worst_client": max(r["p50_ms"] for r in results),
        "p99_ms_worst_client": max(r["p99_ms"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "error_kinds": [r["error_kinds"] for r in results if r["errors"]],
        "server_cpu_pct": server_pct,
        "client_cpu_pct": client_pct,
        "redis_cpu_pct": redis_pct,
        "machine_busy_pct": busy,
        # Anything else on the machine (a test suite, another benchmark): above ~20 the
        # setups did not get the two cores to themselves.
        "outside_cpu_pct": round(max(busy - sum(server_pct) - sum(client_pct) - redis_pct, 0), 1),
        "cpu_ms_per_round_trip": {
            "servers": per_round_trip_ms(sum(server_pct), rate),
            "clients": per_round_trip_ms(sum(client_pct), rate),
            "redis": per_round_trip_ms(redis_pct, rate),
        },
        "server_log_problems": problems[:5],
    }
    log(json.dumps(summary))
    return summary


def run(cfg: argparse.Namespace, report: dict[str, Any]) -> None:
    rounds: list[tuple[dict[str, Any], dict[str, Any]]] = []
    with redis_server(cfg.work_dir) as redis:
        for round_no in range(1, cfg.rounds + 1):
            one_round = measure(cfg, redis, 1, round_no), measure(cfg, redis, 2, round_no)
            rounds.append(one_round)
    # Best of each setup: other load on the machine only ever slows a run down.
    one = max((r[0] for r in rounds), key=lambda r: r["round_trips_per_s"])
    two = max((r[1] for r in rounds), key=lambda r: r["round_trips_per_s"])
    ratio = round(two["round_trips_per_s"] / one["round_trips_per_s"], 3)
    # Each round's two setups ran back to back, so load that came and went on the
    # machine (and this virtual machine's CPU speed, which varies by up to 2x from
    # minute to minute) disturbs a round's own ratio less than the best-of one.
    per_round = [pair_ratio(a, b) for a, b in rounds]
    quiet_one, quiet_two = min(
        rounds, key=lambda r: max(r[0]["outside_cpu_pct"], r[1]["outside_cpu_pct"])
    )
    report["scale_out"] = {
        "one_process": {
            **one,
            "round_trips_per_s_all_rounds": [r[0]["round_trips_per_s"] for r in rounds],
        },
        "two_processes": {
            **two,
            "round_trips_per_s_all_rounds": [r[1]["round_trips_per_s"] for r in rounds],
        },
        "ratio": ratio,
        "target": SCALE_TARGET,
        "met": ratio >= SCALE_TARGET,
        "ratio_per_round": per_round,
        "ratio_median_of_rounds": statistics.median(r for r in per_round if r is not None)
        if any(r is not None for r in per_round)
        else None,
        "quietest_round": {
            "round": rounds.index((quiet_one, quiet_two)) + 1,
            "outside_cpu_pct": max(quiet_one["outside_cpu_pct"], quiet_two["outside_cpu_pct"]),
            "ratio": pair_ratio(quiet_one, quiet_two),
            "ratio_from_cpu_costs": ratio_from_cpu_costs(quiet_one, quiet_two),
        },
        "notes": notes(one, two),
    }


def pair_ratio(one: dict[str, Any], two: dict[str, Any]) -> float | None:
    rate = one["round_trips_per_s"]
    return round(two["round_trips_per_s"] / rate, 3) if rate else None


def ratio_from_cpu_costs(one: dict[str, Any], two: dict[str, Any]) -> float | None:
    """What the ratio would be on two cores with nothing else running, from the CPU
    each part spent per round trip: derived, not measured, but far less disturbed by
    other load on the machine than throughput is.

    One process serves at most one core's worth of round trips, and all parts share
    two cores; two processes are bounded by the two cores alone."""
    costs_one, costs_two = one["cpu_ms_per_round_trip"], two["cpu_ms_per_round_trip"]
    if None in costs_one.values() or None in costs_two.values():
        return None
    capacity_one = min(1000 / costs_one["servers"], 2000 / sum(costs_one.values()))
    capacity_two = 2000 / sum(costs_two.values())
    return round(capacity_two / capacity_one, 3)


def notes(one: dict[str, Any], two: dict[str, Any]) -> list[str]:
    """What makes this run's ratio less trustworthy than it looks."""
    found = []
    # Below ~90 % the single server was waiting, not working flat out: then the ratio
    # measures the clients' latency rather than what a second process adds.
    if one["server_cpu_pct"][0] < 90:
        found.append(
            f"the single server was not CPU-bound ({one['server_cpu_pct'][0]}%); "
            "the ratio is not a fair measure of scaling"
        )
    outside = max(one["outside_cpu_pct"], two["outside_cpu_pct"])
    if outside > 20:
        found.append(
            f"other processes on the machine used up to {outside}% CPU; "
            "rerun on a quiet machine for stable numbers"
        )
    for setup in (one, two):
        if setup["errors"] or setup["server_log_problems"]:
            found.append(f"{setup['processes']} process(es): errors or server log problems")
    return found
