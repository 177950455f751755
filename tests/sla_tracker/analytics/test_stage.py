"""The sla stage as ``otklik run sla`` wires it (embedded bus, chDB): polls are spooled, the idle hook
and a clean stop put them into the store."""

from __future__ import annotations

from pathlib import Path

from otklik.bus.processing import process_batch
from otklik.settings import Settings
from otklik.stages import Counters
from otklik.topology import Resources, build_loop
from otklik.wiring import bus_from
from sla_tracker.analytics.store import AnalyticsStore
from tests.sla_tracker.analytics.month import generate


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", kafka_bootstrap=None, clickhouse_url=None)


def _count(settings: Settings, table: str) -> int:
    store = AnalyticsStore(f"chdb:///{settings.data_dir / 'chdb'}")
    try:
        return store.count(table)
    finally:
        store.close()


def test_sla_stage_spools_polls_and_writes_them_when_idle_or_stopping(tmp_path: Path) -> None:
    month = generate(cases=30)
    settings = _settings(tmp_path)
    bus = bus_from(settings)
    producer = bus.producer()
    for post in month.posts:
        producer.publish("posts.classified", post.post.uid, post.to_bytes())
    for event in month.events:
        producer.publish("cases.events", str(event.case_id), event.to_bytes())
    producer.flush()
    resources = Resources(settings)
    counters = Counters()
    loop = build_loop("sla", bus, resources, counters)
    consumed = 0
    while (n := process_batch(loop.consumer, loop.handler, producer, max_records=40, timeout_s=0.0)[0]):
        consumed += n
    assert consumed == len(month.posts) + len(month.events)
    spool = settings.data_dir / "analytics-spool" / "sla.spool"
    assert counters.values["analytics_rows"] > 0
    loop.idle(resources, producer)
    assert spool.stat().st_size == 0 and resources.writer.pending() == 0
    assert resources.store.count("case_events") == len(month.events)
    # a last poll that is still spooled when the stage stops goes in on close
    producer.publish("cases.events", "1", month.events[0].model_copy(update={"event_id": "late"}).to_bytes())
    producer.flush()
    process_batch(loop.consumer, loop.handler, producer, timeout_s=0.0)
    assert resources.writer.pending() > 0
    loop.consumer.close()
    producer.close()
    bus.close()
    resources.close()
    assert _count(settings, "case_events") == len(month.events) + 1
    assert _count(settings, "posts") == len(month.posts)
