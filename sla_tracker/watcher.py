"""Breach watcher: which open clocks have crossed their warning or due instant. Pure; the caller persists.

Each level fires once per clock: the caller passes back ``warned`` / ``breached`` flags it stored.
Naive instants (as some databases return them) are read as UTC, the storage convention.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sla_tracker.clocks import ClockKind

Level = Literal["warning", "breach"]


@dataclass
class OpenClock:
    clock_id: int
    kind: ClockKind | str
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    warned: bool = False
    breached: bool = False
    case_id: int | None = None
    agency: str | None = None
    person: str | None = None


@dataclass(frozen=True)
class ClockAlarm:
    clock_id: int
    level: Level
    at: datetime  # the instant the level was reached (warn_at or due_at), not when it was noticed
    kind: str = ""
    case_id: int | None = None
    agency: str | None = None
    person: str | None = None


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def evaluate(clocks: Iterable[OpenClock], now: datetime) -> list[ClockAlarm]:
    """Alarms due at ``now`` that have not fired yet, ordered by the instant they were reached."""
    now = _utc(now)
    alarms: list[ClockAlarm] = []
    for clock in clocks:
        kind = str(ClockKind(clock.kind))
        extra = {"kind": kind, "case_id": clock.case_id, "agency": clock.agency, "person": clock.person}
        warn_at, due_at = _utc(clock.warn_at), _utc(clock.due_at)
        if not clock.warned and not clock.breached and now >= warn_at:
            alarms.append(ClockAlarm(clock.clock_id, "warning", warn_at, **extra))  # type: ignore[arg-type]
        if not clock.breached and now >= due_at:
            alarms.append(ClockAlarm(clock.clock_id, "breach", due_at, **extra))  # type: ignore[arg-type]
    alarms.sort(key=lambda a: (a.at, a.clock_id, a.level != "warning"))
    return alarms


def mark(clocks: Iterable[OpenClock], alarms: Iterable[ClockAlarm]) -> None:
    """Record fired alarms on the in-memory clocks (for simulations; the cases engine stores its own flags)."""
    by_id = {c.clock_id: c for c in clocks}
    for alarm in alarms:
        clock = by_id.get(alarm.clock_id)
        if clock is None:
            continue
        if alarm.level == "warning":
            clock.warned = True
        else:
            clock.breached = True
            clock.warned = True
