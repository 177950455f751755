"""Turning classified posts into cases: idempotent on (uid, version), one transaction with their events.

``intake_many`` handles a whole bus batch with a constant number of statements (one SELECT for the
batch's known uids and their cases, at most two for repeat candidates, one write per table), yet
leaves exactly the rows and events that feeding the same posts one by one through ``intake`` would:
posts are decided in order, a later post of the same uid sees the earlier one, a case opened later in
the batch is not yet there for an earlier post, and every case's events are queued in the same order.
On PostgreSQL new rows take their ids from the sequences up front (see ``_assign_ids``), so the batch
is decided and journaled in memory first and its new rows are then written once each, by COPY, in
foreign-key order and outside the ORM's unit of work (``_bulk_insert``, ``outbox.insert_rows``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from itertools import groupby
from typing import Any, cast

from sqlalchemy import Table, any_, bindparam, inspect, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from cases import timers
from cases.config import CaseConfig, default_config
from cases.journal import SYSTEM, record
from cases.models import (
    AuditRecord,
    AuditRecordNotChained,
    Case,
    CaseState,
    Clock,
    PostRow,
    SuggestionRow,
    case_repeats,
    new_row,
)
from cases.outbox import insert_rows
from schemas import CaseEventType, ClassifiedPost, Post, Suggestion

DETECTION_CLOCKS = ("routing", "draft", "reply")
_AUDIT_TABLE = cast(Table, AuditRecord.__table__)


class IntakeOutcome(StrEnum):
    OPENED = "opened"
    EXCLUDED = "excluded"
    UPDATED = "updated"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class IntakeResult:
    outcome: IntakeOutcome
    case_id: int
    post_id: int


def _post_fields(post: Post) -> dict[str, object]:
    return {
        "network": post.network.value,
        "url": post.url,
        "author_id": post.author.id,
        "author_name": post.author.name,
        "author_url": post.author.url,
        "text": post.text,
        "created_at": post.created_at,
        "collected_at": post.collected_at,
        "version": post.version,
        "deleted": post.deleted,
        "raw": post.model_dump(
            mode="json",
            include={"raw", "author", "metrics", "geo", "reply_to", "attachments", "edited_at", "truncated", "source"},
        ),
    }


def start_detection_clocks(session: Session, config: CaseConfig, case: Case, at: datetime, now: datetime) -> None:
    """R7.3, R13.2, R11/R12 all run from the detection instant."""
    case.detected_at = at
    timers.start_many(session, config, case, DETECTION_CLOCKS, at, now)


@dataclass
class _Known:
    """One uid as the batch has seen it so far; ``position`` is the step that opened its case (-1: before)."""

    row: PostRow
    case: Case | None
    position: int


@dataclass
class _Step:
    """The decision for one post of the batch, carried out later in phases."""

    outcome: IntakeOutcome
    known: _Known
    suggestion: Suggestion
    post: Post
    version: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    clocks: list[Clock] = field(default_factory=list)


def _one_of(session: Session, column: Any, values: set[Any]) -> Any:
    """``column IN values``; on PostgreSQL as ``= ANY(array)``: one parameter, so the SQL text is the same
    for every batch (psycopg caches its parse and the server prepares it) instead of one per batch size."""
    ordered = sorted(values)
    if _is_postgres(session):
        return column == any_(bindparam(None, ordered, type_=ARRAY(column.type)))
    return column.in_(ordered)


def _load_known(session: Session, uids: set[str]) -> dict[str, _Known]:
    """One SELECT for the posts and one for their cases, whatever the batch size."""
    if not uids:
        return {}
    rows = {row.id: row for row in session.scalars(select(PostRow).where(_one_of(session, PostRow.uid, uids)))}
    cases = (
        {c.post_id: c for c in session.scalars(select(Case).where(_one_of(session, Case.post_id, set(rows))))}
        if rows
        else {}
    )
    known: dict[str, _Known] = {}
    for row in rows.values():
        case = cases.get(row.id)
        if case is None:
            raise RuntimeError(f"post {row.id} is stored without a case; the database is inconsistent")
        known[row.uid] = _Known(row, case, -1)
    return known


def _decide(
    session: Session, posts: Sequence[ClassifiedPost], now: datetime, attach: bool
) -> tuple[list[_Step], dict[str, _Known]]:
    """Outcome of every post in order; rows are created or changed in memory (written by the caller).
    New rows join the session only with ``attach`` (otherwise ``_bulk_insert`` writes them)."""
    known = _load_known(session, {c.post.uid for c in posts})
    steps: list[_Step] = []
    for index, classified in enumerate(posts):
        post, suggestion = classified.post, classified.suggestion
        seen = known.get(post.uid)
        if seen is None:
            row = new_row(PostRow, uid=post.uid, surfaced_at=now, **_post_fields(post))
            if attach:
                session.add(row)
            seen = known[post.uid] = _Known(row, None, index)
            outcome = IntakeOutcome.EXCLUDED if suggestion.excluded else IntakeOutcome.OPENED
            steps.append(_Step(outcome, seen, suggestion, post, version=post.version))
            continue
        row = seen.row
        newly_deleted = post.deleted and not row.deleted
        if post.version <= row.version and not newly_deleted:
            steps.append(_Step(IntakeOutcome.DUPLICATE, seen, suggestion, post))
            continue
        old_version = row.version
        for key, value in _post_fields(post).items():
            setattr(row, key, value)
        row.version = max(old_version, post.version)
        row.deleted = row.deleted or post.deleted
        details = {"old_version": old_version, "version": row.version, "deleted": row.deleted}
        action = "post_deleted" if newly_deleted else "post_updated"
        steps.append(_Step(IntakeOutcome.UPDATED, seen, suggestion, post, row.version, {"action": action, **details}))
    return steps, known


def _open_cases(
    session: Session, steps: list[_Step], now: datetime, config: CaseConfig, attach: bool
) -> tuple[list[SuggestionRow], list[Case]]:
    """Suggestions and new cases in step order, so their ids follow it (added to the session with ``attach``)."""
    suggestions: list[SuggestionRow] = []
    cases: list[Case] = []
    for step in steps:
        if step.outcome is IntakeOutcome.DUPLICATE:
            continue
        suggestions.append(
            new_row(
                SuggestionRow,
                post_id=step.known.row.id,
                post_version=step.version,
                model_version=step.suggestion.model_version,
                data=step.suggestion.model_dump(mode="json"),
                created_at=now,
            )
        )
        if step.outcome is IntakeOutcome.UPDATED:
            continue
        excluded = step.outcome is IntakeOutcome.EXCLUDED
        detect_now = not excluded and config.detection_event == "surfaced"
        case = new_row(
            Case,
            post_id=step.known.row.id,
            state=(CaseState.EXCLUDED if excluded else CaseState.DETECTED).value,
            importance=step.suggestion.importance.label.value,
            shortened=False,
            audit_seq=0,
            opened_at=now,
            updated_at=now,
            detected_at=now if detect_now else None,
            excluded_reason=("R22: " + ", ".join(sorted({f.rule for f in step.suggestion.moderation})))
            if excluded
            else None,
        )
        if attach:  # a new case has none: no lazy loads once it is flushed (unattached, nothing reads them)
            for empty in ("clocks", "assignments", "drafts", "repeat_of"):
                set_committed_value(case, empty, [])
        cases.append(case)
        step.known.case = case
    if attach:
        session.add_all(suggestions)
        session.add_all(cases)
    return suggestions, cases


def _link_repeats(session: Session, steps: list[_Step], known: dict[str, _Known], attach: bool) -> dict[int, list[int]]:
    """R19.1: the classifier's repeat candidates become links when the earlier case exists at that point.

    The batch's own cases are looked up in memory, the rest with at most two id-only queries for the whole
    batch (loading the earlier cases as objects was a tenth of intake's CPU once most posts are repeats);
    a case opened later in the same batch does not exist yet for an earlier post, exactly as when the
    posts come one by one. With ``attach`` the new cases' ``repeat_of`` is set to match the link rows."""
    opening = [(i, s) for i, s in enumerate(steps) if s.outcome in (IntakeOutcome.OPENED, IntakeOutcome.EXCLUDED)]
    born = {s.known.case.id: i for i, s in opening if s.known.case is not None}
    case_ids: set[int] = set(born)
    by_uid: dict[str, int] = {uid: k.case.id for uid, k in known.items() if k.case is not None}
    ids = {c.case_id for _, s in opening for c in s.suggestion.repeats if c.case_id is not None} - case_ids
    uids = {c.uid for _, s in opening for c in s.suggestion.repeats} - set(by_uid)
    with session.no_autoflush:
        if ids:
            case_ids.update(session.scalars(select(Case.id).where(_one_of(session, Case.id, ids))))
        if uids:
            query = select(PostRow.uid, Case.id).join(Case, Case.post_id == PostRow.id)
            by_uid.update((uid, id_) for uid, id_ in session.execute(query.where(_one_of(session, PostRow.uid, uids))))
    linked: dict[int, list[int]] = {}
    for index, step in opening:
        case = step.known.case
        assert case is not None
        links = linked.setdefault(index, [])
        for cand in step.suggestion.repeats:
            earlier = cand.case_id if cand.case_id in case_ids else None
            if earlier is None or born.get(earlier, -1) >= index:
                earlier = by_uid.get(cand.uid)
            if earlier is not None and born.get(earlier, -1) < index and earlier != case.id and earlier not in links:
                links.append(earlier)
        if attach:  # the link rows go in by one executemany (``_insert_links``); the collection matches them
            set_committed_value(case, "repeat_of", [session.get(Case, earlier) for earlier in links])
    return linked


def _insert_links(session: Session, steps: list[_Step], linked: dict[int, list[int]]) -> None:
    rows: list[dict[str, int]] = []
    for index, earliers in linked.items():
        case = steps[index].known.case
        assert case is not None
        rows += [{"case_id": case.id, "earlier_case_id": earlier} for earlier in earliers]
    insert_rows(session, case_repeats, rows)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _assign_ids(session: Session, objects: Sequence[Any]) -> None:
    """Give new rows their ids before the INSERT.

    On PostgreSQL the ids come from the table's sequence in one query, so the rows go in by executemany
    at the end of the transaction; without ids the ORM needs INSERT ... RETURNING, whose multi-row SQL
    the driver re-parses for every batch (a fifth of intake's CPU). Elsewhere (SQLite) a flush does it."""
    if not objects:
        return
    if not _is_postgres(session):
        session.flush()
        return
    table = type(objects[0]).__tablename__
    # One row holding an array: the driver parses it in one go instead of building a row per id.
    ids = session.scalar(
        text("SELECT ARRAY(SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n) ORDER BY 1)"),
        {"t": table, "n": len(objects)},
    )
    for obj, id_ in zip(objects, ids, strict=True):
        obj.id = int(id_)


def intake_many(
    session: Session,
    classified_posts: Sequence[ClassifiedPost],
    now: datetime,
    *,
    config: CaseConfig | None = None,
) -> list[IntakeResult]:
    """Open, update or ignore each post, in order. The caller commits; events are in the same transaction."""
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now.isoformat()} given to intake; pass an aware UTC instant")
    config = config or default_config()
    postgres = _is_postgres(session)
    with session.no_autoflush:
        steps, known = _decide(session, classified_posts, now, attach=not postgres)
        if not steps:
            return []
        new_posts = [k.row for k in known.values() if k.position >= 0]
        _assign_ids(session, new_posts)
        suggestions, cases = _open_cases(session, steps, now, config, attach=not postgres)
        _assign_ids(session, suggestions)
        _assign_ids(session, cases)
        linked = _link_repeats(session, steps, known, attach=not postgres)
        due_cache: timers.DueCache = {}
        clocks: list[Clock] = []
        for step in steps:
            if step.outcome is IntakeOutcome.OPENED and config.detection_event == "surfaced":
                assert step.known.case is not None
                step.clocks = timers.build(
                    config, step.known.case, DETECTION_CLOCKS, now, cache=due_cache, attach=False
                )
                if not postgres:
                    set_committed_value(step.known.case, "clocks", list(step.clocks))
                clocks += step.clocks
        if not postgres:
            session.add_all(clocks)
            session.flush()  # ids for the events; audit records name their case, and the ORM does not
            _insert_links(session, steps, linked)  # know to insert cases first
            return _journal(session, steps, linked, now, attach=True)[0]
        # Every id is known up front here, so the batch is journaled before anything is written: new
        # cases go in already carrying their audit head (no UPDATE of every new case afterwards). New rows
        # never join the session: they are written in foreign-key order by one COPY per table, without
        # the unit of work's per-object bookkeeping (which was the larger part of intake's CPU).
        _assign_ids(session, clocks)  # their ids go into the events
        results, audits = _journal(session, steps, linked, now, attach=False)
        _assign_ids(session, audits)
        session.flush()  # changed posts and cases of earlier batches, and the queued outbox rows
        for rows in (new_posts, suggestions, cases, clocks):
            _bulk_insert(session, rows)
        _insert_links(session, steps, linked)
        _insert_audits(session, audits)
    return results


