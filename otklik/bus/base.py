"""The bus contract shared by both backends."""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self


class BusError(RuntimeError):
    """The bus could not do what was asked (broker down, topic missing, write failed)."""


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    timestamp_ms: int


def partition_for(key: str | None, partitions: int, fallback: int = 0) -> int:
    """Stable key -> partition, so every version of one post stays in order on one partition."""
    if key is None:
        return fallback % partitions
    return zlib.crc32(key.encode("utf-8")) % partitions


def next_positions(records: Iterable[Record]) -> dict[tuple[str, int], int]:
    """The offset to commit per (topic, partition): one past the last record seen."""
    positions: dict[tuple[str, int], int] = {}
    for record in records:
        tp = (record.topic, record.partition)
        positions[tp] = max(positions.get(tp, 0), record.offset + 1)
    return positions


def uncommitted(polled: list[Record], positions: dict[tuple[str, int], int]) -> list[Record]:
    """What stays pending after committing ``positions``: a consumer that kept every polled record
    until a ``commit()`` without arguments (the stage loop always names its batch) grew without end."""
    return [r for r in polled if r.offset >= positions.get((r.topic, r.partition), 0)]


class _Closable(ABC):
    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Producer(_Closable):
    @abstractmethod
    def publish(self, topic: str, key: str | None, value: bytes) -> None:
        """Queue one message; it is durable only after :meth:`flush` returns."""

    @abstractmethod
    def flush(self) -> None:
        """Block until every queued message is durably written (acks=all on Kafka)."""


class Consumer(_Closable):
    @abstractmethod
    def poll(self, max_records: int = 500, timeout_s: float = 1.0) -> list[Record]:
        """Next records of the assigned partitions, in offset order per partition."""

    @abstractmethod
    def commit(self, records: Sequence[Record] | None = None) -> None:
        """Commit the group's position after ``records`` (default: everything polled so far)."""

    @abstractmethod
    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Replay (or skip) from ``offset`` on one partition; the next poll starts there."""

    @abstractmethod
    def committed(self, topic: str, partition: int) -> int | None:
        """The group's committed offset, or None if it never committed there."""


class Bus(_Closable):
    @abstractmethod
    def ensure_topics(self, topics: Iterable[str]) -> None:
        """Create missing topics with the configured partitions; existing ones are left alone."""

    @abstractmethod
    def partitions(self, topic: str) -> int: ...

    @abstractmethod
    def producer(self) -> Producer: ...

    @abstractmethod
    def consumer(self, group: str, topics: Sequence[str], *, from_beginning: bool = True) -> Consumer:
        """A member of consumer group ``group``; without a committed offset it starts at the
        beginning (or at the end when ``from_beginning`` is False)."""

    @abstractmethod
    def end_offsets(self, topic: str) -> dict[int, int]:
        """Per partition, the offset the next message will get (= message count ever written)."""

    def lag(self, group: str, topic: str) -> int:
        """Messages written but not yet committed by ``group`` on ``topic``."""
        with self.consumer(group, [topic]) as consumer:
            total = 0
            for partition, end in self.end_offsets(topic).items():
                total += end - (consumer.committed(topic, partition) or 0)
            return total
