from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from otklik.bus import Bus, open_bus


def _kafka_or_skip() -> str:
    bootstrap = os.environ.get("OTKLIK_TEST_KAFKA_BOOTSTRAP")
    if not bootstrap:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but OTKLIK_TEST_KAFKA_BOOTSTRAP is not set: the Kafka broker is missing")
        pytest.skip("no Kafka broker (set OTKLIK_TEST_KAFKA_BOOTSTRAP)")
    return bootstrap


@pytest.fixture(params=["embedded", pytest.param("kafka", marks=[pytest.mark.integration, pytest.mark.kafka])])
def bus_dsn(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "kafka":
        return f"kafka://{_kafka_or_skip()}"
    return f"sqlite:///{tmp_path / 'bus.sqlite'}"


@pytest.fixture
def bus(bus_dsn: str) -> Iterator[Bus]:
    b = open_bus(bus_dsn, partitions=3)
    yield b
    b.close()


@pytest.fixture
def topic() -> str:
    """A fresh topic per test, so runs never see each other's messages on a shared broker."""
    return f"test.{uuid.uuid4().hex[:12]}"
