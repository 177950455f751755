"""The outbox as intake uses it: queued rows share the caller's transaction; one relay at a time on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases import outbox
from cases.models import OutboxMessage
from schemas import CaseEvent, CaseEventType, Topic
from tests.cases.conftest import Db
from tests.cases.helpers import local


def _put(session: Session, case_id: int, n: int) -> None:
    ev = CaseEvent(event_id=f"ev-{case_id}-{n}", case_id=case_id, type=CaseEventType.OPENED, at=local(2, 10))
    outbox.put(session, Topic.CASES_EVENTS, str(case_id), ev, ev.event_id, local(2, 10))


def _count(db: Db) -> int:
    with db.Session() as s:
        return int(s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def test_queued_rows_are_seen_by_the_same_transaction_and_vanish_with_its_rollback(db: Db) -> None:
    with db.Session() as s:
        for n in range(3):
            _put(s, 5, n)
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 3  # written before the query
        s.rollback()
    assert _count(db) == 0
    with db.Session() as s:
        _put(s, 5, 9)
    assert _count(db) == 0  # closed without commit: the queued row is gone, not carried to the next session
    with db.Session() as s:
        _put(s, 5, 10)
        s.commit()
        assert [r.event_id for r in outbox.pending(s)] == ["ev-5-10"]


def test_put_order_is_id_order_per_key(db: Db) -> None:
    with db.Session() as s:
        for n in range(6):
            _put(s, 1 + n % 2, n)
        s.commit()
    with db.Session() as s:
        rows = outbox.pending(s)
    assert [r.event_id for r in rows] == [f"ev-{1 + n % 2}-{n}" for n in range(6)]
    assert [r.id for r in rows] == sorted(r.id for r in rows)


def test_only_one_relay_reads_pending_rows_at_a_time_on_postgres(db: Db) -> None:
    with db.Session() as s:
        for n in range(4):
            _put(s, 3, n)
        s.commit()
    with db.Session() as first, db.Session() as second:
        rows = outbox.pending(first)
        assert len(rows) == 4
        # SQLite has a single writer anyway; on PostgreSQL the advisory lock keeps the second relay out.
        expected_second = 0 if db.backend == "postgres" else 4
        assert len(outbox.pending(second)) == expected_second
        second.rollback()
        outbox.mark_published(first, [r.id for r in rows[:2]])
        first.commit()
        assert [r.event_id for r in outbox.pending(second)] == ["ev-3-2", "ev-3-3"]
