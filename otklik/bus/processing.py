"""The consume-process-produce-commit loop every stage uses (arroyo's RunTask + CommitOffsets).

At least once: outputs are flushed and the handler's own effects are durable before
the input offsets are committed, so a crash anywhere redelivers, never loses; the
handlers are idempotent (uid / event id), so redelivery never applies twice.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from otklik.bus.base import Consumer, Producer, Record


@dataclass(frozen=True, slots=True)
class Output:
    topic: str
    key: str | None
    value: bytes


Handler = Callable[[Sequence[Record]], Sequence[Output]]


@dataclass
class LoopStats:
    batches: int = 0
    records: int = 0
    outputs: int = 0


def process_batch(consumer: Consumer, handler: Handler, producer: Producer | None, max_records: int = 500,
                  timeout_s: float = 0.2) -> tuple[int, int]:
    """One turn of the loop; returns (records consumed, outputs produced)."""
    records = consumer.poll(max_records=max_records, timeout_s=timeout_s)
    if not records:
        return 0, 0
    outputs = handler(records)
    if outputs:
        if producer is None:
            raise RuntimeError("handler produced output but the stage has no producer")
        for out in outputs:
            producer.publish(out.topic, out.key, out.value)
        producer.flush()
    consumer.commit(records)
    return len(records), len(outputs)


def freeze_startup_heap() -> int:
    """Exempt what a stage built at start (model, mappers, clients) from every later garbage collection.

    Why: each batch allocates tens of thousands of short-lived objects, so the collector runs many
    times per batch, and its older generations walked the whole startup heap each time; that was a
    fifth of intake's CPU and a seventh of the classifier stage's. Frozen objects are never freed, so
    call this once, in a stage's own process, after it has loaded everything. Returns how many."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def run_loop(consumer: Consumer, handler: Handler, producer: Producer | None = None, *,
             max_records: int = 500, stop: Callable[[], bool] = lambda: False,
             idle_exit_s: float | None = None, on_idle: Callable[[], None] | None = None,
             idle_every_s: float = 1.0, freeze_heap: bool = False) -> LoopStats:
    """Run until ``stop()`` or, with ``idle_exit_s``, until nothing arrived for that long.

    ``on_idle`` (the outbox relay, publisher resumption) runs whenever a poll comes back
    empty and at least every ``idle_every_s`` under steady load, so events such as R26
    alerts never wait for a pause in the feed. ``freeze_heap`` (a stage running as its own
    process) calls :func:`freeze_startup_heap` before the first poll.
    """
    if freeze_heap:
        freeze_startup_heap()
    stats = LoopStats()
    idle_since = last_hook = time.monotonic()
    while not stop():
        consumed, produced = process_batch(consumer, handler, producer, max_records)
        now = time.monotonic()
        if on_idle is not None and (not consumed or now - last_hook >= idle_every_s):
            on_idle()
            last_hook = now
        if consumed:
            stats.batches += 1
            stats.records += consumed
            stats.outputs += produced
            idle_since = now
            continue
        if idle_exit_s is not None and now - idle_since >= idle_exit_s:
            break
    return stats
