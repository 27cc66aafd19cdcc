"""Business hours: when people answer chats. Pure: the caller converts "now" to the
configured time zone and passes the weekday and time.

Spec strings (config ``routing.business_hours``), one per line of the week::

    "mon-fri 09:00-18:00"
    "sat 10:00-14:00"
    "sun closed"            (or simply leave the day out)

An empty list means always open. A range may cross midnight ("fri 22:00-02:00" is
Friday 22:00 to Saturday 02:00).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatserver.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPEC = re.compile(
    r"(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?:(?P<closed>closed)|(?P<open>\d\d:\d\d)-(?P<close>\d\d:\d\d))"
)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Open intervals as (weekday 0=Mon, start minute, end minute), end exclusive and
    possibly beyond 24:00 for ranges that cross midnight."""

    intervals: tuple[tuple[int, int, int], ...]

    @property
    def always_open(self) -> bool:
        return not self.intervals

    def is_open(self, weekday: int, minute_of_day: int) -> bool:
        if self.always_open:
            return True
        for day, start, end in self.intervals:
            if day == weekday and start <= minute_of_day < end:
                return True
            # the part of yesterday's range that runs past midnight
            if (day + 1) % 7 == weekday and end > 1440 and minute_of_day < end - 1440:
                return True
        return False


ALWAYS_OPEN = Schedule(())


def _minutes(text: str, spec: str) -> int:
    hours, minutes = int(text[:2]), int(text[3:])
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ConfigError(f"routing.business_hours: bad time {text!r} in {spec!r}")
    return hours * 60 + minutes


def parse_schedule(specs: tuple[str, ...]) -> Schedule:
    intervals: list[tuple[int, int, int]] = []
    for spec in specs:
        match = _SPEC.fullmatch(spec.strip().lower())
        if match is None:
            raise ConfigError(f"routing.business_hours: {spec!r} is not like 'mon-fri 09:00-18:00'")
        first, last = match["first"], match["last"] or match["first"]
        if first not in DAYS or last not in DAYS:
            raise ConfigError(f"routing.business_hours: unknown day in {spec!r}")
        if match["closed"]:
            continue
        start, end = _minutes(match["open"], spec), _minutes(match["close"], spec)
        if start == end:
            raise ConfigError(f"routing.business_hours: empty range in {spec!r}")
        if end < start:
            end += 1440  # crosses midnight
        a, b = DAYS.index(first), DAYS.index(last)
        days = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
        intervals.extend((day, start, end) for day in days)
    return Schedule(tuple(intervals))
