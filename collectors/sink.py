"""The bus-backed :class:`PostSink`: posts.raw keyed by uid, posts.rejected, alerts.

It takes any object with the bus contract (``ensure_topics``, ``producer``, ``consumer``,
``end_offsets``) so this package needs no import of the shell that owns the bus.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from schemas import Alert, Post, PostRejection, Topic


class BusSink:
    """``prefix`` namespaces the topics (tests on a shared broker); production leaves it empty."""

    def __init__(self, bus: Any, *, prefix: str = "") -> None:
        self.bus = bus
        self.raw_topic = prefix + Topic.POSTS_RAW.value
        self.rejected_topic = prefix + Topic.POSTS_REJECTED.value
        self.alerts_topic = prefix + Topic.ALERTS.value
        bus.ensure_topics([self.raw_topic, self.rejected_topic, self.alerts_topic])
        self.producer = bus.producer()

    def emit(self, post: Post) -> None:
        self.producer.publish(self.raw_topic, post.uid, post.to_bytes())

    def reject(self, rejection: PostRejection) -> None:
        self.producer.publish(self.rejected_topic, rejection.source, rejection.to_bytes())

    def alert(self, alert: Alert) -> None:
        self.producer.publish(self.alerts_topic, alert.alert_id, alert.to_bytes())

    def flush(self) -> None:
        self.producer.flush()

    def mark(self) -> dict[str, int]:
        return {str(p): o for p, o in self.bus.end_offsets(self.raw_topic).items()}

    def published_since(self, mark: Any, uids: set[str]) -> set[tuple[str, int]]:
        """Read posts.raw from ``mark`` to its current end; a throwaway group commits nothing."""
        topic = self.raw_topic
        ends = self.bus.end_offsets(topic)
        start = {int(p): int(o) for p, o in (mark or {}).items()}
        remaining = {p: e for p, e in ends.items() if e > start.get(p, 0)}
        found: set[tuple[str, int]] = set()
        if not remaining:
            return found
        consumer = self.bus.consumer(f"collectors-recovery-{uuid.uuid4().hex}", [topic])
        try:
            for partition in remaining:
                consumer.seek(topic, partition, start.get(partition, 0))
            idle = 0
            while remaining and idle < 30:
                records = consumer.poll(max_records=1000, timeout_s=1.0)
                idle = 0 if records else idle + 1
                for record in records:
                    if record.offset + 1 >= remaining.get(record.partition, 0):
                        remaining.pop(record.partition, None)
                    if record.key in uids:
                        value = json.loads(record.value)
                        found.add((value["uid"], int(value.get("version", 1))))
        finally:
            consumer.close()
        return found
