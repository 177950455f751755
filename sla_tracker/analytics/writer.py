"""Batching writer: buffers processor rows per table and inserts them column-wise.

Separate from the processor (Snuba): the processor decides *what* rows, the writer
decides *when*. Deduplication is layered: a bounded in-memory set of recent
event ids drops redeliveries cheaply; the tables (ReplacingMergeTree, idempotent
min/max aggregates) make any that slip through harmless.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from schemas import CaseEvent, ClassifiedPost
from sla_tracker.analytics.processor import Row, process


class _Store(Protocol):
    client: Any


class SlaWriter:
    def __init__(self, store: _Store, batch_size: int = 10_000, remember: int = 200_000) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self._store = store
        self.batch_size = batch_size
        self._remember = remember
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self.written = 0
        self.duplicates = 0

    def add(self, message: ClassifiedPost | CaseEvent) -> None:
        key = message.event_id if isinstance(message, CaseEvent) else f"{message.post.uid}@{message.post.version}"
        if key in self._seen:
            self.duplicates += 1
            return
        self._seen[key] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        self.add_rows(process(message))

    def add_many(self, messages: Iterable[ClassifiedPost | CaseEvent]) -> None:
        for message in messages:
            self.add(message)

    def add_rows(self, rows: Sequence[Row]) -> None:
        for row in rows:
            buffer = self._buffers.setdefault(row.table, [])
            buffer.append(row.values)
            if len(buffer) >= self.batch_size:
                self._flush_table(row.table)

    def pending(self) -> int:
        return sum(len(b) for b in self._buffers.values())

    def flush(self) -> int:
        """Write everything buffered; call before committing bus offsets."""
        total = 0
        for table in list(self._buffers):
            total += self._flush_table(table)
        return total

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
        self._store.client.insert(table, columns, column_names=names, column_oriented=True)
        self.written += len(columns[0]) if columns else 0
