"""A local append-only file of bus messages that are durable here but not yet in the analytics store.

Why: every ClickHouse insert costs a part (and merges) whatever its size, so inserting once per
bus poll made the sla stage spend most of its CPU in chDB. The stage now fsyncs each poll's
messages here, lets the bus commit their offsets, and inserts into the store only every few
thousand rows or seconds. After a crash the file is replayed at start; the tables make the
replay harmless (ReplacingMergeTree, idempotent min/max and uniqExact states).

Record framing: ``<topic length: u16><value length: u32><topic utf-8><value>``. A record cut
short by a crash belongs to a poll whose offsets were never committed, so it is dropped and
the bus redelivers it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<HI")


class SpoolError(RuntimeError):
    """The spool file is held by another process or cannot be written."""


class Spool:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO = open(path, "a+b")  # noqa: SIM115 - held open for the writer's lifetime
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._file.close()
            raise SpoolError(f"analytics spool {path} is used by another process") from exc
        self.size = self._file.seek(0, os.SEEK_END)
        self._names: dict[str, bytes] = {}

    def append(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Durable on return (fsync): only then may the caller commit the bus offsets."""
        if not messages:
            return
        parts: list[bytes] = []
        pack, names = _HEADER.pack, self._names
        for topic, value in messages:
            name = names.get(topic)
            if name is None:
                name = names[topic] = topic.encode("utf-8")
            parts += (pack(len(name), len(value)), name, value)
        blob = b"".join(parts)
        self._file.write(blob)
        self._file.flush()
        os.fsync(self._file.fileno())
        self.size += len(blob)

    def read(self) -> list[tuple[str, bytes]]:
        self._file.seek(0)
        data = self._file.read()
        self._file.seek(0, os.SEEK_END)
        out: list[tuple[str, bytes]] = []
        pos = 0
        while pos + _HEADER.size <= len(data):
            topic_len, value_len = _HEADER.unpack_from(data, pos)
            end = pos + _HEADER.size + topic_len + value_len
            if end > len(data):
                break
            start = pos + _HEADER.size
            out.append((data[start:start + topic_len].decode("utf-8", "replace"), data[start + topic_len:end]))
            pos = end
        if pos < len(data):
            log.warning("analytics spool %s: %d trailing bytes of an unfinished write dropped (the bus redelivers)",
                        self.path, len(data) - pos)
        return out

    def clear(self) -> None:
        """Everything spooled is in the store now."""
        self._file.truncate(0)
        self._file.seek(0)
        os.fsync(self._file.fileno())
        self.size = 0

    def close(self) -> None:
        self._file.close()
