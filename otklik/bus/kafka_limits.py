"""Every wait on the Kafka client is bounded: the limits in one place.

kafka-python's defaults wait without end in several calls (``flush()``, ``commit()``,
``committed()``), back off reconnects up to 30 s and keep undelivered batches for
2 minutes; a stage must instead notice an outage, ride it out for a known time and
then say so. The budgets are how long one call may ride out an outage before it
raises :class:`~otklik.bus.base.BusError` (a stage then exits and its supervisor
restarts it; nothing is lost because its input offsets were not committed).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KafkaLimits:
    request_timeout_ms: int = 10_000
    # A new client gives up reaching the broker after this (the default is 30 s).
    bootstrap_timeout_ms: int = 10_000
    # How long the client itself keeps an unacknowledged batch before failing it.
    delivery_timeout_ms: int = 30_000
    # How long ``send()`` may wait for topic metadata (broker away) before failing.
    max_block_ms: int = 5_000
    # Reconnect quickly once the broker is back (the default backs off to 30 s).
    reconnect_backoff_max_ms: int = 2_000
    retry_backoff_ms: int = 200
    # One flush (or commit) rides out an outage this long, then raises BusError.
    flush_budget_s: float = 300.0
    commit_budget_s: float = 300.0
    # A consumer assigned but not moving while records wait for this long, or outside a stable
    # group without partitions for twice as long, is rebuilt (coordinator lost, never rejoined).
    stall_s: float = 30.0
    # Bounded waits for close(): a dead broker must not keep a stopping stage alive.
    close_timeout_s: float = 5.0
    # A fetch is answered once this much is waiting, or after fetch_max_wait_ms. Fewer, fuller batches
    # cost every stage less per record (statements, commits, fsyncs are per batch); the price is up to
    # fetch_max_wait_ms of extra latency per hop when the feed is light.
    fetch_min_bytes: int = 512 * 1024
    fetch_max_wait_ms: int = 250

    # A flush round waits delivery_timeout + this: by then the client has failed what it could not
    # deliver, so a round that ends with nothing completed means the client is wedged.
    settle_margin_s: float = 5.0

    @property
    def settle_round_s(self) -> float:
        return self.delivery_timeout_ms / 1000 + self.settle_margin_s


DEFAULT_LIMITS = KafkaLimits()
