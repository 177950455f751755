"""Read-side helpers for the console: queue, inbox, timeline, published-replies registry (R27)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from cases.models import (
    OPEN_STATES,
    Assignment,
    AssignmentState,
    AuditRecord,
    Breach,
    Case,
    Clock,
    Draft,
    DraftKind,
    PostRow,
)


@dataclass(frozen=True)
class QueueItem:
    case_id: int
    state: str
    importance: str
    shortened: bool
    topic: str | None
    municipality: str | None
    network: str
    post_url: str | None
    text_preview: str
    detected_at: datetime | None
    next_due: datetime | None
    next_clock: str | None
    agencies: list[str] = field(default_factory=list)
    deleted: bool = False


def _next_clock(session: Session, case_ids: list[int]) -> dict[int, tuple[datetime, str]]:
    found: dict[int, tuple[datetime, str]] = {}
    if not case_ids:
        return found
    rows = session.execute(
        select(Clock.case_id, Clock.due_at, Clock.kind)
        .where(Clock.case_id.in_(case_ids), Clock.stopped_at.is_(None))
        .order_by(Clock.due_at)
    )
    for case_id, due_at, kind in rows:
        found.setdefault(case_id, (due_at, kind))
    return found


def _ordered(stmt: Select[Case], limit: int) -> Select[Case]:
    """Nearest open deadline first (cases without one last), then high importance, then oldest."""
    nearest = (
        select(Clock.case_id, func.min(Clock.due_at).label("next_due"))
        .where(Clock.stopped_at.is_(None))
        .group_by(Clock.case_id)
        .subquery()
    )
    high_first = sql_case((Case.importance == "high", 0), else_=1)
    return (
        stmt.outerjoin(nearest, nearest.c.case_id == Case.id)
        .order_by(nearest.c.next_due.is_(None), nearest.c.next_due, high_first, Case.id)
        .limit(limit)
    )


def _items(session: Session, stmt: Select[Case], preview: int) -> list[QueueItem]:
    cases = list(session.scalars(stmt))
    clocks = _next_clock(session, [c.id for c in cases])
    items = []
    for c in cases:
        due = clocks.get(c.id)
        items.append(
            QueueItem(
                case_id=c.id,
                state=c.state,
                importance=c.importance,
                shortened=c.shortened,
                topic=c.topic,
                municipality=c.municipality,
                network=c.post.network,
                post_url=c.post.url,
                text_preview=c.post.text[:preview],
                detected_at=c.detected_at,
                next_due=due[0] if due else None,
                next_clock=due[1] if due else None,
                agencies=[
                    a.agency_code
                    for a in c.assignments
                    if a.state not in (AssignmentState.RETURNED, AssignmentState.CLOSED)
                ],
                deleted=c.post.deleted,
            )
        )
    return items


def curator_queue(
    session: Session, states: list[str] | None = None, limit: int = 200, preview: int = 300
) -> list[QueueItem]:
    """Open cases, nearest due clock first, then high importance."""
    wanted = states or [s.value for s in OPEN_STATES]
    return _items(session, _ordered(select(Case).where(Case.state.in_(wanted)), limit), preview)


def agency_inbox(session: Session, agency_code: str, limit: int = 200, preview: int = 300) -> list[QueueItem]:
    """Cases where the agency has a live assignment, in the same order as the curator queue."""
    sub = select(Assignment.case_id).where(
        Assignment.agency_code == agency_code,
        Assignment.state.in_(
            [AssignmentState.ROUTED.value, AssignmentState.RECEIVED.value, AssignmentState.CONTRIBUTED.value]
        ),
    )
    stmt = select(Case).where(Case.id.in_(sub), Case.state.in_([s.value for s in OPEN_STATES]))
    return _items(session, _ordered(stmt, limit), preview)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    details: dict[str, Any]


def case_timeline(session: Session, case_id: int) -> list[TimelineEntry]:
    """Audit trail of one case, oldest first (R23)."""
    rows = session.scalars(
        select(AuditRecord).where(AuditRecord.case_id == case_id).order_by(AuditRecord.at, AuditRecord.id)
    )
    return [TimelineEntry(r.at, r.actor, r.action, r.from_state, r.to_state, dict(r.details)) for r in rows]


def case_clocks(session: Session, case_id: int) -> list[Clock]:
    return list(session.scalars(select(Clock).where(Clock.case_id == case_id).order_by(Clock.started_at, Clock.id)))


@dataclass(frozen=True)
class RegistryEntry:
    case_id: int
    post_uid: str
    network: str
    post_url: str | None
    topic: str | None
    municipality: str | None
    agencies: list[str]
    kind: str
    reply_url: str | None
    published_at: datetime
    approved_at: datetime | None
    author_login: str


def published_registry(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    network: str | None = None,
    agency: str | None = None,
    topic: str | None = None,
    municipality: str | None = None,
    limit: int = 1000,
) -> list[RegistryEntry]:
    """R27: posts that received published replies, newest first."""
    stmt = (
        select(Draft, Case, PostRow)
        .join(Case, Draft.case_id == Case.id)
        .join(PostRow, Case.post_id == PostRow.id)
        .where(Draft.published_at.is_not(None), Draft.kind != DraftKind.CONTRIBUTION.value)
    )
    if since is not None:
        stmt = stmt.where(Draft.published_at >= since)
    if until is not None:
        stmt = stmt.where(Draft.published_at < until)
    if network is not None:
        stmt = stmt.where(PostRow.network == network)
    if topic is not None:
        stmt = stmt.where(Case.topic == topic)
    if municipality is not None:
        stmt = stmt.where(Case.municipality == municipality)
    if agency is not None:
        stmt = stmt.where(Case.id.in_(select(Assignment.case_id).where(Assignment.agency_code == agency)))
    stmt = stmt.order_by(Draft.published_at.desc(), Draft.id.desc()).limit(limit)
    out: list[RegistryEntry] = []
    for draft, case, post in session.execute(stmt):
        published_at = draft.published_at
        if published_at is None:  # excluded by the query; keeps mypy honest
            continue
        out.append(
            RegistryEntry(
                case_id=case.id,
                post_uid=post.uid,
                network=post.network,
                post_url=post.url,
                topic=case.topic,
                municipality=case.municipality,
                agencies=[a.agency_code for a in case.assignments if a.state != AssignmentState.RETURNED],
                kind=draft.kind,
                reply_url=draft.published_url,
                published_at=published_at,
                approved_at=draft.decided_at,
                author_login=draft.author.login,
            )
        )
    return out


def breaches_by_agency(
    session: Session, since: datetime | None = None, until: datetime | None = None
) -> dict[str | None, int]:
    """R24 raw counts; the report itself lives in sla_tracker."""
    stmt = select(Breach.agency_code, func.count(Breach.id)).group_by(Breach.agency_code)
    if since is not None:
        stmt = stmt.where(Breach.breached_at >= since)
    if until is not None:
        stmt = stmt.where(Breach.breached_at < until)
    return {agency: int(n) for agency, n in session.execute(stmt)}
