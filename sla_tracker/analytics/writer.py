"""Batching writer: buffers processor rows per table and inserts them column-wise.

Separate from the processor (Snuba): the processor decides *what* rows, the writer
decides *when*. Deduplication is layered: a bounded in-memory set of recent
event ids drops redeliveries cheaply; the tables (ReplacingMergeTree, idempotent
min/max aggregates) make any that slip through harmless.

With a spool (``sla_tracker.analytics.spool``) the writer no longer has to insert on every
bus poll: each ClickHouse insert costs a new part per table and materialized view, so the
writer inserts only when ``batch_size`` rows or ``max_delay_s`` have gathered (or on
``flush``), and clears the spool once everything is in the store.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from schemas import CaseEvent, ClassifiedPost
from sla_tracker.analytics.processor import Row, process
from sla_tracker.analytics.spool import Spool

log = logging.getLogger(__name__)


class _Store(Protocol):
    client: Any


class SlaWriter:
    def __init__(self, store: _Store, batch_size: int = 10_000, remember: int = 200_000, *,
                 spool: Spool | None = None, max_delay_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self._store = store
        self.batch_size = batch_size
        self._remember = remember
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self.spool = spool
        self.max_delay_s = max_delay_s
        self._clock = clock
        self._oldest: float | None = None
        self._contexts: dict[tuple[str, tuple[str, ...]], Any] = {}
        self.written = 0
        self.duplicates = 0

    def add(self, message: ClassifiedPost | CaseEvent) -> int:
        """Returns the number of rows buffered (0 for a message seen recently)."""
        key = message.event_id if isinstance(message, CaseEvent) else f"{message.post.uid}@{message.post.version}"
        if key in self._seen:
            self.duplicates += 1
            return 0
        self._seen[key] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        rows = process(message)
        self.add_rows(rows)
        return len(rows)

    def add_many(self, messages: Iterable[ClassifiedPost | CaseEvent]) -> None:
        for message in messages:
            self.add(message)

    def add_rows(self, rows: Sequence[Row]) -> None:
        if rows and self._oldest is None:
            self._oldest = self._clock()
        for row in rows:
            buffer = self._buffers.setdefault(row.table, [])
            buffer.append(row.values)
            if len(buffer) >= self.batch_size:
                self._flush_table(row.table)

    def pending(self) -> int:
        return sum(len(b) for b in self._buffers.values())

    def due(self) -> bool:
        """Time to insert: enough rows, or the oldest buffered row waited ``max_delay_s``."""
        if self._oldest is None:
            return False
        return self.pending() >= self.batch_size or self._clock() - self._oldest >= self.max_delay_s

    def flush(self) -> int:
        """Write everything buffered; without a spool, call before committing bus offsets."""
        total = 0
        for table in list(self._buffers):
            total += self._flush_table(table)
        self._oldest = None
        if self.spool is not None and self.spool.size:
            self.spool.clear()
        return total

    def close(self) -> None:
        """Flush what is buffered; if the store refuses, the spool keeps it for the next start."""
        try:
            self.flush()
        except Exception as exc:  # shutting down: report it, the spool holds the rows
            log.error("analytics: final flush failed, %d rows stay in the spool: %s", self.pending(), str(exc)[:500])
        finally:
            if self.spool is not None:
                self.spool.close()

    def _flush_table(self, table: str) -> int:
        rows = self._buffers.get(table) or []
        if not rows:
            return 0
        names = list(rows[0])
        columns = [[row[name] for row in rows] for name in names]
        self.write_columns(table, names, columns)
        self._buffers[table] = []
        return len(rows)

    def write_columns(self, table: str, names: list[str], columns: list[list[Any]]) -> None:
        """One column-oriented INSERT; the table's column types are asked for once, not per insert."""
        client = self._store.client
        key = (table, tuple(names))
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = client.create_insert_context(table, names, column_oriented=True)
        try:
            client.insert(context=context, data=columns)
        finally:
            context.data = None  # reusable even after a failed insert
        self.written += len(columns[0]) if columns else 0
