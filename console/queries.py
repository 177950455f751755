"""Read side of the console: queue, inbox, case page, registry. Bounded result sizes everywhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, load_only, selectinload

from cases.models import (
    Assignment,
    AuditRecord,
    Case,
    CaseState,
    Clock,
    Draft,
    PostRow,
    SuggestionRow,
)
from console.deps import Forbidden
from console.users import SEE_ALL_CASES, User
from console.views import LOCAL_TZ

QUEUE_STATES = (CaseState.DETECTED.value, CaseState.TRIAGED.value, CaseState.RETURNED.value)
APPROVAL_STATES = (CaseState.UNDER_APPROVAL.value,)
INBOX_ASSIGNMENT_STATES = ("routed", "received", "contributed")
PAGE_SIZE = 50
COUNT_CAP = 2000
QUEUE_LIMIT = 50


@dataclass
class Row:
    """One case with what the list pages show; ``suggestion`` is the classifier's latest output."""

    case: Case
    post: PostRow
    next_due: datetime | None
    suggestion: dict[str, Any] = field(default_factory=dict)
    assignment: Assignment | None = None
    late: bool | None = None
    published_at: datetime | None = None
    agencies: list[str] = field(default_factory=list)


def _next_due() -> Any:
    return (
        select(func.min(Clock.due_at))
        .where(Clock.case_id == Case.id, Clock.stopped_at.is_(None))
        .correlate(Case)
        .scalar_subquery()
    )


def _importance_rank() -> Any:
    return sql_case((Case.importance == "high", 0), else_=1)


