"""Outbox relay API: pending rows in commit order, marking is idempotent."""

from __future__ import annotations

from sqlalchemy import select

from cases import outbox
from cases.models import OutboxMessage
from schemas import CaseEvent, CaseEventType, Topic
from tests.cases.conftest import Db
from tests.cases.helpers import local


def _event(case_id: int, n: int) -> CaseEvent:
    return CaseEvent(event_id=f"ev-{case_id}-{n}", case_id=case_id, type=CaseEventType.OPENED, at=local(2, 10))


def test_pending_returns_oldest_first_and_mark_published_hides_them(db: Db) -> None:
    with db.Session() as s:
        for n in range(5):
            ev = _event(7, n)
            outbox.put(s, Topic.CASES_EVENTS, "7", ev, ev.event_id, local(2, 10, n))
        s.commit()
    with db.Session() as s:
        rows = outbox.pending(s, limit=3)
        assert [r.event_id for r in rows] == ["ev-7-0", "ev-7-1", "ev-7-2"]
        assert all(r.topic == "cases.events" and r.key == "7" for r in rows)
        assert CaseEvent.from_bytes(rows[0].payload).event_id == "ev-7-0"
        assert outbox.mark_published(s, [r.id for r in rows], local(2, 11)) == 3
        s.commit()
    with db.Session() as s:
        assert outbox.mark_published(s, [1, 2, 3], local(2, 12)) == 0  # already published: no-op
        assert [r.event_id for r in outbox.pending(s)] == ["ev-7-3", "ev-7-4"]
        published = s.scalars(select(OutboxMessage).where(OutboxMessage.published_at.is_not(None))).all()
        assert {p.published_at for p in published} == {local(2, 11)}
        assert outbox.mark_published(s, []) == 0
