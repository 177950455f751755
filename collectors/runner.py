"""Runs many sources on one schedule: jittered polling, backoff, rate limits, stop-on-auth-failure.

One failing source never stops the others: each keeps its own next-due time and error
count. See :mod:`collectors.state` for why a kill at any point neither loses nor repeats posts.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from collectors import metrics
from collectors.base import CollectorError, Page, PostSink, RateLimited, Source, SourceDown
from collectors.state import CollectorState, LedgerEntry, SourceHealth, content_digest
from schemas import Alert, AlertKind, Post, PostRejection

log = logging.getLogger("otklik.collectors")

BACKOFF_BASE_S = 5.0
BACKOFF_MAX_S = 900.0
JITTER = 0.2
LEDGER_KEEP_S = 90 * 86_400.0
"""Ledger rows untouched this long are dropped: sources never look back that far."""
PRUNE_EVERY_S = 3600.0


@dataclass
class _Slot:
    source: Source
    health: SourceHealth
    next_due: float = 0.0
    idle: bool = False


def backoff_delay(consecutive_errors: int, rng: random.Random) -> float:
    """5 s, 10 s, 20 s ... capped at 15 min, each +-20 % so restarts do not stampede an API."""
    base = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, consecutive_errors - 1))
    return base * (1 + rng.uniform(-JITTER, JITTER))


class Runner:
    def __init__(self, sources: Sequence[Source], sink: PostSink, state: CollectorState, *,
                 clock: Callable[[], float] = time.time, rng: random.Random | None = None) -> None:
        names = [s.name for s in sources]
        if len(set(names)) != len(names):
            raise ValueError(f"source names must be unique: {names}")
        self.sink = sink
        self.state = state
        self.clock = clock
        self.rng = rng or random.Random()
        self.slots = [_Slot(s, SourceHealth(source=s.name, network=s.network)) for s in sources]
        self._pruned_at = self.clock()

    # --- recovery ------------------------------------------------------------------------
    def recover(self, source: str | None = None) -> int:
        """Settle batches left between publish and ledger commit (a crash, or a failed flush):
        exactly the (uid, version) pairs found on the bus after the batch's mark enter the
        ledger; the cursor stays, so the page is fetched again. Returns how many had landed."""
        landed_total = 0
        for name, mark, entries in self.state.pending(source):
            published = self.sink.published_since(mark, {e.uid for e in entries})
            landed = [e for e in entries if (e.uid, e.version) in published]
            self.state.resolve_pending(name, landed)
            landed_total += len(landed)
            log.info("settled pending batch of %s: %d of %d already on the bus", name, len(landed), len(entries),
                     extra={"source": name})
        return landed_total

    # --- one poll ------------------------------------------------------------------------
    def poll_once(self, slot: _Slot) -> Page:
        source = slot.source
        self.recover(source.name)
        page = source.fetch(self.state.cursor(source.name))
        posts = [i for i in page.items if isinstance(i, Post)]
        rejections = [i for i in page.items if isinstance(i, PostRejection)]
        known = self.state.known({p.uid for p in posts})
        entries: list[LedgerEntry] = []
        fresh: list[Post] = []
        for post in posts:
            digest = content_digest(post)
            last = known.get(post.uid)
            if last is not None and last[1] == digest:
                continue
            version = 1 if last is None else last[0] + 1
            post.version = version
            known[post.uid] = (version, digest)
            entries.append(LedgerEntry(post.uid, version, digest))
            fresh.append(post)
        if fresh:
            self.state.begin_pending(source.name, self.sink.mark(), entries)
        for post in fresh:
            self.sink.emit(post)
        for rejection in rejections:
            self.sink.reject(rejection)
        self.sink.flush()
        self.state.commit_batch(source.name, entries, page.cursor)
        self._record_success(slot, fresh, len(rejections))
        return page

    def _record_success(self, slot: _Slot, fresh: list[Post], rejected: int) -> None:
        h = slot.health
        now = self.clock()
        h.status, h.last_success, h.consecutive_errors = "ok", now, 0
        h.posts_total += len(fresh)
        if fresh:
            newest = max(p.created_at for p in fresh)
            h.lag_s = max(0.0, now - newest.timestamp())
            metrics.LAG.labels(h.source).set(h.lag_s)
            metrics.POSTS.labels(h.source, h.network).inc(len(fresh))
        if rejected:
            metrics.REJECTED.labels(h.source, h.network).inc(rejected)
        metrics.LAST_SUCCESS.labels(h.source).set(now)
        metrics.UP.labels(h.source).set(1)
        self.state.save_health(h)

    def _record_error(self, slot: _Slot, kind: str, message: str) -> None:
        h = slot.health
        h.errors_total += 1
        h.consecutive_errors += 1
        h.last_error, h.last_error_at = message[:500], self.clock()
        metrics.ERRORS.labels(h.source, h.network, kind).inc()
        metrics.UP.labels(h.source).set(0)

    # --- schedule ------------------------------------------------------------------------
    def step(self, slot: _Slot) -> None:
        """Poll one source and decide when it is due next."""
        source, h = slot.source, slot.health
        now = self.clock()
        try:
            page = self.poll_once(slot)
        except RateLimited as exc:
            self._record_error(slot, "rate_limited", str(exc))
            h.status = "rate_limited"
            slot.next_due = now + exc.retry_after * (1 + self.rng.uniform(0, JITTER))
            log.warning("source %s rate-limited, retry in %.0f s: %s", source.name, exc.retry_after, exc,
                        extra={"source": source.name})
        except SourceDown as exc:
            self._record_error(slot, "down", str(exc))
            h.status = "down"
            slot.next_due = float("inf")
            log.error("source %s stopped: %s", source.name, exc, extra={"source": source.name})
            self.sink.alert(Alert(
                alert_id=f"source_down:{source.name}:{int(now)}", kind=AlertKind.SOURCE_DOWN,
                title=f"Источник «{source.name}» остановлен",
                body=f"Сбор из источника {source.name} ({source.network}) остановлен: {exc}. "
                     "Нужно проверить токен или доступ аккаунта.",
                recipients=["admin"], data={"source": source.name, "network": source.network},
            ))
            self.sink.flush()
        except Exception as exc:  # one broken source (or a bus hiccup) must not stop the others
            self._record_error(slot, "error", f"{type(exc).__name__}: {exc}")
            h.status = "backoff"
            slot.next_due = now + backoff_delay(h.consecutive_errors, self.rng)
            log.warning("source %s failed (%d in a row): %s: %s", source.name, h.consecutive_errors,
                        type(exc).__name__, exc, extra={"source": source.name},
                        exc_info=not isinstance(exc, CollectorError))
        else:
            slot.idle = not page.items and not page.more
            if page.more:
                slot.next_due = now
            else:
                slot.next_due = now + source.interval_s * (1 + self.rng.uniform(-JITTER, JITTER))
        self.state.save_health(h)

    def run(self, stop: threading.Event | None = None, *, exit_when_idle: bool = False,
            max_steps: int | None = None) -> None:
        stop = stop or threading.Event()
        self.recover()
        steps = 0
        while not stop.is_set():
            live = [s for s in self.slots if s.next_due != float("inf")]
            if not live or (exit_when_idle and all(s.idle for s in live)):
                return
            slot = min(live, key=lambda s: s.next_due)
            wait = slot.next_due - self.clock()
            if wait > 0:
                if stop.wait(min(wait, 1.0)):
                    return
                continue
            self.step(slot)
            steps += 1
            if self.clock() - self._pruned_at > PRUNE_EVERY_S:
                self.state.prune(LEDGER_KEEP_S)
                self._pruned_at = self.clock()
            if max_steps is not None and steps >= max_steps:
                return

    def health(self) -> list[SourceHealth]:
        return [s.health for s in self.slots]


def collector_health(state_dir: str) -> list[SourceHealth]:
    """For ``otklik doctor``: the last recorded health of every source, from the state file."""
    state = CollectorState(state_dir)
    try:
        return state.health()
    finally:
        state.close()
