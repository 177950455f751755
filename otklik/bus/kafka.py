"""The Kafka backend (kafka-python 3.x): acks=all, idempotent producer, manual commits."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata, TopicPartition

from otklik.bus.base import Bus, BusError, Consumer, Producer, Record, next_positions

SESSION_TIMEOUT_MS = 6_000
HEARTBEAT_MS = 1_000


class KafkaBus(Bus):
    def __init__(self, bootstrap: str, *, partitions: int = 6, replication: int = 1, client_id: str = "otklik") -> None:
        self.bootstrap = bootstrap.split(",")
        self.default_partitions = partitions
        self.replication = replication
        self.client_id = client_id
        self._admin: KafkaAdminClient | None = None
        self._meta: KafkaConsumer | None = None
        self._lock = threading.Lock()

    def _admin_client(self) -> KafkaAdminClient:
        if self._admin is None:
            try:
                self._admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-admin")
            except KafkaError as exc:
                raise BusError(f"Kafka at {','.join(self.bootstrap)} is not reachable: {exc}") from exc
        return self._admin

    def _metadata(self) -> KafkaConsumer:
        if self._meta is None:
            self._meta = KafkaConsumer(bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-meta",
                                       enable_auto_commit=False)
        return self._meta

    def ensure_topics(self, topics: Iterable[str]) -> None:
        admin = self._admin_client()
        existing = set(admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if not missing:
            return
        new = [NewTopic(name=t, num_partitions=self.default_partitions, replication_factor=self.replication)
               for t in missing]
        try:
            admin.create_topics(new, timeout_ms=30_000)
        except TopicAlreadyExistsError:
            pass
        except KafkaError as exc:
            raise BusError(f"cannot create topics {missing}: {exc}") from exc

    def partitions(self, topic: str) -> int:
        with self._lock:
            parts = self._metadata().partitions_for_topic(topic)
        if not parts:
            raise BusError(f"topic {topic!r} does not exist on Kafka {','.join(self.bootstrap)}")
        return len(parts)

    def producer(self) -> Producer:
        return KafkaBusProducer(self)

    def consumer(self, group: str, topics: Sequence[str], *, from_beginning: bool = True) -> Consumer:
        return KafkaBusConsumer(self, group, list(topics), from_beginning=from_beginning)

    def end_offsets(self, topic: str) -> dict[int, int]:
        parts = self.partitions(topic)
        tps = [TopicPartition(topic, p) for p in range(parts)]
        with self._lock:
            ends = self._metadata().end_offsets(tps)
        return {tp.partition: int(off) for tp, off in ends.items()}

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()
        if self._meta is not None:
            self._meta.close()


class KafkaBusProducer(Producer):
    def __init__(self, bus: KafkaBus) -> None:
        try:
            self._producer = KafkaProducer(
                bootstrap_servers=bus.bootstrap,
                client_id=bus.client_id,
                acks="all",
                enable_idempotence=True,
                linger_ms=5,
                batch_size=256 * 1024,
                max_request_size=8 * 1024 * 1024,
            )
        except KafkaError as exc:
            raise BusError(f"Kafka producer cannot start: {exc}") from exc
        self._errors: list[BaseException] = []

    def _failed(self, exc: BaseException) -> None:
        self._errors.append(exc)

    def publish(self, topic: str, key: str | None, value: bytes) -> None:
        future = self._producer.send(topic, key=key.encode("utf-8") if key is not None else None, value=value)
        future.add_errback(self._failed)

    def flush(self) -> None:
        self._producer.flush()
        if self._errors:
            errors, self._errors = self._errors, []
            raise BusError(f"{len(errors)} message(s) were not acknowledged by Kafka: {errors[0]}")

    def close(self) -> None:
        self.flush()
        self._producer.close()


class KafkaBusConsumer(Consumer):
    def __init__(self, bus: KafkaBus, group: str, topics: list[str], *, from_beginning: bool) -> None:
        config: dict[str, Any] = {
            "bootstrap_servers": bus.bootstrap,
            "client_id": bus.client_id,
            "group_id": group,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest" if from_beginning else "latest",
            "session_timeout_ms": SESSION_TIMEOUT_MS,
            "heartbeat_interval_ms": HEARTBEAT_MS,
            "max_poll_records": 2_000,
            "fetch_max_wait_ms": 100,
        }
        try:
            self._consumer = KafkaConsumer(**config)
        except KafkaError as exc:
            raise BusError(f"Kafka consumer cannot start: {exc}") from exc
        self._consumer.subscribe(topics)
        self._polled: list[Record] = []

    def poll(self, max_records: int = 500, timeout_s: float = 1.0) -> list[Record]:
        batches = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        records = [
            Record(r.topic, r.partition, r.offset, r.key.decode("utf-8") if r.key is not None else None,
                   r.value, r.timestamp)
            for batch in batches.values()
            for r in batch
        ]
        self._polled.extend(records)
        return records

    def commit(self, records: Sequence[Record] | None = None) -> None:
        positions = next_positions(self._polled if records is None else records)
        if not positions:
            return
        offsets = {TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in positions.items()}
        try:
            self._consumer.commit(offsets)
        except KafkaError as exc:
            raise BusError(f"offset commit failed (the batch will be redelivered): {exc}") from exc
        if records is None:
            self._polled.clear()

    def seek(self, topic: str, partition: int, offset: int) -> None:
        tp = TopicPartition(topic, partition)
        if tp not in self._consumer.assignment():
            self._wait_for_assignment()
        if tp not in self._consumer.assignment():
            raise BusError(f"{topic}[{partition}] is not assigned to this consumer")
        self._consumer.seek(tp, offset)

    def _wait_for_assignment(self) -> None:
        for _ in range(50):
            if self._consumer.assignment():
                return
            self._consumer.poll(timeout_ms=200, max_records=1, update_offsets=False)

    def committed(self, topic: str, partition: int) -> int | None:
        value = self._consumer.committed(TopicPartition(topic, partition))
        return None if value is None else int(value)

    def close(self) -> None:
        self._consumer.close()
