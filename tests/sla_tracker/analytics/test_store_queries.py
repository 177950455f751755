"""The SLA writer and the report queries, on chDB always and on a server when one is configured."""

from __future__ import annotations

import pytest

from sla_tracker.analytics import queries
from sla_tracker.analytics.queries import Window
from sla_tracker.analytics.store import AnalyticsStore
from sla_tracker.analytics.writer import SlaWriter
from tests.sla_tracker.analytics.month import Month, generate


def load(store: AnalyticsStore, month: Month, batch_size: int = 97) -> SlaWriter:
    writer = SlaWriter(store, batch_size=batch_size)
    writer.add_many(month.posts)
    writer.add_many(month.events)
    writer.flush()
    return writer


@pytest.fixture(scope="module")
def month() -> Month:
    return generate()


def test_r25_timeliness_per_agency_and_clock_match_plain_python(store: AnalyticsStore, month: Month) -> None:
    load(store, month)
    window = Window.month(2026, 3, "Asia/Novokuznetsk")
    for by, attr in (("agency", "agency"), ("kind", "kind")):
        got = {t.key: (t.clocks, t.on_time, t.breached, t.median_min, t.p90_min)
               for t in queries.timeliness(store, window, by)}
        expected = month.timeliness(attr)
        assert got.keys() == expected.keys()
        for key, exp in expected.items():
            assert got[key][:3] == exp[:3], key
            assert got[key][3] == pytest.approx(exp[3]) and got[key][4] == pytest.approx(exp[4]), key


def test_redelivered_events_change_no_figure(store: AnalyticsStore, month: Month) -> None:
    load(store, month)
    window = Window.month(2026, 3, "Asia/Novokuznetsk")
    before = (queries.timeliness(store, window, "agency"), queries.quality(store, window),
              queries.posts_by(store, window, "topic", "Asia/Novokuznetsk"))
    load(store, month, batch_size=1000)  # a fresh writer: only the tables can dedupe now
    after = (queries.timeliness(store, window, "agency"), queries.quality(store, window),
             queries.posts_by(store, window, "topic", "Asia/Novokuznetsk"))
    assert after == before


def test_writer_drops_duplicates_it_has_seen(store: AnalyticsStore, month: Month) -> None:
    writer = SlaWriter(store, batch_size=50)
    writer.add_many(month.events[:100])
    writer.add_many(month.events[:100])
    writer.flush()
    assert writer.duplicates == 100
    assert store.count("case_events") == 100


def test_quality_and_dynamics_match_plain_python(store: AnalyticsStore, month: Month) -> None:
    load(store, month)
    zone = "Asia/Novokuznetsk"
    window = Window.month(2026, 3, zone)
    q = queries.quality(store, window)
    assert q.competence_returns == month.transitions("returned")
    assert q.revisions == month.transitions("revision")
    assert q.drafts_submitted == month.transitions("under_approval")
    opened = [e for e in month.events if e.type == "opened" and month.in_month(e.at)]
    assert q.cases_opened == len(opened)
    assert q.repeats == sum(1 for e in opened if e.data.get("repeat_of"))
    interim = [c for c in month.resolved() if c.kind == "final_after_interim"]
    assert (q.interim_clocks, q.interim_on_time) == (len(interim), sum(month.on_time(c) for c in interim))
    assert q.acceptance == month.acceptance()
    for dim in queries.DYNAMIC_DIMENSIONS:
        assert queries.posts_by(store, window, dim, zone) == month.posts_by(dim), dim
        assert queries.posts_by(store, window.previous_month(zone), dim, zone) == month.posts_by(dim, True), dim


def test_r24_breaches_list_every_breached_clock_in_the_period(store: AnalyticsStore, month: Month) -> None:
    load(store, month)
    window = Window.month(2026, 3, "Asia/Novokuznetsk")
    got = sorted((b.case_id, b.kind, b.person) for b in queries.breaches(store, window))
    expected = sorted((c.case_id, c.kind, c.person) for c in month.clocks
                      if month.breached(c) and month.in_month(c.due))
    assert got == expected


def test_daily_views_count_each_post_once(store: AnalyticsStore, month: Month) -> None:
    load(store, month)
    load(store, month)
    total = store.query("SELECT uniqExactMerge(posts) FROM posts_daily")[0][0]
    assert total == len({cp.post.uid for cp in month.posts if not cp.suggestion.excluded})


def test_bus_handler_writes_and_flushes(store: AnalyticsStore, month: Month) -> None:
    from sla_tracker.analytics.consumer import handle_values

    writer = SlaWriter(store, batch_size=10_000)
    batch = [("posts.classified", p.to_bytes()) for p in month.posts[:20]]
    batch += [("cases.events", e.to_bytes()) for e in month.events[:30]] + [("cases.events", b"{broken")]
    written = handle_values(writer, batch)
    assert written >= 50 and writer.pending() == 0
    assert store.count("case_events") == 30
