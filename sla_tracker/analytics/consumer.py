"""The bus side of the analytics writer: (topic, value) pairs from ``posts.classified`` and ``cases.events``.

On return every row of the batch is durable, so the caller may commit offsets right after
(at least once; the tables make redelivery harmless): either inserted into the store, or,
with a spool, fsynced there and inserted with later batches.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sla_tracker.analytics.decode import decode
from sla_tracker.analytics.spool import Spool
from sla_tracker.analytics.writer import SlaWriter

log = logging.getLogger(__name__)


def _add_all(writer: SlaWriter, messages: Sequence[tuple[str, bytes]]) -> tuple[int, list[tuple[str, bytes]]]:
    """Rows buffered and the messages they came from; unreadable messages are logged and skipped."""
    rows = 0
    kept: list[tuple[str, bytes]] = []
    for item in messages:
        topic, value = item
        try:
            message = decode(topic, value)
            if message is None:
                continue
            rows += writer.add(message)
        except (ValidationError, ValueError) as exc:
            log.error("analytics: unreadable %s message skipped: %s", topic, str(exc)[:500])
            continue
        kept.append(item)
    return rows, kept


def handle_values(writer: SlaWriter, messages: Sequence[tuple[str, bytes]]) -> int:
    """Returns the rows made durable (inserted, or spooled); unreadable messages are logged and left
    in their topic."""
    rows, kept = _add_all(writer, messages)
    if writer.spool is None:
        return writer.flush()
    writer.spool.append(kept)
    if writer.due():
        writer.flush()
    return rows


def spooled_writer(store: Any, path: Path, **options: Any) -> SlaWriter:
    """A writer backed by the spool at ``path``; whatever a previous run left there goes into the store first."""
    spool = Spool(path)
    writer = SlaWriter(store, spool=spool, **options)
    try:
        left = spool.read()
        if left:
            rows, _ = _add_all(writer, left)
            writer.flush()
            log.info("analytics: %d spooled messages (%d rows) from the previous run written", len(left), rows)
    except BaseException:
        spool.close()
        raise
    return writer
