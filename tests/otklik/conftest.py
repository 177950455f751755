from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from otklik.bus import Bus, open_bus


@pytest.fixture
def bus(bus_dsn: str) -> Iterator[Bus]:
    b = open_bus(bus_dsn, partitions=3)
    yield b
    b.close()


@pytest.fixture
def topic() -> str:
    """A fresh topic per test, so runs never see each other's messages on a shared broker."""
    return f"test.{uuid.uuid4().hex[:12]}"
