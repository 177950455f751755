"""Transactional outbox: events are rows written with the state change; a relay publishes them later.

``put`` does not build an ORM object per event (intake queues four per case, and the ORM's per-object
bookkeeping and RETURNING were a quarter of its CPU): rows wait in the session's ``info`` and are written
with one executemany, in ``put`` order, just before the session flushes, executes an ORM query or
commits. They are in the caller's transaction either way, so a rollback takes them away too (savepoints
are not tracked: nothing here uses them).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, event, func, insert, select, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from cases.models import OutboxMessage
from schemas import Message

_QUEUED = "otklik.outbox.queued"
# One relay at a time per database (see ``pending``); an arbitrary constant shared by every process.
RELAY_LOCK_KEY = 0x6F75_7462_6F78
_TABLE = cast(Table, OutboxMessage.__table__)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    event_id: str
    topic: str
    key: str
    payload: bytes
    created_at: datetime


def new_event_id() -> str:
    return uuid.uuid4().hex


def put(session: Session, topic: str, key: str, message: Message, event_id: str, now: datetime) -> None:
    """Queue ``message``; it becomes visible to the relay only if the caller's transaction commits."""
    queued: list[dict[str, Any]] = session.info.setdefault(_QUEUED, [])
    queued.append(
        {"event_id": event_id, "topic": str(topic), "key": key, "payload": message.model_dump_json(), "created_at": now}
    )


def write_queued(session: Session) -> int:
    """Insert the rows ``put`` queued in this session (one executemany); returns how many."""
    queued: list[dict[str, Any]] | None = session.info.get(_QUEUED)
    if not queued:
        return 0
    session.info[_QUEUED] = []
    session.connection().execute(insert(_TABLE), queued)
    return len(queued)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    write_queued(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    write_queued(session)


@event.listens_for(Session, "do_orm_execute")
def _before_query(state: ORMExecuteState) -> None:
    if state.session.info.get(_QUEUED):
        write_queued(state.session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    """Queued but never written (rollback, close): they belonged to that transaction and go with it."""
    if transaction.parent is None and session.info.get(_QUEUED):
        session.info[_QUEUED] = []


def pending(session: Session, limit: int = 500) -> list[OutboxRow]:
    """Oldest unpublished first, so per-key order on the bus matches commit order.

    On PostgreSQL the caller's transaction first takes an advisory lock: every intake process runs a
    relay, and two relays reading the same rows would publish them twice and could interleave one key's
    events. ``FOR UPDATE SKIP LOCKED`` is not used: it would let a second relay publish a later event of
    a key while the first still holds an earlier one. A relay that does not get the lock gets nothing;
    the holder drains the table.
    """
    if session.get_bind().dialect.name == "postgresql":
        got = session.scalar(select(func.pg_try_advisory_xact_lock(RELAY_LOCK_KEY)))
        if not got:
            return []
    t = _TABLE
    rows = session.execute(
        select(t.c.id, t.c.event_id, t.c.topic, t.c.key, t.c.payload, t.c.created_at)
        .where(t.c.published_at.is_(None))
        .order_by(t.c.id)
        .limit(limit)
    )
    return [OutboxRow(r[0], r[1], r[2], r[3], r[4].encode("utf-8"), r[5]) for r in rows]


def mark_published(session: Session, ids: Iterable[int], now: datetime | None = None) -> int:
    """Mark rows sent after the bus acknowledged them; returns how many were still pending."""
    id_list = list(ids)
    if not id_list:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(id_list), OutboxMessage.published_at.is_(None))
        .values(published_at=now or datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
