"""Durable record of deliveries (SQLite under the data dir): an alert reaches each address once,
even when the alert is redelivered by the bus or the notifier restarts mid-way."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path


class Ledger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS deliveries (alert_id TEXT NOT NULL, channel TEXT NOT NULL,"
            " recipient TEXT NOT NULL, delivered_at TEXT NOT NULL, PRIMARY KEY (alert_id, channel, recipient))")

    def delivered(self, alert_id: str, channel: str, recipient: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM deliveries WHERE alert_id = ? AND channel = ? AND recipient = ?",
                                    (alert_id, channel, recipient)).fetchone() is not None

    def record(self, alert_id: str, channel: str, recipient: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, ?)",
                             (alert_id, channel, recipient, datetime.now(UTC).isoformat()))

    def close(self) -> None:
        self._db.close()
