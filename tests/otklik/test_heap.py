"""A stage process exempts its startup heap from garbage collection before the loop starts."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from otklik.bus import Record, open_bus
from otklik.bus.processing import Output, freeze_startup_heap, run_loop


@pytest.fixture
def thawed() -> Iterator[None]:
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()  # the test process must not keep what it froze


def test_freeze_startup_heap_moves_live_objects_out_of_collection(thawed: None) -> None:
    model = {f"лемма-{i}": [i] for i in range(1000)}  # stands in for a loaded model
    frozen = freeze_startup_heap()
    assert frozen >= len(model) and gc.get_freeze_count() == frozen
    assert not any(o is model for o in gc.get_objects())  # collections no longer walk it


def test_run_loop_freezes_only_when_asked_and_still_processes(tmp_path: Path, thawed: None) -> None:
    bus = open_bus(f"sqlite:///{tmp_path / 'b.sqlite'}", partitions=1)
    bus.ensure_topics(["in", "out"])
    with bus.producer() as producer:
        for i in range(5):
            producer.publish("in", f"k{i}", str(i).encode())

    def handler(records: Sequence[Record]) -> list[Output]:
        return [Output("out", r.key, r.value) for r in records]

    with bus.consumer("plain", ["in"]) as consumer, bus.producer() as out:
        run_loop(consumer, handler, out, idle_exit_s=0.2)
    assert gc.get_freeze_count() == 0
    with bus.consumer("frozen", ["in"]) as consumer, bus.producer() as out:
        stats = run_loop(consumer, handler, out, idle_exit_s=0.2, freeze_heap=True)
    assert gc.get_freeze_count() > 0 and stats.records == 5
    assert sum(bus.end_offsets("out").values()) == 10