def suggestions_for(db: Session, post_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Latest suggestion per post, in one query."""
    if not post_ids:
        return {}
    latest = (
        select(func.max(SuggestionRow.id)).where(SuggestionRow.post_id.in_(post_ids)).group_by(SuggestionRow.post_id)
    )
    rows = db.execute(select(SuggestionRow.post_id, SuggestionRow.data).where(SuggestionRow.id.in_(latest)))
    return {post_id: dict(data) for post_id, data in rows}


# What the queue page and /api/queue read; everything else stays unloaded (no per-row ORM cost).
QUEUE_CASE_COLUMNS = (Case.state, Case.importance, Case.topic, Case.municipality, Case.shortened, Case.post_id)
QUEUE_POST_COLUMNS = (PostRow.network, PostRow.url, PostRow.author_id, PostRow.author_name, PostRow.text,
                      PostRow.created_at, PostRow.raw)


def curator_queue(db: Session, states: tuple[str, ...] = QUEUE_STATES, limit: int = QUEUE_LIMIT,
                  *, with_drafts: bool = False) -> list[Row]:
    """Nearest deadline first, high importance first among equals; cases without clocks last.

    ``with_drafts`` loads whole cases with their drafts (approval page); the queue loads only what it shows.
    """
    due = _next_due().label("next_due")
    stmt = (
        select(Case, PostRow, due)
        .join(PostRow, PostRow.id == Case.post_id)
        .where(Case.state.in_(states))
        .order_by(due.is_(None), due, _importance_rank(), Case.id)
        .limit(limit)
        .options(selectinload(Case.repeat_of).load_only(Case.id))
    )
    if with_drafts:
        stmt = stmt.options(selectinload(Case.drafts).selectinload(Draft.author))
    else:
        stmt = stmt.options(load_only(*QUEUE_CASE_COLUMNS), load_only(*QUEUE_POST_COLUMNS))
    result = db.execute(stmt).all()
    sugg = suggestions_for(db, [p.id for _, p, _ in result])
    return [Row(case=c, post=p, next_due=d, suggestion=sugg.get(p.id, {})) for c, p, d in result]


def agency_inbox(db: Session, user: User, limit: int = QUEUE_LIMIT) -> list[Row]:
    """The agency's live assignments plus its cases waiting on revision or publication."""
    if user.agency_code is None:
        return []
    due = _next_due().label("next_due")
    open_case = Case.state.notin_((CaseState.PUBLISHED.value, CaseState.EXCLUDED.value))
    stmt = (
        select(Assignment, Case, PostRow, due)
        .join(Case, Case.id == Assignment.case_id)
        .join(PostRow, PostRow.id == Case.post_id)
        .where(Assignment.agency_code == user.agency_code, open_case)
        .where(
            or_(
                Assignment.state.in_(INBOX_ASSIGNMENT_STATES),
                Case.state.in_((CaseState.REVISION.value, CaseState.APPROVED.value, CaseState.AWAITING_FINAL.value)),
            )
        )
        .where(Assignment.state != "returned")
        .order_by(due.is_(None), due, _importance_rank(), Case.id)
        .limit(limit)
        .options(selectinload(Assignment.executor))
    )
    result = db.execute(stmt).all()
    return [Row(case=c, post=p, next_due=d, assignment=a) for a, c, p, d in result]


def can_see(db: Session, user: User, case_id: int) -> bool:
    if user.role in SEE_ALL_CASES:
        return True
    if user.agency_code is None:
        return False
    return bool(
        db.scalar(
            select(
                exists().where(Assignment.case_id == case_id, Assignment.agency_code == user.agency_code)
            )
        )
    )


def case_for(db: Session, user: User, case_id: int) -> Case:
    """The case if this user may see it; the same refusal for 'missing' and 'not yours' leaks nothing."""
    if not can_see(db, user, case_id):
        raise Forbidden("Дело недоступно")
    case = db.scalar(
        select(Case)
        .where(Case.id == case_id)
        .options(
            selectinload(Case.post),
            selectinload(Case.assignments).selectinload(Assignment.executor),
            selectinload(Case.assignments).selectinload(Assignment.agency),
            selectinload(Case.drafts).selectinload(Draft.author),
            selectinload(Case.clocks),
            selectinload(Case.repeat_of),
        )
    )
    if case is None:
        raise Forbidden("Дело недоступно")
    return case


def timeline(db: Session, case_id: int, limit: int = 500) -> list[AuditRecord]:
    return list(
        db.scalars(select(AuditRecord).where(AuditRecord.case_id == case_id).order_by(AuditRecord.id).limit(limit))
    )


@dataclass(frozen=True)
class RegistryFilter:
    """R27 filters; every field optional. ``timely`` is 'on_time' | 'late'."""

    date_from: datetime | None = None
    date_to: datetime | None = None
    network: str | None = None
    agency: str | None = None
    topic: str | None = None
    municipality: str | None = None
    importance: str | None = None
    timely: str | None = None

    def query_items(self) -> list[tuple[str, str]]:
        items: list[tuple[str, str]] = []
        for key in ("network", "agency", "topic", "municipality", "importance", "timely"):
            value = getattr(self, key)
            if value:
                items.append((key, value))
        if self.date_from:
            items.append(("date_from", self.date_from_day))
        if self.date_to:
            items.append(("date_to", self.date_to_day))
        return items

    @property
    def date_from_day(self) -> str:
        return self.date_from.astimezone(LOCAL_TZ).date().isoformat() if self.date_from else ""

    @property
    def date_to_day(self) -> str:
        """``date_to`` is the exclusive boundary (next local midnight); forms show the last included day."""
        return (self.date_to.astimezone(LOCAL_TZ) - timedelta(days=1)).date().isoformat() if self.date_to else ""


def _late_clause() -> Any:
    return exists().where(
        Clock.case_id == Case.id,
        Clock.kind == "reply",
        or_(Clock.breached_at.is_not(None), and_(Clock.stopped_at.is_not(None), Clock.stopped_at > Clock.due_at)),
    )


def _registry_ids(f: RegistryFilter, user: User) -> Select[Any]:
    """Filters on the cases table alone (posts joined only for the network), so sorting stays cheap."""
    stmt = select(Case.id).where(Case.state == CaseState.PUBLISHED.value)
    if user.in_agency:
        f = RegistryFilter(**{**f.__dict__, "agency": user.agency_code})
    if f.date_from:
        stmt = stmt.where(Case.closed_at >= f.date_from)
    if f.date_to:
        stmt = stmt.where(Case.closed_at < f.date_to)
    if f.network:
        stmt = stmt.join(PostRow, PostRow.id == Case.post_id).where(PostRow.network == f.network)
    if f.topic:
        stmt = stmt.where(Case.topic == f.topic)
    if f.municipality:
        stmt = stmt.where(Case.municipality == f.municipality)
    if f.importance:
        stmt = stmt.where(Case.importance == f.importance)
    if f.agency:
        stmt = stmt.where(exists().where(Assignment.case_id == Case.id, Assignment.agency_code == f.agency))
    if f.timely == "late":
        stmt = stmt.where(_late_clause())
    elif f.timely == "on_time":
        stmt = stmt.where(~_late_clause())
    return stmt


def registry(
    db: Session, user: User, f: RegistryFilter, page: int = 1, page_size: int = PAGE_SIZE
) -> tuple[list[Row], int]:
    """Published cases, newest case first (primary-key order, no full sort); agency people see only theirs.

    A match count above ``COUNT_CAP`` comes back as ``COUNT_CAP + 1``.
    """
    ids_stmt = _registry_ids(f, user)
    # Counting stops at COUNT_CAP: an exact total over 100k rows costs more than the page itself.
    capped = ids_stmt.order_by(None).limit(COUNT_CAP + 1).subquery()
    total = int(db.scalar(select(func.count()).select_from(capped)) or 0)
    page = max(page, 1)
    ids = list(
        db.scalars(
            ids_stmt.order_by(Case.id.desc()).offset((page - 1) * page_size).limit(page_size)
        )
    )
    return _load_rows(db, ids), total


def registry_all(db: Session, user: User, f: RegistryFilter, limit: int = 100_000) -> list[Row]:
    ids = list(db.scalars(_registry_ids(f, user).order_by(Case.id.desc()).limit(limit)))
    rows: list[Row] = []
    for start in range(0, len(ids), 1000):
        rows.extend(_load_rows(db, ids[start : start + 1000]))
    return rows


# What the registry page, its API and the CSV/XLSX export read (no post JSON, no unused case columns).
REGISTRY_CASE_COLUMNS = (Case.state, Case.topic, Case.municipality, Case.importance, Case.shortened,
                         Case.detected_at, Case.closed_at, Case.post_id)
REGISTRY_POST_COLUMNS = (PostRow.network, PostRow.url, PostRow.author_name, PostRow.text)


def _load_rows(db: Session, ids: list[int]) -> list[Row]:
    """Cases and posts for one page of ids, in the ids' order, with agencies and the late flag."""
    if not ids:
        return []
    found = {c.id: (c, p, late) for c, p, late in db.execute(
        select(Case, PostRow, _late_clause().label("late"))
        .join(PostRow, PostRow.id == Case.post_id).where(Case.id.in_(ids))
        .options(load_only(*REGISTRY_CASE_COLUMNS), load_only(*REGISTRY_POST_COLUMNS)))}
    return _decorate(db, [found[i] for i in ids if i in found])


def _decorate(db: Session, rows: list[Any]) -> list[Row]:
    ids = [c.id for c, _, _ in rows]
    agencies: dict[int, list[str]] = {}
    if ids:
        for case_id, code in db.execute(
            select(Assignment.case_id, Assignment.agency_code)
            .where(Assignment.case_id.in_(ids), Assignment.state != "returned")
            .order_by(Assignment.order_no)
        ):
            agencies.setdefault(case_id, []).append(code)
    return [
        Row(case=c, post=p, next_due=None, late=bool(late), published_at=c.closed_at, agencies=agencies.get(c.id, []))
        for c, p, late in rows
    ]
