"""A consumer killed mid-batch loses nothing and applies nothing twice (both bus backends)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

from otklik.bus import Bus

REPO = Path(__file__).resolve().parents[2]


def _run(bus_dsn: str, topic: str, group: str, sink: Path, expect: int, die_after: int = 0) -> int:
    cmd = [sys.executable, "-m", "tests.otklik.crash_consumer", "--bus", bus_dsn, "--topic", topic,
           "--group", group, "--sink", str(sink), "--expect", str(expect), "--die-after", str(die_after)]
    return subprocess.run(cmd, cwd=REPO, timeout=180).returncode


def test_consumer_killed_mid_batch_loses_nothing_and_applies_nothing_twice(
    bus: Bus, bus_dsn: str, topic: str, tmp_path: Path
) -> None:
    total = 300
    bus.ensure_topics([topic])
    with bus.producer() as producer:
        for i in range(total):
            producer.publish(topic, f"vk:-1:{i}", f"post {i}".encode())
    group = f"crash-{uuid.uuid4().hex[:8]}"
    sink = tmp_path / "sink.sqlite"

    first = _run(bus_dsn, topic, group, sink, total, die_after=125)  # mid-batch: batches are 50
    assert first == -9, "the first consumer must die by SIGKILL"
    second = _run(bus_dsn, topic, group, sink, total)
    assert second == 0

    db = sqlite3.connect(sink)
    applied = {row[0] for row in db.execute("SELECT msg_id FROM applied")}
    attempts = db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
    assert applied == {f"vk:-1:{i}" for i in range(total)}, "nothing lost"
    assert db.execute("SELECT COUNT(*) FROM applied").fetchone()[0] == total, "nothing applied twice"
    assert attempts > total, "the uncommitted part of the killed batch was redelivered"
    assert bus.lag(group, topic) == 0