def _journal(
    session: Session, steps: list[_Step], linked: dict[int, list[int]], now: datetime, *, attach: bool
) -> tuple[list[IntakeResult], list[AuditRecord]]:
    """Audit record and events of every step, in step order (as one-by-one intake would write them);
    the records join the session only with ``attach``."""
    results: list[IntakeResult] = []
    audits: list[AuditRecord] = []
    for index, step in enumerate(steps):
        case, row = step.known.case, step.known.row
        assert case is not None
        results.append(IntakeResult(step.outcome, case.id, row.id))
        if step.outcome is IntakeOutcome.DUPLICATE:
            continue
        if step.outcome is IntakeOutcome.UPDATED:
            details = dict(step.details)
            audits.append(record(session, case, SYSTEM, details.pop("action"), now, details=details, attach=attach))
            continue
        opened: dict[str, object] = {
            "uid": step.post.uid,
            "network": step.post.network.value,
            "repeat_of": linked.get(index, []),
        }
        if step.outcome is IntakeOutcome.EXCLUDED:
            opened["moderation"] = sorted({flag.rule for flag in step.suggestion.moderation})
        audits.append(record(session, case, SYSTEM, "opened", now, to_state=case.state, details=opened,
                             event_type=CaseEventType.OPENED,
                             event_data={"clocks": timers.facts(step.clocks), "importance": case.importance}
                             if step.clocks else None, attach=attach))
    return results, audits


