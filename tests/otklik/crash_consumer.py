"""A consumer process for the crash test: applies records to an idempotent SQLite sink,
and with ``--die-after N`` kills itself (SIGKILL) mid-batch, after N applications and before committing."""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3

from otklik.bus import open_bus


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bus", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--sink", required=True)
    ap.add_argument("--expect", type=int, required=True)
    ap.add_argument("--die-after", type=int, default=0)
    args = ap.parse_args()

    sink = sqlite3.connect(args.sink, isolation_level=None)
    sink.execute("CREATE TABLE IF NOT EXISTS applied (msg_id TEXT PRIMARY KEY, value TEXT)")
    sink.execute("CREATE TABLE IF NOT EXISTS attempts (n INTEGER)")
    bus = open_bus(args.bus, partitions=3)
    consumer = bus.consumer(args.group, [args.topic])
    applied = 0
    idle = 0
    while idle < 40:
        records = consumer.poll(max_records=50, timeout_s=0.5)
        if not records:
            total = sink.execute("SELECT COUNT(*) FROM applied").fetchone()[0]
            idle = idle + 1 if total < args.expect else 40
            continue
        for record in records:
            # The effect and its dedupe key commit together: redelivery is harmless.
            sink.execute("BEGIN IMMEDIATE")
            sink.execute("INSERT INTO attempts VALUES (1)")
            sink.execute("INSERT OR IGNORE INTO applied VALUES (?, ?)", (record.key, record.value.decode()))
            sink.execute("COMMIT")
            applied += 1
            if args.die_after and applied == args.die_after:
                os.kill(os.getpid(), signal.SIGKILL)
        consumer.commit(records)
    consumer.close()
    bus.close()


if __name__ == "__main__":
    main()
