"""Helpers shared by the bus tests."""

from __future__ import annotations

from typing import Any

from otklik.bus import Record


def drain(consumer: Any, expected: int, rounds: int = 60) -> list[Record]:
    """Poll until ``expected`` records arrived or ``rounds`` half-second polls passed."""
    got: list[Record] = []
    for _ in range(rounds):
        got.extend(consumer.poll(max_records=500, timeout_s=0.5))
        if len(got) >= expected:
            break
    return got
