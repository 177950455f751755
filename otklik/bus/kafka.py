"""The Kafka backend (kafka-python 3.x): acks=all, idempotent producer, manual commits, bounded waits.

The producer and the consumer live in ``kafka_producer`` / ``kafka_consumer``; this module
holds the bus itself (topics, partitions, end offsets) and builds them with one set of
:class:`~otklik.bus.kafka_limits.KafkaLimits`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence

from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import TopicPartition

from otklik.bus.base import Bus, BusError, Consumer, Producer
from otklik.bus.kafka_consumer import HEARTBEAT_MS, SESSION_TIMEOUT_MS, KafkaBusConsumer
from otklik.bus.kafka_limits import DEFAULT_LIMITS, KafkaLimits
from otklik.bus.kafka_producer import KafkaBusProducer

__all__ = ["HEARTBEAT_MS", "SESSION_TIMEOUT_MS", "KafkaBus", "KafkaBusConsumer", "KafkaBusProducer", "KafkaLimits"]

PARTITIONS_TTL_S = 300.0  # as long as kafka-python keeps its own metadata (metadata_max_age_ms)


class KafkaBus(Bus):
    def __init__(self, bootstrap: str, *, partitions: int = 6, replication: int = 1, client_id: str = "otklik",
                 limits: KafkaLimits = DEFAULT_LIMITS) -> None:
        self.bootstrap = bootstrap.split(",")
        self.default_partitions = partitions
        self.replication = replication
        self.client_id = client_id
        self.limits = limits
        self._admin: KafkaAdminClient | None = None
        self._meta: KafkaConsumer | None = None
        self._partitions: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _where(self) -> str:
        return ",".join(self.bootstrap)

    def _admin_client(self) -> KafkaAdminClient:
        if self._admin is None:
            try:
                self._admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-admin",
                                               request_timeout_ms=self.limits.request_timeout_ms,
                                               bootstrap_timeout_ms=self.limits.bootstrap_timeout_ms)
            except KafkaError as exc:
                raise BusError(f"Kafka at {self._where()} is not reachable: {exc}") from exc
        return self._admin

    def _metadata(self) -> KafkaConsumer:
        if self._meta is None:
            try:
                self._meta = KafkaConsumer(bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-meta",
                                           enable_auto_commit=False, request_timeout_ms=self.limits.request_timeout_ms,
                                           bootstrap_timeout_ms=self.limits.bootstrap_timeout_ms,
                                           reconnect_backoff_max_ms=self.limits.reconnect_backoff_max_ms)
            except KafkaError as exc:
                raise BusError(f"Kafka at {self._where()} is not reachable: {exc}") from exc
        return self._meta

    def ensure_topics(self, topics: Iterable[str]) -> None:
        try:
            admin = self._admin_client()
            existing = set(admin.list_topics())
        except KafkaError as exc:
            raise BusError(f"cannot list the topics of Kafka at {self._where()}: {exc}") from exc
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
        """From a cache (partition counts only grow, and rarely); an unknown topic costs one bounded request."""
        now = time.monotonic()
        with self._lock:
            cached = self._partitions.get(topic)
            if cached is not None and now - cached[1] < PARTITIONS_TTL_S:
                return cached[0]
            count = len(self._describe_partitions(topic))
            if not count:
                raise BusError(f"topic {topic!r} does not exist on Kafka {self._where()}")
            self._partitions[topic] = (count, now)
        return count

    def _describe_partitions(self, topic: str) -> set[int]:
        try:
            described = self._admin_client().describe_topics([topic])
        except KafkaError as exc:
            raise BusError(f"cannot read the partitions of {topic!r} on Kafka {self._where()}: {exc}") from exc
        for entry in described:  # kafka-python 3: MetadataResponse shapes ("name", "partition_index")
            if entry.get("name") == topic and not entry.get("error_code"):
                return {int(p["partition_index"]) for p in entry.get("partitions", [])}
        return set()

    def producer(self) -> Producer:
        return KafkaBusProducer(self.bootstrap, self.client_id, self.limits)

    def consumer(self, group: str, topics: Sequence[str], *, from_beginning: bool = True) -> Consumer:
        return KafkaBusConsumer(self.bootstrap, self.client_id, group, list(topics), from_beginning=from_beginning,
                                limits=self.limits)

    def end_offsets(self, topic: str) -> dict[int, int]:
        parts = self.partitions(topic)
        tps = [TopicPartition(topic, p) for p in range(parts)]
        try:
            with self._lock:
                ends = self._metadata().end_offsets(tps, timeout_ms=self.limits.request_timeout_ms)
        except KafkaError as exc:
            raise BusError(f"cannot read the end offsets of {topic!r} on Kafka {self._where()}: {exc}") from exc
        return {tp.partition: int(off) for tp, off in ends.items()}

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()
        if self._meta is not None:
            self._meta.close(autocommit=False, timeout_ms=int(self.limits.close_timeout_s * 1000))
