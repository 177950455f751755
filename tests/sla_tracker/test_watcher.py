"""Breach watcher: a warning at 75% of a clock's limit and a breach at 100%, each exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sla_tracker.clocks import ClockKind
from sla_tracker.watcher import ClockAlarm, OpenClock, evaluate, mark
from tests.sla_tracker.kuzbass import local, policy


def _clock(clock_id: int, kind: ClockKind, start: datetime, importance: str = "normal") -> OpenClock:
    p = policy()
    return OpenClock(
        clock_id=clock_id,
        kind=kind,
        started_at=start,
        due_at=p.due(kind, start, importance),
        warn_at=p.warn_at(kind, start, importance),
        case_id=100 + clock_id,
        agency="minstroy",
    )


def _simulate(clocks: list[OpenClock], start: datetime, end: datetime, step: timedelta) -> list[ClockAlarm]:
    """Tick a simulated clock forward, storing the fired levels as the cases engine would."""
    fired: list[ClockAlarm] = []
    now = start
    while now <= end:
        alarms = evaluate(clocks, now)
        mark(clocks, alarms)
        fired.extend(alarms)
        now += step
    return fired


def test_warning_at_75_percent_then_breach_at_100_each_once() -> None:
    start = local(2025, 3, 3, 10, 0)
    reply = _clock(1, ClockKind.REPLY, start)  # due Tue 10:00, warning Mon 17:00
    fired = _simulate([reply], start, local(2025, 3, 6, 10, 0), timedelta(minutes=7))
    assert [(a.level, a.at) for a in fired] == [
        ("warning", local(2025, 3, 3, 17, 0)),
        ("breach", local(2025, 3, 4, 10, 0)),
    ]
    assert fired[0].kind == "reply" and fired[0].case_id == 101 and fired[0].agency == "minstroy"


def test_nothing_before_the_warning_instant() -> None:
    clock = _clock(1, ClockKind.ROUTING, local(2025, 3, 3, 10, 0))
    assert evaluate([clock], clock.warn_at - timedelta(microseconds=1)) == []
    assert [a.level for a in evaluate([clock], clock.warn_at)] == ["warning"]


def test_late_tick_fires_both_levels_in_order() -> None:
    clock = _clock(7, ClockKind.APPROVAL, local(2025, 3, 3, 10, 0))
    alarms = evaluate([clock], local(2025, 3, 10, 10, 0))
    assert [(a.level, a.at) for a in alarms] == [("warning", clock.warn_at), ("breach", clock.due_at)]


def test_stored_flags_prevent_repeats() -> None:
    clock = _clock(1, ClockKind.DRAFT, local(2025, 3, 3, 10, 0))
    later = local(2025, 3, 10, 10, 0)
    clock.warned = True
    assert [a.level for a in evaluate([clock], later)] == ["breach"]
    clock.breached = True
    assert evaluate([clock], later) == []


def test_breached_clock_without_warning_does_not_warn_afterwards() -> None:
    clock = _clock(1, ClockKind.DRAFT, local(2025, 3, 3, 10, 0))
    clock.breached = True
    assert evaluate([clock], local(2025, 3, 10, 10, 0)) == []


def test_many_clocks_ordered_by_instant() -> None:
    start = local(2025, 3, 3, 10, 0)
    clocks = [
        _clock(1, ClockKind.REPLY, start),
        _clock(2, ClockKind.ROUTING, start),
        _clock(3, ClockKind.REPLY, start, "high"),
    ]
    alarms = evaluate(clocks, local(2025, 3, 3, 16, 0))
    assert [(a.clock_id, a.level) for a in alarms] == [(2, "warning"), (2, "breach"), (3, "warning"), (3, "breach")]
    assert [a.at for a in alarms] == sorted(a.at for a in alarms)


def test_naive_instants_from_storage_are_utc() -> None:
    clock = _clock(1, ClockKind.ROUTING, local(2025, 3, 3, 10, 0))
    naive = OpenClock(1, "routing", clock.started_at.astimezone(UTC).replace(tzinfo=None),
                      clock.due_at.replace(tzinfo=None), clock.warn_at.replace(tzinfo=None))
    now = clock.due_at.replace(tzinfo=None)
    assert [(a.level, a.at) for a in evaluate([naive], now)] == [("warning", clock.warn_at), ("breach", clock.due_at)]


def test_r7_3_routing_breach_after_30_calendar_minutes() -> None:
    """R7.3 late routing is a breach: detected Friday 17:45, not routed by 18:15 the same evening."""
    clock = _clock(1, ClockKind.ROUTING, local(2025, 3, 14, 17, 45))
    fired = _simulate([clock], local(2025, 3, 14, 17, 45), local(2025, 3, 17, 12, 0), timedelta(minutes=1))
    assert [(a.level, a.at) for a in fired] == [
        ("warning", local(2025, 3, 14, 18, 7).replace(second=30)),
        ("breach", local(2025, 3, 14, 18, 15)),
    ]
