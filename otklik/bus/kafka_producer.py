"""A Kafka producer that rides out a broker outage: bounded waits, resends, a fresh client when wedged.

Why: kafka-python 3.0.x wedges an idempotent producer for good once a batch it had
already sent expires (the broker was away longer than ``delivery_timeout_ms``):
``reset_producer_id()`` clears the producer id but leaves the state READY, so the
sender never asks for a new id, never sends and never expires anything again, and a
``flush()`` without a timeout blocks forever. That was the hang of the Kafka-outage
drill. Here every wait is bounded, every message is kept until the broker has
acknowledged it, and a client that failed a message or stopped making progress is
replaced (with a log line) and the unacknowledged messages are sent again. A resend
may duplicate a message the broker had written but not acknowledged; every consumer
is idempotent (post uid + version, event id), so the bus stays at least once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from otklik.bus.base import BusError, Producer
from otklik.bus.kafka_limits import DEFAULT_LIMITS, KafkaLimits

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Message:
    topic: str
    key: bytes | None
    value: bytes
    future: Any = None  # kafka-python's FutureRecordMetadata once handed to a client

    @property
    def acked(self) -> bool:
        return self.future is not None and bool(self.future.succeeded())

    @property
    def failure(self) -> BaseException | None:
        return self.future.exception if self.future is not None and self.future.failed() else None


def is_wedged(client: Any) -> bool:
    """kafka-python 3.0.x's wedge, seen directly: state READY but no producer id (nothing will ever be sent).

    Reads the client's private state defensively; on another version it answers False and the
    bounded flush round still catches the wedge, only later."""
    manager = getattr(getattr(client, "_sender", None), "_transaction_manager", None)
    state = getattr(manager, "_current_state", None)
    try:
        return getattr(state, "name", "") == "READY" and not manager.has_producer_id()  # type: ignore[union-attr]
    except Exception:  # a different client layout: fall back to the timeout
        return False


def discard_client(client: Any) -> None:
    """Close a producer client without waiting; a wedged one refuses ``close()``, so stop its sender."""
    try:
        client.close(timeout=0)
    except Exception as exc:  # a wedged client raises from its own flush inside close()
        log.debug("Kafka producer did not close cleanly (%s); stopping its sender thread", exc)
        sender = getattr(client, "_sender", None)  # kafka-python 3.0.x: close() flushes first and gives up
        if sender is not None:
            sender.force_close()


class KafkaBusProducer(Producer):
    """acks=all, idempotent; ``flush()`` returns only when the broker acknowledged every message."""

    AUTO_FLUSH = 10_000  # bounds the memory held for resends when a caller never flushes

    def __init__(self, bootstrap: list[str], client_id: str, limits: KafkaLimits = DEFAULT_LIMITS) -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._limits = limits
        self._pending: list[_Message] = []
        self._client: Any = None
        self._refused = False
        self.rebuilds = 0
        try:
            self._client = self._build()
        except KafkaError as exc:
            raise BusError(f"Kafka producer cannot start: {exc}") from exc

    def _build(self) -> Any:
        lim = self._limits
        return KafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            batch_size=256 * 1024,
            max_request_size=8 * 1024 * 1024,
            request_timeout_ms=lim.request_timeout_ms,
            bootstrap_timeout_ms=lim.bootstrap_timeout_ms,
            delivery_timeout_ms=lim.delivery_timeout_ms,
            max_block_ms=lim.max_block_ms,
            reconnect_backoff_max_ms=lim.reconnect_backoff_max_ms,
            retry_backoff_ms=lim.retry_backoff_ms,
        )

    def publish(self, topic: str, key: str | None, value: bytes) -> None:
        message = _Message(topic, key.encode("utf-8") if key is not None else None, bytes(value))
        self._pending.append(message)
        # After one refusal (broker away: each send would wait max_block_ms) the rest wait for flush().
        if self._client is not None and not self._refused:
            self._refused = self._hand_over([message]) is not None
        if len(self._pending) >= self.AUTO_FLUSH:
            self.flush()

    def _hand_over(self, messages: list[_Message]) -> str | None:
        """Give unsent messages to the client; stop at the first refusal (no metadata, buffer full)."""
        for message in messages:
            if message.future is not None:
                continue
            try:
                message.future = self._client.send(message.topic, key=message.key, value=message.value)
            except KafkaError as exc:
                return f"send refused: {exc}"
        return None

    def _settle(self, timeout_s: float) -> str | None:
        """Wait for the client to complete what it holds; None, or why it did not."""
        if self._client is None:
            return "no client"
        self._refused = False
        unsent = self._hand_over(self._pending)
        if unsent is not None:
            return unsent
        end = time.monotonic() + timeout_s
        while True:
            try:
                self._client.flush(timeout=max(0.05, min(1.0, end - time.monotonic())))
                break
            except KafkaError as exc:
                if is_wedged(self._client):
                    return "the client lost its producer id and will never send again"
                if time.monotonic() >= end:
                    return f"no progress within {timeout_s:.0f} s ({exc})"
        failures = [m.failure for m in self._pending if m.failure is not None]
        if failures:
            return f"{len(failures)} message(s) failed: {failures[0]}"
        return None

    def flush(self) -> None:
        """Ride out an outage for ``flush_budget_s``: rebuild the client and resend until all is acknowledged."""
        budget = self._limits.flush_budget_s
        deadline = time.monotonic() + budget
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            problem = self._settle(min(self._limits.settle_round_s, remaining))
            self._pending = [m for m in self._pending if not m.acked]
            if not self._pending:
                return
            problem = problem or "unacknowledged messages left"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                lost = len(self._pending)
                self._pending = []  # the caller learns they are not durable and sends them again
                self._drop_client()  # and its next flush starts on a fresh client
                raise BusError(f"{lost} message(s) were not acknowledged by Kafka within {budget:.0f} s: {problem}")
            attempt += 1
            self._rebuild(problem, attempt)
            time.sleep(min(0.5 * 2 ** min(attempt, 4), 5.0, max(0.0, remaining)))

    def _rebuild(self, problem: str, attempt: int) -> None:
        log.warning("Kafka producer: %d message(s) unacknowledged (%s); rebuilding the client and resending"
                    " (attempt %d)", len(self._pending), problem, attempt)
        self._drop_client()
        for message in self._pending:
            message.future = None
        try:
            self._client = self._build()
            self.rebuilds += 1
        except KafkaError as exc:
            log.warning("Kafka producer: a new client cannot start yet (%s)", exc)

    def _drop_client(self) -> None:
        if self._client is not None:
            discard_client(self._client)
            self._client = None

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._client is not None:
                client, self._client = self._client, None
                try:
                    client.close(timeout=self._limits.close_timeout_s)
                except Exception:  # never let a dying client block or mask the flush error
                    discard_client(client)
