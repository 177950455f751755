"""Starting and stopping a case's clocks; due times come from ``sla_tracker.clocks.ClockPolicy``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from cases.config import CaseConfig, default_config
from cases.journal import emit
from cases.models import Assignment, Case, Clock, new_row
from schemas import CaseEventType


def start(
    session: Session,
    config: CaseConfig,
    case: Case,
    kind: str,
    at: datetime,
    now: datetime,
    assignment: Assignment | None = None,
) -> Clock:
    """Open clock ``kind`` started at ``at`` (the regulation's start event, which may precede ``now``)."""
    return start_many(session, config, case, [kind], at, now, assignment)[0]


DueCache = dict[tuple[str, datetime, str, bool], tuple[datetime, datetime]]


def build(
    config: CaseConfig,
    case: Case,
    kinds: Sequence[str],
    at: datetime,
    assignment: Assignment | None = None,
    cache: DueCache | None = None,
    attach: bool = True,
) -> list[Clock]:
    """New clock rows for ``case`` (not yet added to a session); ``cache`` shares due times across a batch.

    The calendar walk is the costly part and every case of one intake batch starts at the same instant,
    so a batch computes each (kind, importance, shortened) once. ``attach=False`` leaves ``case.clocks``
    alone: a caller that knows the case has no clocks sets the collection at once (collection events
    per append were a third of intake's clock cost)."""
    from sla_tracker.clocks import ClockKind

    policy = config.policy
    memo: DueCache = {} if cache is None else cache
    clocks: list[Clock] = []
    for kind in kinds:
        k = ClockKind(kind)
        key = (k.value, at, case.importance, bool(case.shortened))
        times = memo.get(key)
        if times is None:
            times = memo[key] = (
                policy.due(k, at, importance=case.importance, shortened=case.shortened),
                policy.warn_at(k, at, importance=case.importance, shortened=case.shortened),
            )
        clock = new_row(
            Clock,
            case_id=case.id,
            assignment_id=assignment.id if assignment is not None else None,
            kind=k.value,
            started_at=at,
            due_at=times[0],
            warn_at=times[1],
        )
        if attach:
            case.clocks.append(clock)  # load the collection before the new row is pending (no duplicate)
        clocks.append(clock)
    return clocks


def facts(clocks: Sequence[Clock]) -> list[dict[str, object]]:
    """Started clocks as an event reports them in ``data["clocks"]`` (the clocks must have their ids).

    Intake reports the three detection clocks on the ``opened`` event instead of three ``clock_started``
    events: a quarter of the events per post, and every event costs a row, a relay, a bus message and
    analytics work (docs/analytics.md)."""
    return [
        {"kind": c.kind, "clock_id": c.id, "started_at": c.started_at.isoformat(), "due_at": c.due_at.isoformat(),
         "warn_at": c.warn_at.isoformat()}
        for c in clocks
    ]


def announce(
    session: Session, case: Case, clocks: Sequence[Clock], now: datetime, assignment: Assignment | None = None
) -> None:
    """One clock_started event per clock; the clocks must be flushed (the event carries the clock id)."""
    for clock in clocks:
        emit(
            session,
            case,
            CaseEventType.CLOCK_STARTED,
            now,
            clock=clock.kind,
            due_at=clock.due_at,
            agency=assignment.agency_code if assignment is not None else None,
            data={
                "clock_id": clock.id,
                "started_at": clock.started_at.isoformat(),
                "warn_at": clock.warn_at.isoformat(),
            },
        )


def start_many(
    session: Session,
    config: CaseConfig,
    case: Case,
    kinds: Sequence[str],
    at: datetime,
    now: datetime,
    assignment: Assignment | None = None,
) -> list[Clock]:
    """Several clocks from one start event, with a single flush (intake starts three at once)."""
    clocks = build(config, case, kinds, at, assignment)
    session.add_all(clocks)
    session.flush()
    announce(session, case, clocks, now, assignment)
    return clocks


def open_clocks(case: Case, kinds: Iterable[str] | None = None, assignment: Assignment | None = None) -> list[Clock]:
    wanted = set(kinds) if kinds is not None else None
    return [
        c
        for c in case.clocks
        if c.stopped_at is None
        and (wanted is None or c.kind in wanted)
        and (assignment is None or c.assignment_id == assignment.id)
    ]


def stop(
    session: Session,
    case: Case,
    kinds: Iterable[str] | None,
    now: datetime,
    assignment: Assignment | None = None,
    reason: str = "",
    config: CaseConfig | None = None,
    person: str | None = None,
) -> list[Clock]:
    """Stop the open clocks of those kinds (all when None); a stopped clock stays as history.

    The event carries the elapsed working time on the region's calendar, so analysts and the
    monthly report measure every clock the way the regulation does, not in calendar minutes;
    ``person`` (the login whose work stopped it) is what breaches per person are counted by (R24).
    """
    stopped = open_clocks(case, kinds, assignment)
    if not stopped:
        return stopped
    calendar = (config or default_config()).policy.calendar
    for clock in stopped:
        clock.stopped_at = now
        emit(
            session,
            case,
            CaseEventType.CLOCK_STOPPED,
            now,
            actor=person,
            clock=clock.kind,
            due_at=clock.due_at,
            agency=assignment.agency_code if assignment is not None else None,
            data={
                "clock_id": clock.id,
                "late": now > clock.due_at,
                "reason": reason,
                "started_at": clock.started_at.isoformat(),
                "working_minutes": round(max(0.0, calendar.working_minutes_between(clock.started_at, now)), 2),
                "importance": case.importance,
            },
        )
    return stopped


def recompute(session: Session, config: CaseConfig, case: Case, now: datetime) -> None:
    """Importance or the shortened mark changed (R7.2, R12): re-derive due times of the open clocks."""
    from sla_tracker.clocks import ClockKind

    for clock in open_clocks(case):
        k = ClockKind(clock.kind)
        due = config.policy.due(k, clock.started_at, importance=case.importance, shortened=case.shortened)
        if due == clock.due_at:
            continue
        clock.due_at = due
        clock.warn_at = config.policy.warn_at(k, clock.started_at, importance=case.importance, shortened=case.shortened)
        emit(
            session,
            case,
            CaseEventType.CLOCK_STARTED,
            now,
            clock=clock.kind,
            due_at=due,
            data={
                "clock_id": clock.id,
                "started_at": clock.started_at.isoformat(),
                "warn_at": clock.warn_at.isoformat(),
                "recomputed": True,
            },
        )
