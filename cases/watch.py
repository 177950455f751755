"""Breach watcher tick: evaluate open clocks, persist warnings and breaches, escalate (R24)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cases import outbox
from cases.journal import emit
from cases.models import Assignment, AssignmentState, Breach, Case, Clock, Person, Role
from schemas import Alert, AlertKind, CaseEventType, Topic

CLOCK_LABELS_RU = {
    "routing": "направление в орган (п. 7)",
    "competence_return": "возврат как не относящегося к компетенции (п. 9)",
    "rerouting": "повторное направление (п. 10)",
    "draft": "представление проекта ответа куратору (п. 13)",
    "approval": "согласование проекта (п. 14)",
    "revision": "доработка проекта (п. 15)",
    "posting": "размещение ответа (п. 16)",
    "reply": "ответ автору (пп. 11, 12)",
    "final_after_interim": "окончательный ответ после промежуточного (п. 17)",
    "contribution": "часть ответа от органа (п. 18)",
}
CURATOR_CLOCKS = frozenset({"routing", "rerouting", "approval"})
WINDOW_CLOCKS = frozenset({"competence_return"})
"""Clocks that bound an option, not a duty: R9 lets an agency return a case within 30 minutes;
keeping it is no breach, so at its end the window just closes."""


@dataclass(frozen=True)
class Fired:
    clock_id: int
    case_id: int
    kind: str
    level: str
    at: datetime
    agency: str | None
    person: str | None


def _responsible(clock: Clock) -> Assignment | None:
    """Whose deadline it is: the clock's own assignment, else the first agency still on the case."""
    if clock.assignment is not None:
        return clock.assignment
    if clock.kind in CURATOR_CLOCKS:
        return None
    live = [
        a
        for a in clock.case.assignments
        if a.state
        in (AssignmentState.ROUTED, AssignmentState.RECEIVED, AssignmentState.CONTRIBUTED, AssignmentState.CLOSED)
    ]
    return min(live, key=lambda a: (-a.round_no, a.order_no)) if live else None


def _recipients(session: Session, agency: str | None) -> list[str]:
    """R24: the agency lead(s) and the curators."""
    leads: list[str] = []
    if agency is not None:
        leads = list(
            session.scalars(
                select(Person.login).where(
                    Person.agency_code == agency, Person.role == Role.AGENCY_LEAD.value, Person.active
                )
            )
        )
    return [*leads, "curator"]


def _close_windows(session: Session, now: datetime) -> None:
    expired = list(
        session.scalars(
            select(Clock).where(Clock.stopped_at.is_(None), Clock.kind.in_(WINDOW_CLOCKS), Clock.due_at <= now)
        )
    )
    for clock in expired:
        clock.stopped_at = clock.due_at
        emit(
            session,
            clock.case,
            CaseEventType.CLOCK_STOPPED,
            now,
            clock=clock.kind,
            due_at=clock.due_at,
            agency=clock.assignment.agency_code if clock.assignment else None,
            data={"clock_id": clock.id, "late": False, "reason": "window_closed"},
        )


def tick(session: Session, now: datetime) -> list[Fired]:
    """Fire each level once per clock; the caller commits (events and facts are one transaction)."""
    from sla_tracker.watcher import OpenClock, evaluate

    _close_windows(session, now)
    clocks = list(
        session.scalars(
            select(Clock)
            .where(
                Clock.stopped_at.is_(None),
                Clock.kind.not_in(WINDOW_CLOCKS),
                or_(
                    (Clock.warned_at.is_(None)) & (Clock.warn_at <= now),
                    (Clock.breached_at.is_(None)) & (Clock.due_at <= now),
                ),
            )
            .order_by(Clock.due_at)
        )
    )
    if not clocks:
        return []
    by_id = {c.id: c for c in clocks}
    alarms = evaluate(
        [
            OpenClock(
                clock_id=c.id,
                kind=c.kind,
                started_at=c.started_at,
                due_at=c.due_at,
                warn_at=c.warn_at,
                warned=c.warned_at is not None,
                breached=c.breached_at is not None,
            )
            for c in clocks
        ],
        now,
    )
    fired: list[Fired] = []
    for alarm in alarms:
        clock = by_id[alarm.clock_id]
        case: Case = clock.case
        owner = _responsible(clock)
        agency = owner.agency_code if owner is not None else None
        person = owner.executor if owner is not None else None
        breach = alarm.level == "breach"
        if breach:
            clock.breached_at = alarm.at
            if clock.warned_at is None:
                clock.warned_at = alarm.at
            session.add(
                Breach(
                    clock_id=clock.id,
                    case_id=case.id,
                    agency_code=agency,
                    person_id=person.id if person else None,
                    kind=clock.kind,
                    due_at=clock.due_at,
                    breached_at=alarm.at,
                )
            )
        else:
            clock.warned_at = alarm.at
        emit(
            session,
            case,
            CaseEventType.CLOCK_BREACHED if breach else CaseEventType.CLOCK_WARNING,
            now,
            agency=agency,
            clock=clock.kind,
            due_at=clock.due_at,
            data={"clock_id": clock.id, "person": person.login if person else None, "at": alarm.at.isoformat()},
        )
        label = CLOCK_LABELS_RU.get(clock.kind, clock.kind)
        alert = Alert(
            alert_id=f"clock-{clock.id}-{alarm.level}",
            kind=AlertKind.CLOCK_BREACH if breach else AlertKind.CLOCK_WARNING,
            case_id=case.id,
            title=(f"Нарушен срок: {label}" if breach else f"Истекает срок: {label}") + f", дело {case.id}",
            body=f"Срок: {clock.due_at.isoformat()}" + (f"; орган: {agency}" if agency else ""),
            recipients=_recipients(session, agency),
            created_at=now,
            data={
                "clock_id": clock.id,
                "clock": clock.kind,
                "agency": agency,
                "person": person.login if person else None,
                "due_at": clock.due_at.isoformat(),
            },
        )
        outbox.put(session, Topic.ALERTS, str(case.id), alert, alert.alert_id, now)
        fired.append(
            Fired(clock.id, case.id, clock.kind, alarm.level, alarm.at, agency, person.login if person else None)
        )
    session.flush()
    return fired
