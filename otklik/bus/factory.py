"""Pick the backend from the DSN: ``kafka://host:port[,host:port]`` or ``sqlite:///path``."""

from __future__ import annotations

from otklik.bus.base import Bus, BusError
from otklik.bus.kafka_limits import DEFAULT_LIMITS, KafkaLimits


def open_bus(dsn: str, *, partitions: int = 6, replication: int = 1, client_id: str = "otklik",
             kafka_limits: KafkaLimits = DEFAULT_LIMITS) -> Bus:
    if dsn.startswith("kafka://"):
        from otklik.bus.kafka import KafkaBus

        return KafkaBus(dsn.removeprefix("kafka://"), partitions=partitions, replication=replication,
                        client_id=client_id, limits=kafka_limits)
    if dsn.startswith("sqlite:///"):
        from otklik.bus.embedded import EmbeddedBus

        return EmbeddedBus(dsn.removeprefix("sqlite:///"), partitions=partitions)
    raise BusError(f"unknown bus DSN {dsn!r}: expected kafka://host:port or sqlite:///path")
