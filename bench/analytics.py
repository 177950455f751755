"""Analytics speed: the R25 monthly report over N million case events on chDB, and SlaWriter throughput.

    python -m bench.analytics [--events 10000000] [--writer-events 200000] [--dsn chdb:///path]

Data is generated inside ClickHouse with ``numbers()`` (nothing is downloaded).
Prints one JSON object; targets: report < 5 s, writer >= 100,000 rows/s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from otklik.settings import REPO_ROOT
from schemas import CaseEvent, CaseEventType
from sla_tracker.analytics.processor import process
from sla_tracker.analytics.store import AnalyticsStore
from sla_tracker.analytics.writer import SlaWriter
from sla_tracker.reports import monthly
from sla_tracker.reports.region import load_labels

EVENTS_PER_CASE = 20
"""1 opened, 3 transitions, 4 clocks x (started, stopped, warning, breached-or-not)."""

_MONTH_START = "2026-03-01 00:00:00"  # UTC; spread over ~31 days, the tail spills into the previous month
_GENERATE = """
INSERT INTO case_events (event_id, case_id, type, at, actor, from_state, to_state, agency, clock, due_at, data)
SELECT concat('b', toString(number)) AS event_id,
       intDiv(number, 20) AS case_id,
       multiIf(r = 0, 'opened', r < 4, 'transition', ['clock_started', 'clock_stopped', 'clock_warning',
               'clock_breached'][((r - 4) % 4) + 1]) AS type,
       toDateTime64('{start}', 3, 'UTC') + toIntervalSecond(cityHash64(case_id) % 2678400 - 86400
           + r * 600 + if(type = 'clock_stopped', cityHash64(number) % 7200, 0)) AS at,
       concat('p', toString(cityHash64(case_id) % 2000)) AS actor,
       '' AS from_state,
       if(type = 'transition', ['routed', 'under_approval', 'revision', 'returned'][r + (cityHash64(number) % 2)], '')
           AS to_state,
       concat('agency-', toString(cityHash64(case_id, 1) % 60)) AS agency,
       if(r >= 4, ['routing', 'draft', 'approval', 'posting', 'reply', 'revision', 'final_after_interim',
                   'contribution'][intDiv(r - 4, 4) * 2 + 1 + cityHash64(case_id) % 2], '') AS clock,
       if(r >= 4, toDateTime64('{start}', 3, 'UTC') + toIntervalSecond(cityHash64(case_id) % 2678400 - 86400
           + r * 600 + 3600), NULL) AS due_at,
       if(r = 0, concat('{{"post_uid":"vk:-1:', toString(case_id), '"',
                        if(cityHash64(case_id) % 10 = 0, ',"repeat_of":"1"', ''), '}}'), '{{}}') AS data
FROM (SELECT number, number % 20 AS r FROM numbers({n}))
"""
_CLOCKS = """
INSERT INTO clock_outcomes
SELECT case_id, agency, clock, toString(case_id), actor, '', '', if(type = 'clock_started', at, NULL), due_at,
       if(type = 'clock_stopped', at, NULL), if(type = 'clock_stopped', dateDiff('second', due_at, at) / 60 + 60, NULL),
       toUInt8(type = 'clock_warning'), toUInt8(type = 'clock_breached' AND cityHash64(case_id) % 5 = 0),
       if(type = 'clock_breached' AND cityHash64(case_id) % 5 = 0, at, NULL)
FROM case_events WHERE clock != '' AND NOT (type = 'clock_breached' AND cityHash64(case_id) % 5 != 0)
"""
_POSTS = """
INSERT INTO posts (uid, version, network, created_at, collected_at, topic, topic_group, topic_confidence,
                   municipality, importance, excluded, model_version)
SELECT concat('vk:-1:', toString(number)), 1, ['vk', 'ok', 'twitter', 'instagram'][number % 4 + 1], t, t,
       concat('topic-', toString(cityHash64(number) % 40)), '', 0.9, concat('muni-', toString(number % 34)),
       if(number % 10 = 0, 'high', 'normal'), 0, 'bench'
