"""The load benchmark still runs and reports (figures are for the README, not asserted)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


async def quick_run(*args: str) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "bench/load.py",
        "--quick",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(50):
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()[-3000:]
    report: dict[str, Any] = json.loads(out)
    return report


async def test_bench_quick_run_reports_all_figures() -> None:
    report = await quick_run()
    for target in ("echo", "full"):
        assert report[target]["errors"] == 0
        assert report[target]["round_trips_per_s"] > 0
        assert report[target]["p99_ms"] >= report[target]["p50_ms"] > 0
    assert report["ratio"] > 0
    assert report["memory"]["full_idle_visitor_kib"] > 0


async def test_scale_out_quick_run_reports_both_setups() -> None:
    report = (await quick_run("--scale-out"))["scale_out"]
    for setup, servers in (("one_process", 1), ("two_processes", 2)):
        figures = report[setup]
        assert figures["errors"] == 0
        assert figures["round_trips_per_s"] > 0
        assert figures["p99_ms_worst_client"] >= figures["p50_ms_worst_client"] > 0
        assert len(figures["server_cpu_pct"]) == servers
        assert figures["redis_cpu_pct"] > 0
        assert all(v > 0 for v in figures["cpu_ms_per_round_trip"].values())
    assert report["ratio"] > 0
    assert report["quietest_round"]["ratio_from_cpu_costs"] > 0
