"""One drill: the pipeline as processes under load, a fault injected, then reconciliation and the watcher."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.load import (
    OTKLIK,
    REPO,
    Feeder,
    Pipeline,
    Services,
    _sessions,
    classifier_problem,
    drive,
    make_post,
    result_of,
)
from otklik.bus import BusError, Producer
from otklik.bus.kafka import KafkaBus, KafkaLimits


@lru_cache(maxsize=1)
def classifier_available() -> bool:
    """The classifier stage runs only when its package and a trained model are installed."""
    problem = classifier_problem()
    if problem is not None:
        warnings.warn(f"classifier stage left out of the drills: {problem}", stacklevel=2)
    return problem is None


def stage_counts() -> dict[str, int]:
    base = {"intake": 1, "sla": 1}
    return {"classifier": 1, **base} if classifier_available() else base


class DrillOverBudget(AssertionError):
    """The drill could not feed within its budget: the bus never took the posts back."""


class _BudgetedProducer(Producer):
    """The feeder's producer, failing the drill (not retrying for ever) once the feed budget is spent."""

    def __init__(self, inner: Producer, deadline: float, budget_s: float) -> None:
        self._inner = inner  # read by the result: how often the feeder's Kafka client was rebuilt
        self._deadline = deadline
        self._budget_s = budget_s

    def publish(self, topic: str, key: str | None, value: bytes) -> None:
        self._inner.publish(topic, key, value)

    def flush(self) -> None:
        if time.monotonic() > self._deadline:
            raise DrillOverBudget(f"the feed did not finish within {self._budget_s:.0f} s: Kafka did not take the"
                                  " posts back after the fault")
        self._inner.flush()

    def close(self) -> None:
        with contextlib.suppress(BusError):  # after an over-budget failure, closing must not hide why
            self._inner.close()


def run_drill(services: Services, rate: float, seconds: float,
              on_tick: Callable[[Pipeline, float], None] | None = None,
              feed_budget_s: float = 240.0, drain_timeout_s: float = 150.0) -> tuple[Pipeline, dict[str, Any]]:
    """Feed, inject, drain, reconcile (workflow DB and analytics store), each phase within a budget.

    The feed may stall while the fault lasts (the feeder waits for the broker) but not past
    ``feed_budget_s``; the drain gets ``drain_timeout_s``. When the pipeline does not drain,
    the stages' stacks (SIGUSR1 -> faulthandler) and log tails are added to the result.
    """
    skip = not classifier_available()
    pipeline = Pipeline(services, stage_counts())
    pipeline.prepare()
    pipeline.start()
    # The feeder's flush gives the bus back control every 30 s at most, so the budget is checked.
    bus = KafkaBus(services.bootstrap, partitions=services.partitions, limits=KafkaLimits(flush_budget_s=30.0))
    feeder = Feeder(bus, uuid.uuid4().hex[:8], skip_classifier=skip)
    budgeted = _BudgetedProducer(feeder.producer, time.monotonic() + feed_budget_s, feed_budget_s)
    feeder.producer = budgeted
    started = time.monotonic()
    diagnostics: dict[str, str] = {}
    try:
        figures = drive(pipeline, feeder, rate, seconds,
                        on_tick=(lambda t: on_tick(pipeline, t)) if on_tick else None,
                        drain_timeout_s=drain_timeout_s)
        if not figures["drained"]:
            diagnostics = stage_diagnostics(pipeline)
    except DrillOverBudget:
        diagnostics = stage_diagnostics(pipeline)
        print("\n".join(f"--- {name}\n{tail}" for name, tail in diagnostics.items()))
        raise
    finally:
        feeder.close()
        pipeline.stop()
        bus.close()
    result = result_of(pipeline, feeder, figures, skip)
    result["analytics"] = analytics_reconciliation(services, feeder.sent)
    result["drill_s"] = round(time.monotonic() - started, 1)
    result["feeder_client_rebuilds"] = getattr(budgeted._inner, "rebuilds", None)
    if diagnostics:
        result["diagnostics"] = diagnostics
    _keep(result)
    return pipeline, result


def stage_diagnostics(pipeline: Pipeline, tail_lines: int = 40) -> dict[str, str]:
    """Every live stage dumps its threads' stacks into its log (faulthandler on SIGUSR1); return the tails."""
    for proc in pipeline.procs:
        if proc.alive and proc.proc is not None:
            os.kill(proc.proc.pid, signal.SIGUSR1)
    time.sleep(1.0)
    tails: dict[str, str] = {}
    for proc in pipeline.procs:
        log = proc.logdir / f"{proc.name}-{proc.slot}.log"
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
        tails[f"{proc.name}-{proc.slot}"] = "\n".join(lines[-tail_lines:])
    return tails


