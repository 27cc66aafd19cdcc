"""The load benchmark still runs and reports (figures are for the README, not asserted)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


async def test_bench_quick_run_reports_all_figures() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "bench/load.py",
        "--quick",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(50):
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()[-3000:]
    report = json.loads(out)
    for target in ("echo", "full"):
        assert report[target]["errors"] == 0
        assert report[target]["round_trips_per_s"] > 0
        assert report[target]["p99_ms"] >= report[target]["p50_ms"] > 0
    assert report["ratio"] > 0
    assert report["memory"]["full_idle_visitor_kib"] > 0
