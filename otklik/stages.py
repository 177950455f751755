"""Stage handlers: each turns a batch of bus records into effects and outputs.

A handler is the only place a stage meets the bus; the stage packages themselves
stay pure (they see ``schemas`` objects, never records). Bad records are never
dropped: they go to ``posts.rejected`` with their error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from otklik.bus import Producer, Record
from otklik.bus.processing import Output
from schemas import CaseEvent, ClassifiedPost, Post, PostRejection
from schemas.topics import Topic

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _rejection(record: Record, error: str) -> Output:
    rejection = PostRejection(network=record.key.split(":", 1)[0] if record.key else "unknown",
                              source=f"{record.topic}[{record.partition}]@{record.offset}", error=error,
                              raw=record.value[:65_536].decode("utf-8", "replace"))
    return Output(Topic.POSTS_REJECTED, record.key, rejection.to_bytes())


@dataclass
class Counters:
    """What the demo reports and the load bench reconciles."""

    values: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.values[name] = self.values.get(name, 0) + n


def classify_handler(classifier: Any, counters: Counters) -> Callable[[Sequence[Record]], list[Output]]:
    """posts.raw -> posts.classified; the suggestion is computed for the whole batch at once."""

    def handle(records: Sequence[Record]) -> list[Output]:
        posts: list[Post] = []
        outputs: list[Output] = []
        for record in records:
            try:
                posts.append(Post.from_bytes(record.value))
            except (ValidationError, ValueError) as exc:
                outputs.append(_rejection(record, f"invalid post: {exc}"))
                counters.add("rejected")
        for post, suggestion in zip(posts, classifier.suggest_many(posts), strict=True):
            message = ClassifiedPost(post=post, suggestion=suggestion)
            outputs.append(Output(Topic.POSTS_CLASSIFIED, post.uid, message.to_bytes()))
        counters.add("classified", len(posts))
        return outputs

    return handle


def intake_handler(session_factory: Any, counters: Counters, now: Clock = utcnow,
                   detection_event: str = "surfaced") -> Callable[[Sequence[Record]], list[Output]]:
    """posts.classified -> cases (workflow DB). Idempotent on (uid, version) inside ``intake``."""
    from cases.intake import intake

    def handle(records: Sequence[Record]) -> list[Output]:
        outputs: list[Output] = []
        with session_factory() as session:
            for record in records:
                try:
                    classified = ClassifiedPost.from_bytes(record.value)
                except (ValidationError, ValueError) as exc:
                    outputs.append(_rejection(record, f"invalid classified post: {exc}"))
                    counters.add("rejected")
                    continue
                result = intake(session, classified, now())
                counters.add(f"intake_{result.outcome}")
            session.commit()
        return outputs

    return handle


def relay_outbox(session_factory: Any, producer: Producer, limit: int = 1000) -> int:
    """Move committed outbox rows to the bus; marking happens only after the flush (at least once)."""
    from cases.outbox import mark_published, pending

    moved = 0
    while True:
        with session_factory() as session:
            rows = pending(session, limit)
            if not rows:
                return moved
            for row in rows:
                producer.publish(row.topic, row.key, row.payload if isinstance(row.payload, bytes)
                                 else str(row.payload).encode("utf-8"))
            producer.flush()
            mark_published(session, [row.id for row in rows])
            session.commit()
            moved += len(rows)


def analytics_handler(store: Any, counters: Counters) -> Callable[[Sequence[Record]], list[Output]]:
    """posts.classified and cases.events -> ClickHouse rows (deduplicated by key in the tables)."""

    def handle(records: Sequence[Record]) -> list[Output]:
        post_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        for record in records:
            if record.topic == Topic.POSTS_CLASSIFIED:
                post_rows.append(post_row(ClassifiedPost.from_bytes(record.value)))
            elif record.topic == Topic.CASES_EVENTS:
                event_rows.append(event_row(CaseEvent.from_bytes(record.value)))
        written = store.insert_rows("posts", post_rows) + store.insert_rows("case_events", event_rows)
        counters.add("analytics_rows", written)
        return []

    return handle


def post_row(message: ClassifiedPost) -> dict[str, Any]:
    post, suggestion = message.post, message.suggestion
    top = suggestion.topics[0] if suggestion.topics else None
    return {
        "uid": post.uid, "version": post.version, "network": str(post.network),
        "created_at": post.created_at, "collected_at": post.collected_at,
        "topic": top.topic if top else "", "topic_group": (top.group or "") if top else "",
        "topic_confidence": top.confidence if top else 0.0,
        "municipality": suggestion.location.municipality or "",
        "importance": str(suggestion.importance.label), "excluded": int(suggestion.excluded),
        "model_version": suggestion.model_version,
    }


def event_row(event: CaseEvent) -> dict[str, Any]:
    import json

    return {
        "event_id": event.event_id, "case_id": event.case_id, "type": str(event.type), "at": event.at,
        "actor": event.actor or "", "from_state": event.from_state or "", "to_state": event.to_state or "",
        "agency": event.agency or "", "clock": event.clock or "", "due_at": event.due_at,
        "data": json.dumps(event.data, ensure_ascii=False, default=str),
    }