FROM (SELECT number, toDateTime64('{start}', 3, 'UTC') + toIntervalSecond(cityHash64(number) % 2678400 - 86400
                                                                      - cityHash64(number, 2) % 7200) AS t
      FROM numbers({n}))
"""
_DECISIONS = """
INSERT INTO suggestion_decisions
SELECT intDiv(number, 2), ['topic', 'agency'][number % 2 + 1], '', 'a', if(cityHash64(number) % 4 = 0, 'b', 'a'),
       toUInt8(cityHash64(number) % 4 != 0), 'curator',
       toDateTime64('{start}', 3, 'UTC') + toIntervalSecond(cityHash64(number) % 2678400), toString(number)
FROM numbers({n})
"""


def report_bench(store: AnalyticsStore, events: int) -> dict[str, Any]:
    cases = events // EVENTS_PER_CASE
    start = time.perf_counter()
    store.client.command(_GENERATE.format(start=_MONTH_START, n=events))
    store.client.command(_CLOCKS)
    store.client.command(_POSTS.format(start=_MONTH_START, n=cases))
    store.client.command(_DECISIONS.format(start=_MONTH_START, n=cases * 2))
    generate_s = time.perf_counter() - start
    labels = load_labels(REPO_ROOT / "regions" / "kuzbass")
    timings = []
    for _ in range(2):  # the first run also warms caches; both are reported
        start = time.perf_counter()
        report = monthly.build(store, 2026, 3, labels)
        timings.append(time.perf_counter() - start)
    by_clock = next(s for s in report.sections if s.title.startswith("Своевременность по ср"))
    clocks = sum(int(r[1]) for r in by_clock.rows if isinstance(r[1], int))
    return {
        "events": store.count("case_events"), "clocks_in_report": clocks, "generate_s": round(generate_s, 2),
        "report_first_s": round(timings[0], 3), "report_s": round(min(timings), 3),
        "report_target_s": 5.0, "report_ok": min(timings) < 5.0,
    }


def writer_bench(store: AnalyticsStore, events: int) -> dict[str, Any]:
    t0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    kinds = ("started", "stopped")
    messages = [CaseEvent(event_id=f"w{i}", case_id=i // 2, type=CaseEventType(f"clock_{kinds[i % 2]}"),
                          at=t0 + timedelta(seconds=i), agency="min-zhkh", clock="draft",
                          due_at=t0 + timedelta(hours=4), data={"clock_id": str(i // 2), "working_minutes": 12})
                 for i in range(events)]
    rows = [row for m in messages for row in process(m)]
    writer = SlaWriter(store, batch_size=50_000)
    start = time.perf_counter()
    writer.add_rows(rows)
    writer.flush()
    write_s = time.perf_counter() - start
    writer = SlaWriter(store, batch_size=50_000)
    start = time.perf_counter()
    writer.add_many(messages)
    writer.flush()
    end_to_end_s = time.perf_counter() - start
    return {
        "writer_rows": len(rows), "writer_rows_per_s": round(len(rows) / write_s),
        "writer_target_rows_per_s": 100_000, "writer_ok": len(rows) / write_s >= 100_000,
        "process_and_write_events_per_s": round(events / end_to_end_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--writer-events", type=int, default=200_000)
    parser.add_argument("--dsn", help="analytics DSN (default: a fresh temporary chDB folder)")
    args = parser.parse_args()
    result: dict[str, Any] = {"backend": "server" if args.dsn else "chdb"}
    for bench, n in ((writer_bench, args.writer_events), (report_bench, args.events)):
        folder = None if args.dsn else tempfile.mkdtemp(prefix="otklik-bench-")
        store = AnalyticsStore(args.dsn or f"chdb:///{folder}")
        try:
            store.migrate()
            result.update(bench(store, n))
        finally:
            store.close()
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
