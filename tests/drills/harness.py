"""One drill: the pipeline as processes under load, a fault injected, then reconciliation and the watcher."""

from __future__ import annotations

import json
import os
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
from otklik.bus.kafka import KafkaBus


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


def run_drill(services: Services, rate: float, seconds: float,
              on_tick: Callable[[Pipeline, float], None] | None = None) -> tuple[Pipeline, dict[str, Any]]:
    """Feed, inject, drain, reconcile (workflow DB and analytics store)."""
    skip = not classifier_available()
    pipeline = Pipeline(services, stage_counts())
    pipeline.prepare()
    pipeline.start()
    bus = KafkaBus(services.bootstrap, partitions=services.partitions)
    feeder = Feeder(bus, uuid.uuid4().hex[:8], skip_classifier=skip)
    try:
        figures = drive(pipeline, feeder, rate, seconds,
                        on_tick=(lambda t: on_tick(pipeline, t)) if on_tick else None, drain_timeout_s=180)
    finally:
        feeder.close()
        pipeline.stop()
        bus.close()
    result = result_of(pipeline, feeder, figures, skip)
    result["analytics"] = analytics_reconciliation(services, feeder.sent)
    _keep(result)
    return pipeline, result


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
    assert result["drained"], f"the pipeline did not drain: {result['lag_final']}"
    assert rec["sent"] > 0
    assert rec["lost"] == 0, f"lost posts: {rec['lost_sample']}"
    assert rec["accounted"] == rec["sent"]
    assert rec["applied_twice"] == 0, rec["applied_twice_by_kind"]
    assert result["analytics"]["posts_missing"] == 0, result["analytics"]
    assert result["analytics"]["events_missing"] == 0, result["analytics"]
