"""Batching writer: buffers processor rows per table and inserts them column-wise.

Separate from the processor (Snuba): the processor decides *what* rows, the writer
decides *when*. Deduplication is layered: a bounded in-memory set of recent
event ids drops redeliveries cheaply; the tables (ReplacingMergeTree, idempotent
min/max aggregates) make any that slip through harmless.

With a spool (``sla_tracker.analytics.spool``) the writer no longer has to insert on every
bus poll: each ClickHouse insert costs a new part per table and materialized view, so the
writer inserts only when ``batch_size`` rows or ``max_delay_s`` have gathered (or on
``flush``), and clears the spool once everything is in the store.

Rows are buffered as the processor's tuples and transposed once per insert; DateTime64 columns
go to clickhouse-connect as epoch milliseconds computed exactly as its own conversion does
(``floor(timestamp()) * 1000 + microsecond // 1000``), which skips its per-value method calls.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from schemas import CaseEvent, ClassifiedPost
from sla_tracker.analytics.processor import COLUMNS, TIME_COLUMNS, Row, Values, table_values
from sla_tracker.analytics.spool import Spool

log = logging.getLogger(__name__)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def _millis(column: Sequence[datetime | None]) -> list[int | None]:
    """clickhouse-connect's own DateTime64(3) ticks, ``floor(timestamp()) * 1000 + microsecond // 1000``:
    exact integer arithmetic for aware values; naive ones are read as local time, as it does."""
    return [None if t is None else (t - _EPOCH) // _MS if t.tzinfo is not None
            else math.floor(t.timestamp()) * 1000 + t.microsecond // 1000 for t in column]


class _Store(Protocol):
    client: Any


class SlaWriter:
    def __init__(self, store: _Store, batch_size: int = 20_000, remember: int = 200_000, *,
                 spool: Spool | None = None, max_delay_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self._store = store
        self.batch_size = batch_size
        self._remember = remember
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._buffers: dict[str, list[Values]] = {table: [] for table in COLUMNS}
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
        seen = self._seen
        if key in seen:
            self.duplicates += 1
            return 0
        seen[key] = None
        if len(seen) > self._remember:
            seen.popitem(last=False)
        rows = table_values(message)
        self._buffer(rows)
        return len(rows)

    def add_many(self, messages: Iterable[ClassifiedPost | CaseEvent]) -> None:
        for message in messages:
            self.add(message)

    def add_rows(self, rows: Sequence[Row]) -> None:
        """Named rows (``processor.process``); the table's column order is the processor's."""
        values: list[tuple[str, Values]] = []
        for row in rows:
            names = COLUMNS.get(row.table)
            if names is None or len(names) != len(row.values):
                raise ValueError(f"row for {row.table!r} does not match the processor's columns")
            values.append((row.table, tuple(row.values[name] for name in names)))
        self._buffer(values)

    def _buffer(self, rows: Sequence[tuple[str, Values]]) -> None:
        if rows and self._oldest is None:
            self._oldest = self._clock()
        buffers = self._buffers
        for table, values in rows:
            buffer = buffers[table]
            buffer.append(values)
            if len(buffer) >= self.batch_size:
                self._flush_table(table)

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
        rows = self._buffers[table]
        if not rows:
            return 0
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for i in TIME_COLUMNS[table]:
            columns[i] = _millis(columns[i])
        self.write_columns(table, list(COLUMNS[table]), columns)
        self._buffers[table] = []
        return len(rows)

    def write_columns(self, table: str, names: list[str], columns: Sequence[Sequence[Any]]) -> None:
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
