"""Reconciliation: how every post that was sent ended, counted from the workflow DB, not assumed.

The load bench and the fault drills call :func:`reconcile` after the pipeline has drained.
A post is *accounted* when it is a case (opened, excluded with its R22 reason, or linked as an
R19 repeat) or a ``posts.rejected`` entry; anything else is *lost*. Effects applied more than
once (two posts rows for one uid, two cases for one post, two "opened" audit records for one
case, two suggestion rows for one (uid, version), one event id twice in the outbox) are counted
as ``applied_twice``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.models import AuditRecord, Case, CaseState, OutboxMessage, PostRow, SuggestionRow, case_repeats

SessionFactory = Callable[[], AbstractContextManager[Session]]
CHUNK = 5_000
"""Uids per ``IN (...)`` query: keeps each statement well under PostgreSQL's parameter limit."""


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _duplicates(session: Session, stmt: Any) -> int:
    """Rows beyond the first in every group of ``stmt`` (a ``count(*)`` grouped query)."""
    return sum(int(n) - 1 for *_, n in session.execute(stmt) if int(n) > 1)


def reconcile(sessions: SessionFactory, sent: Iterable[str], rejected: Iterable[str] = ()) -> dict[str, Any]:
    """Count the fate of each uid in ``sent``; ``rejected`` are the keys found on ``posts.rejected``."""
    sent_uids = sorted(set(sent))
    rejected_set = set(rejected)
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    twice: Counter[str] = Counter()
    found: set[str] = set()
    with sessions() as session:
        for chunk in _chunks(sent_uids):
            twice["posts_rows_per_uid"] += _duplicates(
                session, select(PostRow.uid, func.count()).where(PostRow.uid.in_(chunk)).group_by(PostRow.uid))
            rows = session.execute(
                select(PostRow.uid, PostRow.id, PostRow.version, Case.id, Case.state, Case.excluded_reason)
                .join(Case, Case.post_id == PostRow.id, isouter=True)
                .where(PostRow.uid.in_(chunk))
            ).all()
            post_ids = [r[1] for r in rows]
            case_ids = [r[3] for r in rows if r[3] is not None]
            cases_per_post = Counter(r[1] for r in rows if r[3] is not None)
            twice["cases_per_post"] += sum(n - 1 for n in cases_per_post.values() if n > 1)
            linked = set(session.scalars(
                select(case_repeats.c.case_id).where(case_repeats.c.case_id.in_(case_ids)))) if case_ids else set()
            versions = Counter(p for (p,) in session.execute(
                select(SuggestionRow.post_id).where(SuggestionRow.post_id.in_(post_ids)))) if post_ids else Counter()
            if post_ids:
                twice["suggestions_per_uid_version"] += _duplicates(
                    session, select(SuggestionRow.post_id, SuggestionRow.post_version, func.count())
                    .where(SuggestionRow.post_id.in_(post_ids))
                    .group_by(SuggestionRow.post_id, SuggestionRow.post_version))
            if case_ids:
                twice["opened_per_case"] += _duplicates(
                    session, select(AuditRecord.case_id, func.count())
                    .where(AuditRecord.case_id.in_(case_ids), AuditRecord.action == "opened")
                    .group_by(AuditRecord.case_id))
            for uid, post_id, version, case_id, state, reason in rows:
                if uid in found:
                    continue
                found.add(uid)
                if case_id is None:
                    outcomes["post_without_case"] += 1
                    continue
                if state == CaseState.EXCLUDED.value:
                    outcomes["excluded"] += 1
                    reasons[reason or "без причины"] += 1
                elif case_id in linked:
                    outcomes["linked_repeat"] += 1
                else:
                    outcomes["case_opened"] += 1
                if version > 1 or versions.get(post_id, 0) > 1:
                    outcomes["updated_version"] += 1
        twice["outbox_event_ids"] = _duplicates(
            session, select(OutboxMessage.topic, OutboxMessage.event_id, func.count())
            .group_by(OutboxMessage.topic, OutboxMessage.event_id))
    rejected_only = [u for u in sent_uids if u in rejected_set and u not in found]
    outcomes["rejected"] = len(rejected_only)
    lost = [u for u in sent_uids if u not in found and u not in rejected_set]
    # a post row without a case is an inconsistency, not an outcome: it counts as lost work
    accounted = len(sent_uids) - len(lost) - outcomes["post_without_case"]
    return {
        "sent": len(sent_uids),
        "accounted": accounted,
        "lost": len(lost) + outcomes["post_without_case"],
        "lost_sample": lost[:10],
        "outcomes": dict(sorted(outcomes.items())),
        "excluded_reasons": dict(sorted(reasons.items())),
        "applied_twice": sum(twice.values()),
        "applied_twice_by_kind": {k: v for k, v in sorted(twice.items())},
    }


def rejected_keys(bus: Any, group: str, topic: str = "posts.rejected", timeout_s: float = 60.0) -> set[str]:
    """Every key on ``posts.rejected``, read with a throw-away group up to the current end offsets."""
    import time

    ends = {p: e for p, e in bus.end_offsets(topic).items() if e > 0}
    keys: set[str] = set()
    if not ends:
        return keys
    reached: dict[int, int] = {}
    consumer = bus.consumer(group, [topic])
    deadline = time.monotonic() + timeout_s
    try:
        while any(reached.get(p, 0) < e for p, e in ends.items()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic} not read to its end within {timeout_s:.0f} s")
            for r in consumer.poll(max_records=2_000, timeout_s=0.5):
                reached[r.partition] = max(reached.get(r.partition, 0), r.offset + 1)
                if r.key:
                    keys.add(r.key)
    finally:
        consumer.close()
    return keys


def reconcile_analytics(sessions: SessionFactory, client: Any, sent: Iterable[str],
                        rejected: Iterable[str] = ()) -> dict[str, Any]:
    """The analytics store against the workflow DB: every classified post and every relayed case
    event must be there (a writer that committed offsets for unwritten rows shows up as missing)."""
    expected_posts = set(sent) - set(rejected)
    have_posts = {str(r[0]) for r in client.query("SELECT DISTINCT uid FROM posts").result_rows}
    with sessions() as session:
        expected_events = set(session.scalars(
            select(OutboxMessage.event_id).where(OutboxMessage.topic == "cases.events",
                                                 OutboxMessage.published_at.is_not(None))))
    have_events = {str(r[0]) for r in client.query("SELECT DISTINCT event_id FROM case_events").result_rows}
    return {
        "posts_expected": len(expected_posts),
        "posts_missing": len(expected_posts - have_posts),
        "events_expected": len(expected_events),
        "events_missing": len(expected_events - have_events),
    }
