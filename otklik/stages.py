"""Stage handlers: each turns a batch of bus records into effects and outputs.

A handler is the only place a stage meets the bus; the stage packages themselves
stay pure (they see ``schemas`` objects, never records). Bad records are never
dropped: they go to ``posts.rejected`` with their error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from otklik.bus import Producer, Record
from otklik.bus.processing import Output
from schemas import ClassifiedPost, Post, PostRejection, ReplyPublished
from schemas.topics import Topic

Clock = Callable[[], datetime]
M = TypeVar("M", Post, ClassifiedPost)


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


def _parse(records: Sequence[Record], model: type[M], what: str, counters: Counters) -> tuple[list[M], list[Output]]:
    """Decode a batch; a record that does not parse goes to ``posts.rejected`` with its error, never dropped."""
    parsed: list[M] = []
    rejected: list[Output] = []
    for record in records:
        try:
            parsed.append(model.from_bytes(record.value))
        except (ValidationError, ValueError) as exc:
            rejected.append(_rejection(record, f"{what}: {exc}"))
            counters.add("rejected")
    return parsed, rejected


def classify_handler(classifier: Any, counters: Counters) -> Callable[[Sequence[Record]], list[Output]]:
    """posts.raw -> posts.classified; the suggestion is computed for the whole batch at once."""

    def handle(records: Sequence[Record]) -> list[Output]:
        posts, outputs = _parse(records, Post, "invalid post", counters)
        for post, suggestion in zip(posts, classifier.suggest_many(posts), strict=True):
            message = ClassifiedPost(post=post, suggestion=suggestion)
            outputs.append(Output(Topic.POSTS_CLASSIFIED, post.uid, message.to_bytes()))
        counters.add("classified", len(posts))
        return outputs

    return handle


def intake_handler(session_factory: Any, counters: Counters, config: Any,
                   now: Clock = utcnow) -> Callable[[Sequence[Record]], list[Output]]:
    """posts.classified -> cases (workflow DB), one transaction and a few multi-row statements per batch;
    idempotent on (uid, version)."""
    from cases.intake import intake_many

    def handle(records: Sequence[Record]) -> list[Output]:
        posts, outputs = _parse(records, ClassifiedPost, "invalid classified post", counters)
        with session_factory() as session:
            results = intake_many(session, posts, now(), config=config)
            session.commit()
        for result in results:
            counters.add(f"intake_{result.outcome}")
        return outputs

    return handle


def published_handler(session_factory: Any, counters: Counters,
                      now: Clock = utcnow) -> Callable[[Sequence[Record]], list[Output]]:
    """replies.published -> the case (R16 time and URL, R27 registry); idempotent per reply."""
    from cases.publishing import apply_published

    def handle(records: Sequence[Record]) -> list[Output]:
        with session_factory() as session:
            for record in records:
                apply_published(session, ReplyPublished.from_bytes(record.value), now())
            session.commit()
        counters.add("replies_recorded", len(records))
        return []

    return handle


def publisher_handler(publisher: Any, counters: Counters) -> Callable[[Sequence[Record]], list[Output]]:
    """replies.approved -> the network (R16) -> replies.published (+ alerts on permanent failure)."""
    from publisher.consumer import handle_values

    def handle(records: Sequence[Record]) -> list[Output]:
        outputs = [Output(t, k, v) for t, k, v in handle_values(publisher, [r.value for r in records])]
        counters.add("replies_handled", len(records))
        return outputs

    return handle


def alerts_handler(notifier: Any, counters: Counters) -> Callable[[Sequence[Record]], list[Output]]:
    """alerts -> e-mail / Telegram / webhook per recipient (R24, R26); the ledger deduplicates."""
    from sla_tracker.alerts.consumer import handle_values

    def handle(records: Sequence[Record]) -> list[Output]:
        handle_values(notifier, [r.value for r in records])
        counters.add("alerts_handled", len(records))
        return []

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


def analytics_handler(writer: Any, counters: Counters) -> Callable[[Sequence[Record]], list[Output]]:
    """posts.classified and cases.events -> ClickHouse rows, flushed before the offsets commit."""
    from sla_tracker.analytics.consumer import handle_values

    def handle(records: Sequence[Record]) -> list[Output]:
        counters.add("analytics_rows", handle_values(writer, [(r.topic, r.value) for r in records]))
        return []

    return handle
