"""Shared test helpers: the real Kuzbass region data and local-time constructors."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from sla_tracker.calendar import WorkingCalendar
from sla_tracker.clocks import ClockPolicy

REGION_DIR = Path(__file__).resolve().parents[2] / "regions" / "kuzbass"
KEM = ZoneInfo("Asia/Novokuznetsk")


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """An instant given as Kuzbass wall-clock time."""
    return datetime(y, mo, d, h, mi, tzinfo=KEM)


@lru_cache(maxsize=1)
def calendar() -> WorkingCalendar:
    return WorkingCalendar.load(REGION_DIR)


@lru_cache(maxsize=2)
def policy(short_clocks_working_time: bool = True) -> ClockPolicy:
    return ClockPolicy.load(REGION_DIR, short_clocks_working_time=short_clocks_working_time)
