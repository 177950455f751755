"""Fault drills (issue 8): each fault mid-stream, then nothing lost, nothing applied twice, watcher on time.

Run: ``CI=true OTKLIK_TEST_KAFKA_BOOTSTRAP=... OTKLIK_TEST_POSTGRES_URL=... pytest tests/drills -m slow -s``.
The Kafka outage lasts ``OTKLIK_DRILL_KAFKA_OUTAGE_S`` seconds (default 60, as the issue asks). Every
drill feeds within a budget, drains within a budget and otherwise fails with the stages' stacks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.load import Pipeline, Services, services_for_run
from tests.drills.conftest import PrivateServices
from tests.drills.harness import assert_clean, classifier_available, run_drill, watcher_fires

pytestmark = [pytest.mark.integration, pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow,
              pytest.mark.timeout(600)]


@pytest.fixture
def services(private_services: PrivateServices, tmp_path: Path) -> Iterator[Services]:
    with services_for_run(private_services.bootstrap, private_services.admin_url, tmp_path, partitions=6) as s:
        yield s


def _once(at: float, action: Callable[[Pipeline], None]) -> Callable[[Pipeline, float], None]:
    fired = False

    def tick(pipeline: Pipeline, t: float) -> None:
        nonlocal fired
        if not fired and t >= at:
            fired = True
            action(pipeline)

    return tick


def test_drill_kill9_each_stage(services: Services) -> None:
    """kill -9 of every stage process mid-stream; the supervisor restarts each after 3 s."""
    victims = ["intake", "sla"] + (["classifier"] if classifier_available() else [])
    schedule = {5.0 + 6.0 * i: name for i, name in enumerate(victims)}
    done: set[float] = set()

    def tick(pipeline: Pipeline, t: float) -> None:
        for at, name in schedule.items():
            if at not in done and t >= at:
                done.add(at)
                for proc in pipeline.stage(name):
                    proc.kill9(hold_s=3.0)

    pipeline, result = run_drill(services, rate=80, seconds=25, on_tick=tick)
    print(result)
    assert_clean(result)
    for name in victims:
        assert all(p.starts >= 2 for p in pipeline.stage(name)), f"{name} was not killed and restarted"
    fired = watcher_fires(services)
    assert fired["breaches"] >= 1 and fired["on_due_instant"], fired


class Outage:
    """Stops the broker, waits, starts it again, in a thread; remembers a failure instead of losing it."""

    def __init__(self, services: PrivateServices, seconds: float) -> None:
        self.services = services
        self.seconds = seconds
        self.error: BaseException | None = None
        self.down_s: float | None = None
        self.thread = threading.Thread(target=self._run, name="kafka-outage", daemon=True)

    def _run(self) -> None:
        began = time.monotonic()
        try:
            self.services.kafka("stop")
            time.sleep(self.seconds)
        except BaseException as exc:  # reported by the test, never swallowed by the thread
            self.error = exc
        finally:
            try:
                self.services.kafka("start")
                self.down_s = round(time.monotonic() - began, 1)
            except BaseException as exc:
                self.error = self.error or exc


def test_drill_kafka_broker_down(services: Services, private_services: PrivateServices) -> None:
    """The broker stops mid-stream for the outage and comes back; producers and stages ride it out.

    With the client limits (delivery timeout 30 s < outage) every unacknowledged batch expires
    during the outage, which is what wedged kafka-python's idempotent producer for good before
    (the CI hang); the bus now rebuilds such a client and resends.
    """
    outage = Outage(private_services, float(os.environ.get("OTKLIK_DRILL_KAFKA_OUTAGE_S", "60")))
    try:
        _pipeline, result = run_drill(services, rate=50, seconds=12,
                                      on_tick=_once(4.0, lambda _p: outage.thread.start()))
    finally:
        if outage.thread.ident is not None:
            outage.thread.join(timeout=outage.seconds + 300)
    assert outage.error is None, f"the outage could not be staged: {outage.error}"
    assert outage.down_s is not None, "the broker was never stopped (the drill ended before the fault)"
    result["broker_down_s"] = outage.down_s
    print(result)
    assert_clean(result)
    fired = watcher_fires(services)
    assert fired["breaches"] >= 1 and fired["on_due_instant"], fired


def test_drill_postgres_restart(services: Services, private_services: PrivateServices) -> None:
    """PostgreSQL restarts mid-stream (fast stop rolls back the open transactions), intake reconnects."""

    def restart(_pipeline: Pipeline) -> None:
        private_services.postgres("stop")
        time.sleep(3.0)
        private_services.postgres("start")

    _pipeline, result = run_drill(services, rate=80, seconds=20, on_tick=_once(6.0, restart))
    print(result)
    assert_clean(result)
    fired = watcher_fires(services)
    assert fired["breaches"] >= 1 and fired["on_due_instant"], fired


LOCKER = """
import sys, time, chdb
session = chdb.session.Session(sys.argv[1])
session.query("SELECT 1")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_drill_analytics_store_unavailable(services: Services) -> None:
    """The chDB folder is held by another process: the sla stage cannot open it and commits nothing;
    once free it catches up from its committed offsets, so no analytics row is missing."""
    hold = 15.0
    lockers: list[subprocess.Popen[str]] = []

    def take_store(pipeline: Pipeline) -> None:
        for proc in pipeline.stage("sla"):
            proc.kill9(hold_s=2.0)
        locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(services.data_dir / "chdb"), str(hold)],
                                  stdout=subprocess.PIPE, text=True, start_new_session=True)
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        lockers.append(locker)

    try:
        pipeline, result = run_drill(services, rate=80, seconds=25, on_tick=_once(4.0, take_store))
    finally:
        for locker in lockers:
            locker.kill()
            locker.wait()
    print(result)
    sla = pipeline.stage("sla")[0]
    assert sla.crashes >= 1, "the sla stage never met the unavailable store"
    assert_clean(result)
    fired = watcher_fires(services)
    assert fired["breaches"] >= 1 and fired["on_due_instant"], fired
