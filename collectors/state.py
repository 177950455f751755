"""Durable collector state in one SQLite file: cursors, the publish ledger, pending batches, health.

Exactly-once onto ``posts.raw`` over an at-least-once bus, by ordering the writes:

1. fetch a page; decide each post's version from the ledger (same content digest -> skip;
   new digest -> version + 1, i.e. an edit);
2. write a *pending* row (source, the bus position before publishing, the (uid, version)
   list) and commit it;
3. publish the batch and ``flush`` the bus (durable);
4. in ONE transaction: add the batch to the ledger, advance the cursor, drop the pending row.

A kill before 2 loses nothing (the cursor did not move; the page is fetched again). A kill
between 2 and 4 leaves a pending row: on restart :meth:`CollectorState.pending` hands it to
the runner, which reads ``posts.raw`` from the recorded position to find which of the batch's
(uid, version) pairs already landed, adds exactly those to the ledger and drops the row; the
page is fetched again from the old cursor and the ledger skips what is already there.
Rejections (``posts.rejected``) are audit records and may repeat after such a crash.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from schemas import Post

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (source TEXT PRIMARY KEY, cursor TEXT, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS ledger (
    uid TEXT PRIMARY KEY, version INTEGER NOT NULL, digest TEXT NOT NULL, updated_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (
    source TEXT PRIMARY KEY, mark TEXT, entries TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS health (source TEXT PRIMARY KEY, data TEXT NOT NULL);
"""


def content_digest(post: Post) -> str:
    """What makes a new version: text, deletion, attachments, thread position. Not likes/views."""
    parts = [post.text, "1" if post.deleted else "0", post.reply_to or "",
             "|".join(f"{a.kind}:{a.url}" for a in post.attachments)]
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "replace"), digest_size=16).hexdigest()


@dataclass
class LedgerEntry:
    uid: str
    version: int
    digest: str


@dataclass
class SourceHealth:
    """What ``otklik doctor`` shows per source."""

    source: str
    network: str
    status: str = "starting"  # ok | backoff | rate_limited | down | starting
    last_success: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    errors_total: int = 0
    consecutive_errors: int = 0
    lag_s: float | None = None  # collected_at - created_at of the newest post of the last page
    posts_total: int = 0

    def since_success_s(self, now: float | None = None) -> float | None:
        return None if self.last_success is None else (now or time.time()) - self.last_success


class CollectorState:
    def __init__(self, state_dir: str | Path) -> None:
        self.dir = Path(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "collectors.sqlite"
        self._conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- cursors and ledger ------------------------------------------------------------
    def cursor(self, source: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT cursor FROM cursors WHERE source = ?", (source,)).fetchone()
        return None if row is None else row[0]

    def known(self, uids: Iterable[str]) -> dict[str, tuple[int, str]]:
        """uid -> (last published version, its digest)."""
        found: dict[str, tuple[int, str]] = {}
        batch = list(uids)
        with self._lock:
            for i in range(0, len(batch), 500):
                chunk = batch[i:i + 500]
                marks = ",".join("?" * len(chunk))
                for uid, version, digest in self._conn.execute(
                    f"SELECT uid, version, digest FROM ledger WHERE uid IN ({marks})", chunk
                ):
                    found[uid] = (int(version), str(digest))
        return found

    def begin_pending(self, source: str, mark: Any, entries: list[LedgerEntry]) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO pending(source, mark, entries, created_at) VALUES (?, ?, ?, ?)",
                (source, json.dumps(mark), json.dumps([asdict(e) for e in entries]), time.time()),
            )

    def commit_batch(self, source: str, entries: list[LedgerEntry], cursor: str | None) -> None:
        now = time.time()
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT INTO ledger(uid, version, digest, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(uid) DO UPDATE SET version = excluded.version, digest = excluded.digest, "
                    "updated_at = excluded.updated_at WHERE excluded.version > ledger.version",
                    [(e.uid, e.version, e.digest, now) for e in entries],
                )
                conn.execute(
                    "INSERT INTO cursors(source, cursor, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
                    (source, cursor, now),
                )
                conn.execute("DELETE FROM pending WHERE source = ?", (source,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def pending(self, source: str | None = None) -> list[tuple[str, Any, list[LedgerEntry]]]:
        with self._lock:
            if source is None:
                rows = self._conn.execute("SELECT source, mark, entries FROM pending").fetchall()
            else:
                rows = self._conn.execute("SELECT source, mark, entries FROM pending WHERE source = ?",
                                          (source,)).fetchall()
        return [(src, json.loads(mark), [LedgerEntry(**e) for e in json.loads(entries)]) for src, mark, entries in rows]

    def resolve_pending(self, source: str, landed: list[LedgerEntry]) -> None:
        """Recovery: record what reached the bus, keep the cursor where it was."""
        cursor = self.cursor(source)
        self.commit_batch(source, landed, cursor)

    def prune(self, older_than_s: float) -> int:
        with self._lock:
            cur = self._conn.execute("DELETE FROM ledger WHERE updated_at < ?", (time.time() - older_than_s,))
        return cur.rowcount

    # --- health --------------------------------------------------------------------------
    def save_health(self, health: SourceHealth) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO health(source, data) VALUES (?, ?)",
                               (health.source, json.dumps(asdict(health))))

    def health(self) -> list[SourceHealth]:
        with self._lock:
            rows = self._conn.execute("SELECT data FROM health ORDER BY source").fetchall()
        return [SourceHealth(**json.loads(data)) for (data,) in rows]
