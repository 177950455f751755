"""Transactional outbox: events are rows written with the state change; a relay publishes them later."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.models import OutboxMessage
from schemas import Message


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
    session.add(
        OutboxMessage(event_id=event_id, topic=str(topic), key=key, payload=message.model_dump_json(), created_at=now)
    )


def pending(session: Session, limit: int = 500) -> list[OutboxRow]:
    """Oldest unpublished first, so per-key order on the bus matches commit order."""
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.published_at.is_(None)).order_by(OutboxMessage.id).limit(limit)
    )
    return [OutboxRow(r.id, r.event_id, r.topic, r.key, r.payload.encode("utf-8"), r.created_at) for r in rows]


def mark_published(session: Session, ids: Iterable[int], now: datetime | None = None) -> int:
    """Mark rows sent after the bus acknowledged them; returns how many were still pending."""
    id_list = list(ids)
    if not id_list:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(id_list), OutboxMessage.published_at.is_(None))
        .values(published_at=now or datetime.now(UTC))
    )
    return int(getattr(result, "rowcount", 0) or 0)
