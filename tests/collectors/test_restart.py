"""A collector killed (SIGKILL) at any point of a page loses no post and repeats none on posts.raw."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest

from otklik.bus import open_bus

REPO = Path(__file__).resolve().parents[2]
TOTAL = 230  # 5 pages of 50, the last one partial


def _posts_file(path: Path) -> Path:
    run = uuid.uuid4().hex[:8]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(TOTAL):
            fh.write(json.dumps({"network": "vk", "owner_id": f"-{run}", "post_id": str(i),
                                 "text": f"Новокузнецк, ул. Кутузова {i}: нет отопления 🥶",
                                 "created_at": "2026-11-27T08:00:00Z"}, ensure_ascii=False) + "\n")
    return path


def _run(bus_dsn: str, state: Path, file: Path, die: str, prefix: str) -> int:
    cmd = [sys.executable, "-m", "tests.collectors.crash_collector", "--bus", bus_dsn, "--state", str(state),
           "--file", str(file), "--die", die, "--prefix", prefix]
    return subprocess.run(cmd, cwd=REPO, timeout=120).returncode


def _raw_uids(bus_dsn: str, topic: str, prefix: str) -> Counter[str]:
    bus = open_bus(bus_dsn, partitions=3)
    try:
        consumer = bus.consumer(f"check-{uuid.uuid4().hex}", [topic])
        seen: Counter[str] = Counter()
        total, read, idle = sum(bus.end_offsets(topic).values()), 0, 0
        while read < total and idle < 30:  # a Kafka group join can take seconds under load
            records = consumer.poll(max_records=1000, timeout_s=1.0)
            idle = 0 if records else idle + 1
            read += len(records)
            for r in records:
                if r.key and r.key.startswith(prefix):
                    seen[r.key] += 1
        consumer.close()
        return seen
    finally:
        bus.close()


@pytest.mark.parametrize("die", ["fetch", "emit", "flush"])
def test_collector_killed_mid_page_restarts_without_loss_or_duplicates(bus_dsn: str, tmp_path: Path, die: str) -> None:
    file = _posts_file(tmp_path / "posts.jsonl")
    owner = json.loads(file.read_text(encoding="utf-8").splitlines()[0])["owner_id"]
    state = tmp_path / "state"
    prefix = f"test{owner}."  # a topic of its own: a shared broker keeps other runs' posts.raw
    topic = prefix + "posts.raw"
    assert _run(bus_dsn, state, file, die, prefix) == -9, "the first collector must die by SIGKILL"
    partial = _raw_uids(bus_dsn, topic, f"vk:{owner}:")
    assert 0 < sum(partial.values()) < TOTAL, "the kill happened mid-run"
    assert _run(bus_dsn, state, file, "none", prefix) == 0
    seen = _raw_uids(bus_dsn, topic, f"vk:{owner}:")
    assert set(seen) == {f"vk:{owner}:{i}" for i in range(TOTAL)}, "no post lost"
    assert max(seen.values()) == 1, f"no post repeated: {[u for u, n in seen.items() if n > 1][:5]}"
