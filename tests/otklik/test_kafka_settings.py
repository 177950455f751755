"""Consumer batching comes from settings and reaches the real Kafka client."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from otklik.bus import open_bus
from otklik.bus.kafka import KafkaBus
from otklik.bus.kafka_consumer import KafkaBusConsumer
from otklik.bus.kafka_limits import DEFAULT_LIMITS
from otklik.settings import Settings
from otklik.wiring import kafka_limits_from


def test_fetch_batching_comes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTKLIK_KAFKA_FETCH_MIN_BYTES", "1000")
    monkeypatch.setenv("OTKLIK_KAFKA_FETCH_MAX_WAIT_MS", "40")
    limits = kafka_limits_from(Settings())
    assert (limits.fetch_min_bytes, limits.fetch_max_wait_ms) == (1000, 40)
    assert limits.request_timeout_ms == DEFAULT_LIMITS.request_timeout_ms  # the other limits stay


@pytest.mark.parametrize("name,value", [("OTKLIK_KAFKA_FETCH_MIN_BYTES", "0"),
                                        ("OTKLIK_KAFKA_FETCH_MAX_WAIT_MS", "-1"),
                                        ("OTKLIK_KAFKA_FETCH_MAX_WAIT_MS", "60000")])
def test_fetch_batching_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.integration
@pytest.mark.kafka
def test_consumer_uses_the_configured_fetch_batching(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTKLIK_KAFKA_FETCH_MIN_BYTES", "12345")
    monkeypatch.setenv("OTKLIK_KAFKA_FETCH_MAX_WAIT_MS", "77")
    bus = open_bus(f"kafka://{kafka_bootstrap}", kafka_limits=kafka_limits_from(Settings()))
    assert isinstance(bus, KafkaBus)
    topic = f"test.{uuid.uuid4().hex[:12]}"
    bus.ensure_topics([topic])
    consumer = bus.consumer(f"g-{uuid.uuid4().hex[:8]}", [topic])
    try:
        assert isinstance(consumer, KafkaBusConsumer)
        client = consumer._client()  # the kafka-python KafkaConsumer this stage would poll
        assert (client.config["fetch_min_bytes"], client.config["fetch_max_wait_ms"]) == (12345, 77)
    finally:
        consumer.close()
        bus.close()