def analytics_reconciliation(services: Services, sent: list[str]) -> dict[str, Any]:
    """Read the chDB folder in a child process (one process per folder), after the sla stage stopped."""
    code = (
        "import json,sys\n"
        "from otklik.reconcile import reconcile_analytics\n"
        "from cases.db import make_engine, session_factory\n"
        "from sla_tracker.analytics.store import AnalyticsStore\n"
        "sent=json.load(open(sys.argv[1]))\n"
        "store=AnalyticsStore(sys.argv[2])\n"
        "print(json.dumps(reconcile_analytics(session_factory(make_engine(sys.argv[3])),store.client,sent)))\n"
        "store.close()\n"
    )
    sent_file = services.data_dir / "sent.json"
    sent_file.write_text(json.dumps(sent))
    done = subprocess.run([str(Path(OTKLIK).with_name("python")), "-c", code, str(sent_file),
                           f"chdb:///{services.data_dir / 'chdb'}", services.database_url],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    if done.returncode != 0:
        raise AssertionError(f"analytics reconciliation failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def watcher_fires(services: Services, timeout_s: float = 60.0) -> dict[str, Any]:
    """R24 after recovery: a case whose clocks fell due while we were down gets its breach at the due instant."""
    from cases.config import CaseConfig
    from cases.intake import intake
    from cases.models import Breach, Clock, OutboxMessage
    from otklik.settings import REPO_ROOT
    from schemas import ClassifiedPost, Suggestion

    sessions = _sessions(services.database_url)
    import random

    post = make_post(0, f"late{uuid.uuid4().hex[:6]}", random.Random(1))
    opened_at = datetime.now(UTC) - timedelta(days=3)
    with sessions() as session:
        case_id = intake(session, ClassifiedPost(post=post, suggestion=Suggestion(model_version="drill")), opened_at,
                         config=CaseConfig.load(REPO_ROOT / "regions" / "kuzbass")).case_id
        session.commit()
    watcher = subprocess.Popen([OTKLIK, "run", "watcher"], env=services.env(), cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            with sessions() as session:
                breaches = session.scalars(select(Breach).where(Breach.case_id == case_id)).all()
                clocks = {c.id: c for c in session.scalars(select(Clock).where(Clock.case_id == case_id))}
                relayed = session.scalar(select(OutboxMessage.published_at).where(
                    OutboxMessage.key == str(case_id), OutboxMessage.payload.contains('"clock_breached"'),
                    OutboxMessage.published_at.is_not(None)).limit(1))
            if breaches and relayed is not None:
                return {"case_id": case_id, "breaches": len(breaches),
                        "on_due_instant": all(b.breached_at == clocks[b.clock_id].due_at for b in breaches),
                        "kinds": sorted(b.kind for b in breaches)}
            if watcher.poll() is not None:
                raise AssertionError(f"the watcher exited: {watcher.stderr.read()[-2000:] if watcher.stderr else ''}")
            time.sleep(1.0)
        raise AssertionError(f"no breach for case {case_id} within {timeout_s:.0f} s")
    finally:
        watcher.terminate()
        try:
            watcher.wait(timeout=20)
        except subprocess.TimeoutExpired:
            watcher.kill()
            watcher.wait()


def _keep(result: dict[str, Any]) -> None:
    """Append the drill's figures to ``OTKLIK_DRILL_REPORT`` (JSON lines) when set, for the closing note."""
    path = os.environ.get("OTKLIK_DRILL_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(result, ensure_ascii=False) + "\n")


def assert_clean(result: dict[str, Any]) -> None:
    rec = result["reconciliation"]
    assert result["drained"], (f"the pipeline did not drain: lag {result['lag_final']}, stage logs and stacks:\n"
                               + "\n".join(f"--- {k}\n{v}" for k, v in result.get("diagnostics", {}).items()))
    assert rec["sent"] > 0
    assert rec["lost"] == 0, f"lost posts: {rec['lost_sample']}"
    assert rec["accounted"] == rec["sent"]
    assert rec["applied_twice"] == 0, rec["applied_twice_by_kind"]
    assert result["analytics"]["posts_missing"] == 0, result["analytics"]
    assert result["analytics"]["events_missing"] == 0, result["analytics"]
