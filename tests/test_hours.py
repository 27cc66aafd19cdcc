from __future__ import annotations

import pytest

from chatserver.core.hours import parse_schedule
from chatserver.errors import ConfigError

MON, FRI, SAT, SUN = 0, 4, 5, 6


def at(hh: int, mm: int = 0) -> int:
    return hh * 60 + mm


def test_empty_schedule_is_always_open() -> None:
    assert parse_schedule(()).is_open(SUN, at(3))


def test_weekdays_and_saturday() -> None:
    schedule = parse_schedule(("mon-fri 09:00-18:00", "sat 10:00-14:00", "sun closed"))
    assert schedule.is_open(MON, at(9))
    assert not schedule.is_open(MON, at(8, 59))
    assert not schedule.is_open(FRI, at(18))  # the end is exclusive
    assert schedule.is_open(SAT, at(13, 59))
    assert not schedule.is_open(SUN, at(12))


def test_range_across_midnight_and_week_wrap() -> None:
    schedule = parse_schedule(("sun-mon 22:00-02:00",))
    assert schedule.is_open(SUN, at(23))
    assert schedule.is_open(MON, at(1, 59))  # Sunday's evening runs into Monday
    assert schedule.is_open(MON, at(22, 30))
    assert schedule.is_open(0 + 1, at(1))  # Monday's range runs into Tuesday
    assert not schedule.is_open(MON, at(12))


@pytest.mark.parametrize(
    "spec", ["mon 9-18", "xyz 09:00-18:00", "mon 25:00-26:00", "mon 09:00-09:00", "mon"]
)
def test_bad_specs_name_the_problem(spec: str) -> None:
    with pytest.raises(ConfigError, match="business_hours"):
        parse_schedule((spec,))
