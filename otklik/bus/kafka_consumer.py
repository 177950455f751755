"""A Kafka group consumer with bounded calls and a watchdog that rebuilds it when it stalls.

Why: kafka-python's ``commit()`` and ``committed()`` wait without end by default, and a
consumer whose group coordinator was lost during an outage can stay without an
assignment, or keep an assignment whose fetches never resume, while records wait.
Such a consumer is replaced by a fresh one (with a log line); it resumes from the
group's committed offsets, so records polled but not committed come again (at least
once; the handlers are idempotent).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from kafka import KafkaConsumer
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import MemberState, OffsetAndMetadata, TopicPartition

from otklik.bus.base import BusError, Consumer, Record, next_positions, uncommitted
from otklik.bus.kafka_limits import DEFAULT_LIMITS, KafkaLimits

log = logging.getLogger(__name__)

SESSION_TIMEOUT_MS = 6_000
HEARTBEAT_MS = 1_000


class KafkaBusConsumer(Consumer):
    def __init__(self, bootstrap: list[str], client_id: str, group: str, topics: list[str], *,
                 from_beginning: bool, limits: KafkaLimits = DEFAULT_LIMITS) -> None:
        self._config: dict[str, Any] = {
            "bootstrap_servers": bootstrap,
            "client_id": client_id,
            "group_id": group,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest" if from_beginning else "latest",
            "session_timeout_ms": SESSION_TIMEOUT_MS,
            "heartbeat_interval_ms": HEARTBEAT_MS,
            "max_poll_records": 2_000,
            "fetch_min_bytes": limits.fetch_min_bytes,
            "fetch_max_wait_ms": limits.fetch_max_wait_ms,
            "request_timeout_ms": limits.request_timeout_ms,
            "bootstrap_timeout_ms": limits.bootstrap_timeout_ms,
            "reconnect_backoff_max_ms": limits.reconnect_backoff_max_ms,
            "retry_backoff_ms": limits.retry_backoff_ms,
        }
        self._topics = topics
        self._limits = limits
        self._polled: list[Record] = []
        self.rebuilds = 0
        self._unsettled_before = False
        self._consumer: KafkaConsumer | None = self._build()
        self._progress_at = time.monotonic()  # last time records came, or the watchdog found none waiting

    def _build(self) -> KafkaConsumer:
        try:
            consumer = KafkaConsumer(**self._config)
        except KafkaError as exc:
            raise BusError(f"Kafka consumer cannot start: {exc}") from exc
        consumer.subscribe(self._topics)
        return consumer

    def _client(self) -> KafkaConsumer:
        if self._consumer is None:
            raise BusError(f"Kafka consumer {self._config['group_id']} is not connected (the broker is away)")
        return self._consumer

    def poll(self, max_records: int = 500, timeout_s: float = 1.0) -> list[Record]:
        if self._consumer is None and not self._reconnect():
            time.sleep(timeout_s)
            return []
        try:
            batches = self._client().poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        except KafkaError as exc:
            self._rebuild(f"poll failed: {exc}")
            return []
        records = [
            Record(r.topic, r.partition, r.offset, r.key.decode("utf-8") if r.key is not None else None,
                   r.value, r.timestamp)
            for batch in batches.values()
            for r in batch
        ]
        now = time.monotonic()
        if records:
            self._progress_at = now
        elif now - self._progress_at >= self._limits.stall_s:
            self._check_stall(now)
        self._polled.extend(records)
        return records

    def _check_stall(self, now: float) -> None:
        """Nothing came for ``stall_s``: fine if nothing waits; rebuild if unassigned or stuck behind records."""
        self._progress_at = now
        consumer = self._client()
        assigned = consumer.assignment()
        if not assigned:
            # A stable member may rightly hold nothing (more members than partitions), and a rebalance
            # may take a while: only a member outside a stable group at two checks in a row is rebuilt.
            unsettled = consumer.group_metadata().state != MemberState.STABLE
            if unsettled and self._unsettled_before:
                self._rebuild(f"not in a stable group and no partition assigned for"
                              f" {2 * self._limits.stall_s:.0f} s")
            else:
                self._unsettled_before = unsettled
            return
        self._unsettled_before = False
        try:
            ends = consumer.end_offsets(list(assigned), timeout_ms=self._limits.request_timeout_ms)
            behind = [tp for tp, end in ends.items() if end > (consumer.position(tp, timeout_ms=1_000) or 0)]
        except KafkaError as exc:
            log.warning("Kafka consumer %s: cannot check its progress (%s)", self._config["group_id"], exc)
            return
        if behind:
            self._rebuild(f"{len(behind)} partition(s) have records but nothing came for"
                          f" {self._limits.stall_s:.0f} s")

    def _rebuild(self, why: str) -> None:
        log.warning("Kafka consumer %s: %s; rebuilding it (uncommitted records will be redelivered)",
                    self._config["group_id"], why)
        self._close_quietly()
        self._consumer = None
        self._unsettled_before = False
        self._polled.clear()
        self._reconnect()

    def _reconnect(self) -> bool:
        """A fresh client; when the broker is still away the next poll tries again."""
        try:
            self._consumer = self._build()
        except BusError as exc:
            log.warning("Kafka consumer %s: %s", self._config["group_id"], exc)
            return False
        self.rebuilds += 1
        self._progress_at = time.monotonic()
        return True

    def commit(self, records: Sequence[Record] | None = None) -> None:
        """Retry a commit the broker could not take (outage) for ``commit_budget_s``, then raise."""
        positions = next_positions(self._polled if records is None else records)
        if not positions:
            return
        offsets = {TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in positions.items()}
        deadline = time.monotonic() + self._limits.commit_budget_s
        while True:
            try:
                self._client().commit(offsets, timeout_ms=self._limits.request_timeout_ms)
                break
            except CommitFailedError as exc:  # the partitions moved to another member: it redelivers them
                raise BusError(f"offset commit refused after a rebalance (the batch will be redelivered): {exc}"
                               ) from exc
            except KafkaError as exc:
                if time.monotonic() >= deadline:
                    raise BusError(f"offset commit failed for {self._limits.commit_budget_s:.0f} s"
                                   f" (the batch will be redelivered): {exc}") from exc
                log.warning("Kafka consumer %s: offset commit failed (%s); retrying", self._config["group_id"], exc)
                time.sleep(1.0)
        self._polled = [] if records is None else uncommitted(self._polled, positions)

    def seek(self, topic: str, partition: int, offset: int) -> None:
        tp = TopicPartition(topic, partition)
        consumer = self._client()
        if tp not in consumer.assignment():
            self._wait_for_assignment(consumer)
        if tp not in consumer.assignment():
            raise BusError(f"{topic}[{partition}] is not assigned to this consumer")
        consumer.seek(tp, offset)

    @staticmethod
    def _wait_for_assignment(consumer: KafkaConsumer) -> None:
        for _ in range(50):
            if consumer.assignment():
                return
            consumer.poll(timeout_ms=200, max_records=1, update_offsets=False)

    def committed(self, topic: str, partition: int) -> int | None:
        try:
            value = self._client().committed(TopicPartition(topic, partition),
                                             timeout_ms=self._limits.request_timeout_ms)
        except KafkaError as exc:
            raise BusError(f"cannot read the committed offset of {topic}[{partition}]: {exc}") from exc
        return None if value is None else int(value)

    def _close_quietly(self) -> None:
        if self._consumer is None:
            return
        try:
            self._consumer.close(autocommit=False, timeout_ms=int(self._limits.close_timeout_s * 1000))
        except Exception as exc:  # a broken client must not keep the stage from going on
            log.warning("Kafka consumer %s did not close cleanly: %s", self._config["group_id"], exc)

    def close(self) -> None:
        self._close_quietly()
