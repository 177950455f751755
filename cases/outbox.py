"""Transactional outbox: events are rows written with the state change; a relay publishes them later.

``put`` does not build an ORM object per event (intake queues four per case, and the ORM's per-object
bookkeeping and RETURNING were a quarter of its CPU): rows wait in the session's ``info`` and are written
with one statement (COPY on PostgreSQL, see ``insert_rows``), in ``put`` order, just before the session
flushes, executes an ORM query or commits. They are in the caller's transaction either way, so a rollback
takes them away too (savepoints are not tracked: nothing here uses them).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Table, any_, bindparam, event, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
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
    """Insert the rows ``put`` queued in this session (one statement); returns how many."""
    queued: list[dict[str, Any]] | None = session.info.get(_QUEUED)
    if not queued:
        return 0
    session.info[_QUEUED] = []
    insert_rows(session, _TABLE, queued)
    return len(queued)


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Plain INSERT of many rows with the same keys, in order, in the session's transaction.

    On PostgreSQL by COPY: no statement per row on either side (the per-row INSERTs of an executemany
    were a large part of the server's and the driver's work per batch). Values go through the columns'
    own bind processing (UTC instants, JSON), so the rows are what the executemany would have written;
    defaults, constraints and triggers apply as for INSERT. Elsewhere one executemany."""
    if not rows:
        return
    keys = list(rows[0])
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError(f"rows for {table.name} must all have the keys {keys}")
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    columns = [table.c[key] for key in keys]
    dialect = connection.dialect
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    statement = f"COPY {dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN"
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(tuple(row[k] if p is None else p(row[k]) for k, p in zip(keys, processors, strict=True)))
    except dialect.loaded_dbapi.Error as exc:  # callers handle SQLAlchemy's errors (IntegrityError, ...)
        raise DBAPIError.instance(statement, None, exc, dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()


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
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter: the same SQL text for every batch, so it is parsed and planned once.
        which = OutboxMessage.id == any_(bindparam(None, id_list, type_=ARRAY(BigInteger)))
    else:
        which = OutboxMessage.id.in_(id_list)
    result = session.execute(
        update(OutboxMessage)
        .where(which, OutboxMessage.published_at.is_(None))
        .values(published_at=now or datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
