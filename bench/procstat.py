"""Read another process's memory and CPU time from /proc (Linux only)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

# utime and stime are fields 14 and 15 of /proc/<pid>/stat, counted in clock ticks.
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """Resident set size (VmRSS) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may contain spaces; fields after it are plain.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat, first line).

    Compared with what the server and the client used, this shows how much CPU
    something else on the machine took during a measurement.
    """
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    # user nice system idle iowait irq softirq steal: everything but idle and iowait.
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _CLOCK_TICKS


async def settled_rss_kib(pid: int, *, max_wait: float = 5.0, interval: float = 0.5) -> int:
    """RSS once it stops growing: two samples ``interval`` apart within 64 KiB.

    Buffers freed after a burst of connections are returned lazily, and late
    allocations (e.g. a compressor made on first send) land a moment after the burst,
    so one reading right away is noisy. ``max_wait`` bounds the wait; the last sample is
    returned either way.
    """
    deadline = time.monotonic() + max_wait
    last = rss_kib(pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(interval)
        now = rss_kib(pid)
        if abs(now - last) <= 64:
            return now
        last = now
    return last
