"""Builds the real parts from settings: bus, workflow DB, analytics store, classifier.

Every part is opened on demand, never at import, so ``otklik doctor`` can report each
one that is wrong instead of dying on the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from otklik.bus import Bus, open_bus
from otklik.bus.kafka_limits import DEFAULT_LIMITS, KafkaLimits
from otklik.settings import Settings
from schemas.topics import ALL_TOPICS


def kafka_limits_from(settings: Settings) -> KafkaLimits:
    return replace(DEFAULT_LIMITS, fetch_min_bytes=settings.kafka_fetch_min_bytes,
                   fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms)


def bus_from(settings: Settings) -> Bus:
    bus = open_bus(settings.bus_dsn, partitions=settings.kafka_partitions, replication=settings.kafka_replication,
                   client_id=settings.kafka_client_id, kafka_limits=kafka_limits_from(settings))
    bus.ensure_topics(ALL_TOPICS)
    return bus


def database_from(settings: Settings, *, migrate: bool = True) -> Any:
    """A session factory on the workflow DB, migrated to head and seeded with the region's agencies."""
    from cases.db import make_engine, session_factory
    from cases.db import migrate as migrate_db
    from cases.seed import load_region

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate:
        migrate_db(settings.database_dsn)
    factory = session_factory(make_engine(settings.database_dsn))
    with factory() as session:
        load_region(session, settings.region_dir)
        session.commit()
    return factory


def analytics_from(settings: Settings, *, migrate: bool = True) -> Any:
    from sla_tracker.analytics.store import AnalyticsStore

    store = AnalyticsStore(settings.clickhouse_dsn)
    if migrate:
        store.migrate()
    return store


def classifier_from(settings: Settings) -> Any:
    from classifier.pipeline import Classifier

    return Classifier.load(settings.region_dir)


@dataclass
class Problem:
    part: str
    where: str
    problem: str | None
    hint: str = ""


@dataclass
class Doctor:
    """Each configured part, checked on its own, described in plain words."""

    settings: Settings
    results: list[Problem] = field(default_factory=list)

    def run(self) -> list[Problem]:
        self._check("message bus", self.settings.bus_dsn.split("@")[-1], self._bus,
                    "start Kafka (scripts/kafka.sh start) or unset OTKLIK_KAFKA_BOOTSTRAP for the embedded bus")
        self._check("workflow database", _redact(self.settings.database_dsn), self._db,
                    "start PostgreSQL (scripts/postgres.sh start), check OTKLIK_DATABASE_URL, then `otklik migrate`")
        self._check("analytics store", _redact(self.settings.clickhouse_dsn), self._analytics,
                    "check OTKLIK_CLICKHOUSE_URL (http://host:8123) or unset it for embedded chDB")
        self._check("region data", str(self.settings.region_dir), self._region,
                    "set OTKLIK_REGION / OTKLIK_REGIONS_DIR to a folder with region.yaml")
        self._check("classifier model", str(self.settings.region_dir), self._classifier,
                    "train one: otklik model train --data CSV --out DIR")
        self._collector_sources()
        return self.results

    def _collector_sources(self) -> None:
        """One line per watched source that has run here: a stopped source is a problem to act on."""
        state_dir = self.settings.data_dir / "collectors"
        if not (state_dir.exists() and any(state_dir.iterdir())):
            return
        from collectors.runner import collector_health

        for health in collector_health(str(state_dir)):
            problem = None
            if health.status in ("down", "backoff", "rate_limited"):
                problem = f"status {health.status}, {health.consecutive_errors} errors in a row: {health.last_error}"
            self.results.append(Problem(f"source {health.source}", health.network, problem,
                                        "check its token / account in the secrets, then `otklik collect health`"
                                        if problem else ""))

    def _check(self, part: str, where: str, fn: Any, hint: str) -> None:
        try:
            problem = fn()
        except Exception as exc:
            problem = f"{type(exc).__name__}: {exc}"
        self.results.append(Problem(part, where, problem, hint if problem else ""))

    def _bus(self) -> str | None:
        bus = open_bus(self.settings.bus_dsn, partitions=self.settings.kafka_partitions)
        try:
            bus.ensure_topics(ALL_TOPICS)
            missing = [t for t in ALL_TOPICS if bus.partitions(t) < 1]
            return f"topics without partitions: {missing}" if missing else None
        finally:
            bus.close()

    def _db(self) -> str | None:
        from cases.db import check

        result: str | None = check(self.settings.database_dsn)
        return result

    def _analytics(self) -> str | None:
        from sla_tracker.analytics.store import AnalyticsStore

        store = AnalyticsStore(self.settings.clickhouse_dsn)
        try:
            return store.check()
        finally:
            store.close()

    def _region(self) -> str | None:
        card = self.settings.region_dir / "region.yaml"
        return None if card.is_file() else f"{card} is missing"

    def _classifier(self) -> str | None:
        classifier_from(self.settings)
        return None


def _redact(dsn: str) -> str:
    from sla_tracker.analytics.store import redact_dsn

    return redact_dsn(dsn)
