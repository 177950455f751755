"""The embedded bus: a durable append-only log in one SQLite file.

Same contract as Kafka: keyed partitions, per-partition offsets, consumer-group
positions committed explicitly, replay by seeking. Several processes may share the
file (WAL mode; writers serialise on ``BEGIN IMMEDIATE``). A group here is served
whole to each of its consumers: the embedded bus is for one process per group;
scaling a group out across processes is what Kafka is for.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from otklik.bus.base import Bus, BusError, Consumer, Producer, Record, next_positions, partition_for, uncommitted

_SCHEMA = """
CREATE TABLE IF NOT EXISTS topics (name TEXT PRIMARY KEY, partitions INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
    key TEXT, value BLOB NOT NULL, ts INTEGER NOT NULL,
    PRIMARY KEY (topic, partition, offset)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_offsets (
    grp TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
    PRIMARY KEY (grp, topic, partition)
) WITHOUT ROWID;
"""


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class EmbeddedBus(Bus):
    def __init__(self, path: str | Path, *, partitions: int = 6) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.default_partitions = partitions
        self._conn = _connect(self.path)
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def ensure_topics(self, topics: Iterable[str]) -> None:
        with self._lock:
            for topic in topics:
                self._conn.execute(
                    "INSERT OR IGNORE INTO topics(name, partitions) VALUES (?, ?)", (topic, self.default_partitions)
                )

    def partitions(self, topic: str) -> int:
        with self._lock:
            row = self._conn.execute("SELECT partitions FROM topics WHERE name = ?", (topic,)).fetchone()
        if row is None:
            raise BusError(f"topic {topic!r} does not exist on the embedded bus {self.path}")
        return int(row[0])

    def producer(self) -> Producer:
        return EmbeddedProducer(self)

    def consumer(self, group: str, topics: Sequence[str], *, from_beginning: bool = True) -> Consumer:
        return EmbeddedConsumer(self, group, list(topics), from_beginning=from_beginning)

    def end_offsets(self, topic: str) -> dict[int, int]:
        parts = self.partitions(topic)
        with self._lock:
            rows = self._conn.execute(
                "SELECT partition, MAX(offset) FROM messages WHERE topic = ? GROUP BY partition", (topic,)
            ).fetchall()
        ends = dict.fromkeys(range(parts), 0)
        ends.update({int(p): int(o) + 1 for p, o in rows})
        return ends

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class EmbeddedProducer(Producer):
    """Buffers in memory; ``flush`` appends the buffer in one transaction."""

    AUTO_FLUSH = 5_000

    def __init__(self, bus: EmbeddedBus) -> None:
        self._bus = bus
        self._conn = _connect(bus.path)
        self._buffer: list[tuple[str, int, str | None, bytes, int]] = []
        self._partitions: dict[str, int] = {}
        self._round_robin = 0

    def publish(self, topic: str, key: str | None, value: bytes) -> None:
        parts = self._partitions.get(topic)
        if parts is None:
            parts = self._partitions[topic] = self._bus.partitions(topic)
        self._round_robin += 1
        partition = partition_for(key, parts, self._round_robin)
        self._buffer.append((topic, partition, key, bytes(value), int(time.time() * 1000)))
        if len(self._buffer) >= self.AUTO_FLUSH:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            heads: dict[tuple[str, int], int] = {}
            rows = []
            for topic, partition, key, value, ts in self._buffer:
                tp = (topic, partition)
                if tp not in heads:
                    row = conn.execute(
                        "SELECT MAX(offset) FROM messages WHERE topic = ? AND partition = ?", tp
                    ).fetchone()
                    heads[tp] = -1 if row[0] is None else int(row[0])
                heads[tp] += 1
                rows.append((topic, partition, heads[tp], key, value, ts))
            conn.executemany(
                "INSERT INTO messages(topic, partition, offset, key, value, ts) VALUES (?,?,?,?,?,?)", rows
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK") if conn.in_transaction else None
            raise BusError(f"embedded bus write failed: {exc}") from exc
        self._buffer.clear()

    def close(self) -> None:
        self.flush()
        self._conn.close()


class EmbeddedConsumer(Consumer):
    def __init__(self, bus: EmbeddedBus, group: str, topics: list[str], *, from_beginning: bool) -> None:
        self._bus = bus
        self._group = group
        self._conn = _connect(bus.path)
        self._positions: dict[tuple[str, int], int] = {}
        self._polled: list[Record] = []
        for topic in topics:
            ends = bus.end_offsets(topic)
            for partition in range(bus.partitions(topic)):
                committed = self.committed(topic, partition)
                start = committed if committed is not None else (0 if from_beginning else ends[partition])
                self._positions[(topic, partition)] = start
        self._order = sorted(self._positions)
        self._next = 0

    def poll(self, max_records: int = 500, timeout_s: float = 1.0) -> list[Record]:
        deadline = time.monotonic() + timeout_s
        while True:
            records = self._fetch(max_records)
            if records or time.monotonic() >= deadline:
                self._polled.extend(records)
                return records
            time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))

    def _fetch(self, max_records: int) -> list[Record]:
        out: list[Record] = []
        count = len(self._order)
        for i in range(count):
            if len(out) >= max_records:
                break
            tp = self._order[(self._next + i) % count]
            rows = self._conn.execute(
                "SELECT offset, key, value, ts FROM messages WHERE topic = ? AND partition = ? AND offset >= ?"
                " ORDER BY offset LIMIT ?",
                (tp[0], tp[1], self._positions[tp], max_records - len(out)),
            ).fetchall()
            for offset, key, value, ts in rows:
                out.append(Record(tp[0], tp[1], int(offset), key, bytes(value), int(ts)))
            if rows:
                self._positions[tp] = int(rows[-1][0]) + 1
        self._next = (self._next + 1) % max(count, 1)
        return out

    def commit(self, records: Sequence[Record] | None = None) -> None:
        positions = next_positions(self._polled if records is None else records)
        if not positions:
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._conn.executemany(
            "INSERT INTO group_offsets(grp, topic, partition, offset) VALUES (?,?,?,?)"
            " ON CONFLICT(grp, topic, partition) DO UPDATE SET offset = excluded.offset",
            [(self._group, t, p, o) for (t, p), o in positions.items()],
        )
        self._conn.execute("COMMIT")
        self._polled = [] if records is None else uncommitted(self._polled, positions)

    def seek(self, topic: str, partition: int, offset: int) -> None:
        if (topic, partition) not in self._positions:
            raise BusError(f"{topic}[{partition}] is not assigned to this consumer")
        self._positions[(topic, partition)] = offset

    def committed(self, topic: str, partition: int) -> int | None:
        row = self._conn.execute(
            "SELECT offset FROM group_offsets WHERE grp = ? AND topic = ? AND partition = ?",
            (self._group, topic, partition),
        ).fetchone()
        return None if row is None else int(row[0])

    def close(self) -> None:
        self._conn.close()