def _bulk_insert(session: Session, objects: Sequence[Any]) -> None:
    """New rows of one table (ids assigned) by ``insert_rows``, outside the unit of work.

    A None is written as NULL, and a column left unset gets no Python-side default: intake sets every
    column that has a default, and anything else is refused rather than stored differently."""
    if not objects:
        return
    mapper = inspect(type(objects[0]))
    table = cast(Table, mapper.local_table)
    column_of = {attr.key: attr.columns[0].key for attr in mapper.column_attrs}
    defaulted = {c.key for c in table.columns if c.default is not None or c.server_default is not None}
    rows: list[dict[str, Any]] = []
    for obj in objects:
        state = obj.__dict__
        row = {column: state[attr] for attr, column in column_of.items() if attr in state}
        for key in defaulted:
            if row.get(key) is None:
                raise ValueError(f"{table.name}.{key} is unset or None: its default would not apply")
        rows.append(row)

    def columns_of(row: dict[str, Any]) -> tuple[str, ...]:
        return tuple(row)

    for _, group in groupby(rows, key=columns_of):
        insert_rows(session, table, list(group))


def _insert_audits(session: Session, audits: Sequence[AuditRecord]) -> None:
    """Chained audit rows (built by ``journal.record``) in one go, after their cases, without the ORM."""
    if not audits:
        return
    columns = [c.key for c in _AUDIT_TABLE.columns]
    rows = [{key: getattr(audit, key) for key in columns} for audit in audits]
    if any(row["seq"] is None or row["hash"] is None for row in rows):
        raise AuditRecordNotChained("intake wrote an audit record without its chain")
    insert_rows(session, _AUDIT_TABLE, rows)


def intake(
    session: Session, classified: ClassifiedPost, now: datetime, *, config: CaseConfig | None = None
) -> IntakeResult:
    """One post: a batch of one (the caller commits)."""
    return intake_many(session, [classified], now, config=config)[0]
