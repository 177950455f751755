"""The stage loop: at-least-once commits, and the idle hook runs under steady load too."""

from __future__ import annotations

from pathlib import Path

from otklik.bus import open_bus
from otklik.bus.processing import Output, run_loop


def test_loop_commits_after_outputs_and_hook_runs_under_steady_load(tmp_path: Path) -> None:
    bus = open_bus(f"sqlite:///{tmp_path / 'b.sqlite'}", partitions=2)
    bus.ensure_topics(["in", "out"])
    with bus.producer() as producer:
        for i in range(50):
            producer.publish("in", f"k{i}", str(i).encode())
    hooks: list[int] = []
    seen: list[int] = []

    def handler(records):
        seen.extend(int(r.value) for r in records)
        return [Output("out", r.key, r.value) for r in records]

    with bus.consumer("stage", ["in"]) as consumer, bus.producer() as out:
        stats = run_loop(consumer, handler, out, max_records=5, idle_exit_s=0.3,
                         on_idle=lambda: hooks.append(len(seen)), idle_every_s=0.0)
    assert sorted(seen) == list(range(50)) and stats.records == 50
    assert sum(bus.end_offsets("out").values()) == 50
    assert bus.lag("stage", "in") == 0
    assert any(0 < n < 50 for n in hooks), "the hook ran between busy batches, not only when idle"
