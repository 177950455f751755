"""The spooled sla path: same rows as inserting on every poll, nothing lost across a crash or a refused insert."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from sla_tracker.analytics.consumer import handle_values, spooled_writer
from sla_tracker.analytics.processor import process
from sla_tracker.analytics.spool import Spool, SpoolError
from sla_tracker.analytics.store import AnalyticsStore
from sla_tracker.analytics.writer import SlaWriter
from tests.sla_tracker.analytics.month import Month, generate

TABLES: dict[str, str] = {
    "posts": "SELECT * EXCEPT inserted_at FROM posts FINAL ORDER BY uid, version",
    "case_events": "SELECT * EXCEPT inserted_at FROM case_events FINAL ORDER BY case_id, event_id",
    "clock_outcomes": "SELECT * FROM clock_outcomes_v ORDER BY case_id, agency, kind, clock_id",
    "suggestion_decisions": "SELECT * FROM suggestion_decisions FINAL ORDER BY case_id, field",
    "posts_daily": "SELECT day, network, topic, municipality, importance, uniqExactMerge(posts) FROM posts_daily"
                   " GROUP BY ALL ORDER BY ALL",
    "case_events_daily": "SELECT day, type, agency, clock, to_state, is_repeat, uniqExactMerge(events),"
                         " uniqExactMerge(cases) FROM case_events_daily GROUP BY ALL ORDER BY ALL",
    "clock_outcomes_daily": "SELECT day, agency, kind, uniqExactMerge(started), uniqExactMerge(breached)"
                            " FROM clock_outcomes_daily GROUP BY ALL ORDER BY ALL",
}


@pytest.fixture(scope="module")
def month() -> Month:
    return generate(cases=120)


def bus_messages(month: Month) -> list[tuple[str, bytes]]:
    """Posts and events interleaved as a poll over both topics sees them, with two unreadable ones."""
    posts = [("posts.classified", p.to_bytes()) for p in month.posts]
    events = [("cases.events", e.to_bytes()) for e in month.events]
    out: list[tuple[str, bytes]] = []
    for i in range(max(len(posts), len(events))):
        out += posts[i:i + 1] + events[2 * i:2 * i + 2]
    out += events[2 * len(posts):]
    out.insert(40, ("cases.events", b"{broken"))
    out.insert(90, ("posts.classified", b'{"post": 1}'))
    return out


def snapshot(store: AnalyticsStore) -> dict[str, list[tuple[Any, ...]]]:
    return {table: store.query(sql) for table, sql in TABLES.items()}


def truncate(store: AnalyticsStore) -> None:
    for table in TABLES:
        if table != "clock_outcomes":
            store.client.command(f"TRUNCATE TABLE {table}")
    store.client.command("TRUNCATE TABLE clock_outcomes")


def feed(writer: SlaWriter, messages: Sequence[tuple[str, bytes]], poll: int) -> int:
    return sum(handle_values(writer, messages[i:i + poll]) for i in range(0, len(messages), poll))


def test_spooled_path_writes_the_same_rows_as_inserting_every_poll(store: AnalyticsStore, month: Month,
                                                                   tmp_path: Path) -> None:
    messages = bus_messages(month)
    feed(SlaWriter(store), messages, poll=37)
    before = snapshot(store)
    assert all(before.values()), {t: len(r) for t, r in before.items()}
    truncate(store)
    assert not any(snapshot(store).values())
    ticks = iter(range(10**6))
    writer = spooled_writer(store, tmp_path / "spool" / "sla.spool", batch_size=400, clock=lambda: next(ticks) / 10)
    rows = feed(writer, messages, poll=37)
    writer.close()
    assert snapshot(store) == before
    expected = sum(len(process(p)) for p in month.posts) + sum(len(process(e)) for e in month.events)
    assert rows == expected  # every row is reported durable


def test_spooled_batches_wait_for_the_batch_size_or_the_delay(store: AnalyticsStore, month: Month,
                                                            tmp_path: Path) -> None:
    now = [0.0]
    writer = spooled_writer(store, tmp_path / "sla.spool", batch_size=10_000, max_delay_s=1.0, clock=lambda: now[0])
    messages = bus_messages(month)
    handle_values(writer, messages[:50])
    assert store.count("case_events") == 0 and writer.pending() > 0 and writer.spool is not None
    assert writer.spool.size > 0
    now[0] = 1.0
    handle_values(writer, messages[50:60])
    assert writer.pending() == 0 and writer.spool.size == 0
    assert store.count("case_events") > 0
    writer.close()


def test_a_crash_before_the_insert_loses_nothing(store: AnalyticsStore, month: Month, tmp_path: Path) -> None:
    """kill -9 after the offsets were committed: the spool holds the polls, the next start writes them."""
    path = tmp_path / "sla.spool"
    messages = bus_messages(month)
    writer = spooled_writer(store, path, batch_size=10**6, max_delay_s=10**6)
    feed(writer, messages, poll=50)
    assert store.count("case_events") == 0
    assert writer.spool is not None
    writer.spool.close()  # the process died: its lock goes, the file stays
    with path.open("ab") as fh:
        fh.write(b"\x10\x00\x05\x00\x00\x00cases.ev")  # a record cut short by the crash
    writer = spooled_writer(store, path)
    assert writer.pending() == 0 and path.stat().st_size == 0
    assert store.count("case_events") == len(month.events)
    assert store.count("posts") == len(month.posts)
    replayed = snapshot(store)
    assert feed(SlaWriter(store), messages, poll=1000) > 0  # the bus redelivers the same polls: nothing changes
    assert snapshot(store) == replayed
    writer.close()


def test_a_refused_insert_keeps_the_spool_for_the_next_start(store: AnalyticsStore, month: Month,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "sla.spool"
    writer = spooled_writer(store, path, batch_size=10**6, max_delay_s=10**6)
    feed(writer, bus_messages(month), poll=50)
    store.client.command("RENAME TABLE case_events TO case_events_away")
    try:
        with pytest.raises(Exception, match="case_events"):
            writer.flush()
        writer.close()  # logs the failure, does not raise
        assert path.stat().st_size > 0
    finally:
        store.client.command("RENAME TABLE case_events_away TO case_events")
    spooled_writer(store, path).close()
    assert store.count("case_events") == len(month.events)
    assert path.stat().st_size == 0


def test_one_spool_per_process(tmp_path: Path) -> None:
    first = Spool(tmp_path / "sla.spool")
    try:
        with pytest.raises(SpoolError, match="another process"):
            Spool(tmp_path / "sla.spool")
    finally:
        first.close()


def test_spool_reads_back_what_it_appended(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "sla.spool")
    batch = [("cases.events", b'{"a": 1}'), ("posts.classified", "Прокопьевск".encode()), ("cases.events", b"")]
    spool.append(batch)
    spool.append(batch[:1])
    assert spool.read() == batch + batch[:1]
    spool.clear()
    assert spool.read() == [] and spool.size == 0
    spool.close()


def test_by_default_analysts_see_a_poll_within_two_seconds(store: AnalyticsStore, month: Month,
                                                            tmp_path: Path) -> None:
    """The stage's defaults (docs/analytics.md): an insert every 2 s, or sooner at 20,000 buffered rows."""
    now = [0.0]
    writer = spooled_writer(store, tmp_path / "sla.spool", clock=lambda: now[0])
    assert (writer.max_delay_s, writer.batch_size) == (2.0, 20_000)
    messages = bus_messages(month)
    handle_values(writer, messages[:50])
    now[0] = 1.9
    handle_values(writer, messages[50:60])
    assert store.count("case_events") == 0
    now[0] = 2.0
    handle_values(writer, messages[60:70])
    assert writer.pending() == 0 and store.count("case_events") > 0
    writer.close()
