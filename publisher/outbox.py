"""The publisher's outbox: one row per reply_id in a small SQLite file under the data dir.

Intent is recorded (state ``sending``) and committed *before* the network call, so after a
crash we know a send may have happened and look the reply up on the network instead of
posting again. Published rows are final: a redelivered command returns the recorded result.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path


class State(StrEnum):
    SENDING = "sending"          # intent recorded; the network may or may not have the reply
    RETRY = "retry"              # transient failures exhausted this round; a redelivery tries again
    AWAITING_LINK = "awaiting_link"  # manual network (blogs): the executor must record the link
    PUBLISHED = "published"
    FAILED = "failed"            # permanent


@dataclass(frozen=True)
class Entry:
    reply_id: str
    case_id: int
    network: str
    post_uid: str
    state: State
    attempts: int
    text: str
    remote_id: str | None
    url: str | None
    published_at: datetime | None
    error: str | None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS publications (
    reply_id TEXT PRIMARY KEY,
    case_id INTEGER NOT NULL,
    network TEXT NOT NULL,
    post_uid TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    text TEXT NOT NULL,
    remote_id TEXT,
    url TEXT,
    published_at TEXT,
    error TEXT,
    command TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)"""


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Outbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def get(self, reply_id: str) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT reply_id, case_id, network, post_uid, state, attempts, text, remote_id, url, published_at,"
                " error FROM publications WHERE reply_id = ?", (reply_id,)).fetchone()
        if row is None:
            return None
        published = datetime.fromisoformat(row[9]) if row[9] else None
        return Entry(row[0], int(row[1]), row[2], row[3], State(row[4]), int(row[5]), row[6], row[7], row[8],
                     published, row[10])

    def record_intent(self, reply_id: str, case_id: int, network: str, post_uid: str, text: str,
                      command: str | None = None) -> Entry:
        """Durably mark "about to send"; returns the entry with its attempt counter bumped.

        ``command`` (the ReplyApproved JSON) is kept so a reply left in ``retry`` can be resumed
        without waiting for the bus to redeliver it.
        """
        now = _now()
        with self._lock:
            self._db.execute(
                "INSERT INTO publications (reply_id, case_id, network, post_uid, state, attempts, text, command,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, 'sending', 1, ?, ?, ?, ?) ON CONFLICT(reply_id) DO"
                " UPDATE SET state = 'sending', attempts = attempts + 1, text = excluded.text,"
                " command = coalesce(excluded.command, command), updated_at = excluded.updated_at"
                " WHERE state NOT IN ('published', 'failed')",
                (reply_id, case_id, network, post_uid, text, command, now, now))
        entry = self.get(reply_id)
        assert entry is not None
        return entry

    def _set(self, reply_id: str, state: State, **fields: object) -> None:
        names = ", ".join(f"{k} = ?" for k in fields)
        with self._lock:
            self._db.execute(f"UPDATE publications SET state = ?, {names + ', ' if names else ''}updated_at = ?"
                             " WHERE reply_id = ?", (str(state), *fields.values(), _now(), reply_id))

    def mark_published(self, reply_id: str, remote_id: str, url: str | None, at: datetime) -> None:
        self._set(reply_id, State.PUBLISHED, remote_id=remote_id, url=url, published_at=at.astimezone(UTC).isoformat(),
                  error=None)

    def mark_failed(self, reply_id: str, error: str) -> None:
        self._set(reply_id, State.FAILED, error=error)

    def mark_retry(self, reply_id: str, error: str) -> None:
        self._set(reply_id, State.RETRY, error=error)

    def mark_awaiting_link(self, reply_id: str, case_id: int, network: str, post_uid: str, text: str) -> None:
        now = _now()
        with self._lock:
            self._db.execute(
                "INSERT INTO publications (reply_id, case_id, network, post_uid, state, attempts, text, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, 'awaiting_link', 0, ?, ?, ?) ON CONFLICT(reply_id) DO NOTHING",
                (reply_id, case_id, network, post_uid, text, now, now))

    def resumable(self, older_than_s: float) -> list[str]:
        """Commands of replies left in ``retry`` (or ``sending`` after a crash) longer than ``older_than_s``."""
        cutoff = datetime.fromtimestamp(datetime.now(UTC).timestamp() - older_than_s, UTC).isoformat()
        with self._lock:
            rows = self._db.execute("SELECT command FROM publications WHERE state IN ('retry', 'sending')"
                                    " AND command IS NOT NULL AND updated_at <= ? ORDER BY updated_at",
                                    (cutoff,)).fetchall()
        return [str(r[0]) for r in rows]

    def in_state(self, state: State) -> list[Entry]:
        with self._lock:
            ids = [r[0] for r in self._db.execute("SELECT reply_id FROM publications WHERE state = ?", (str(state),))]
        return [e for e in (self.get(i) for i in ids) if e is not None]

    def close(self) -> None:
        self._db.close()
