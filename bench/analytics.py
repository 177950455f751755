"""Analytics speed: the R25 monthly report over N million case events on chDB, SlaWriter throughput,
and (``--sla-posts``) the sla stage's process CPU and peak RSS per post.

    python -m bench.analytics [--events 10000000] [--writer-events 200000] [--dsn chdb:///path]
    python -m bench.analytics --sla-posts 20000 [--batch 500] [--profile out.prof] [--no-spool]
                              [--flush-s 2] [--writer-batch 20000]

Data is generated inside ClickHouse with ``numbers()`` (nothing is downloaded).
Prints one JSON object; targets: report < 5 s, writer >= 100,000 rows/s.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import random
import resource
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from otklik.bus.processing import freeze_startup_heap
from otklik.settings import REPO_ROOT
from schemas import CaseEvent, CaseEventType, ClassifiedPost, Post, Suggestion
from schemas.posts import Author, Geo, Metrics, Network
from schemas.suggestions import (
    Importance,
    ImportanceSuggestion,
    LocationSuggestion,
    ModerationFlag,
    RepeatCandidate,
    RouteSuggestion,
    TopicCandidate,
)
from schemas.topics import Topic
from sla_tracker.analytics.consumer import handle_values, spooled_writer
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


_PLACES = ("Кемерово", "Новокузнецк", "Прокопьевск", "Междуреченск", "Белово", "Юрга", "Киселёвск", "Мыски")
_TEXTS = (
    "{place}, ул. Шахтёров: третью неделю нет горячей воды, управляющая компания молчит.",
    "В {place} на пр. Ленина яма на дороге, вчера две машины пробили колёса.",
    "{place}: во дворе на ул. Садовой не вывозят мусор десять дней, контейнеры переполнены.",
    "В {place} опять угольная пыль от разреза, дышать нечем, куда смотрит экология?",
)
DETECTION_CLOCKS = ("routing", "draft", "reply")
"""What intake starts for every case it opens (cases/intake.py); the stage sees one event per clock."""


def sla_messages(posts: int, seed: int = 7) -> Iterator[tuple[str, bytes]]:
    """The sla stage's input as the real stages write it (``to_bytes``), in bus order: each classified
    post, then the intake events for it. 91 % of posts are linked repeats, 8 % R22 exclusions."""
    rnd = random.Random(seed)
    t0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    event_no = 0
    for i in range(posts):
        place = rnd.choice(_PLACES)
        at = t0 + timedelta(milliseconds=i * 3)
        post = Post(uid=f"vk:{rnd.randint(1000, 999_999)}:sla-{i}", network=Network.VK,
                    url=f"https://example.org/sla/{i}", author=Author(id=f"id{rnd.randint(1, 10**7)}", name="Житель"),
                    text=rnd.choice(_TEXTS).format(place=place), created_at=at, collected_at=at,
                    metrics=Metrics(likes=rnd.randint(0, 300)),
                    geo=Geo(lat=55.35, lon=86.08, place_name=place) if rnd.random() < 0.1 else None)
        excluded = rnd.random() < 0.08
        repeat = not excluded and rnd.random() < 0.91 / 0.92
        suggestion = Suggestion(
            topics=[TopicCandidate(topic=t, group="ЖКХ", confidence=c)
                    for t, c in (("Горячее водоснабжение", 0.81), ("Отопление", 0.12), ("Дороги", 0.04))],
            location=LocationSuggestion(municipality=place, settlement=place, address="ул. Шахтёров",
                                        confidence=0.9, span=(0, len(place)), matched=place, candidates=[place]),
            importance=ImportanceSuggestion(label=Importance.HIGH if i % 10 == 0 else Importance.NORMAL, score=0.4,
                                            reasons=["жалоба"]),
            moderation=[ModerationFlag(rule="insult", span=(10, 17), fragment="идиоты")] if excluded else [],
            repeats=[RepeatCandidate(uid=f"vk:1:sla-{i - k}", case_id=i - k, similarity=0.93, reason="текст")
                     for k in (1, 2, 3)] if repeat and i > 3 else [],
            routes=[RouteSuggestion(agency="min-zhkh", confidence=0.8, reason="тема"),
                    RouteSuggestion(agency="gzhi", confidence=0.15, reason="тема")],
            model_version="bench-1",
        )
        yield Topic.POSTS_CLASSIFIED, ClassifiedPost(post=post, suggestion=suggestion).to_bytes()
        case_id = 10_000 + i
        opened: dict[str, Any] = {"action": "opened", "uid": post.uid, "network": "vk",
                                  "repeat_of": [case_id - 1] if repeat and i else []}
        if excluded:
            opened["moderation"] = ["insult"]
        events = [CaseEvent(event_id=f"ev{event_no}", case_id=case_id, type=CaseEventType.OPENED, at=at,
                            actor="system", to_state="excluded" if excluded else "detected", data=opened)]
        if not excluded:
            events += [CaseEvent(event_id=f"ev{event_no + 1 + k}", case_id=case_id, type=CaseEventType.CLOCK_STARTED,
                                 at=at, clock=kind, due_at=at + timedelta(hours=4 + k),
                                 data={"clock_id": case_id * 3 + k, "started_at": at.isoformat(),
                                       "warn_at": (at + timedelta(hours=3)).isoformat()})
                       for k, kind in enumerate(DETECTION_CLOCKS)]
        event_no += len(events)
        for e in events:
            yield Topic.CASES_EVENTS, e.to_bytes()


_FRAME = struct.Struct("<HI")


def write_feed(path: Path, messages: Iterator[tuple[str, bytes]]) -> int:
    """The feed goes to a file first, so neither its generation nor its size counts against the stage."""
    n = 0
    with path.open("wb") as fh:
        for topic, value in messages:
            name = topic.encode()
            fh.write(_FRAME.pack(len(name), len(value)) + name + value)
            n += 1
    return n


def read_feed(path: Path, batch: int) -> Iterator[list[tuple[str, bytes]]]:
    with path.open("rb") as fh:
        chunk: list[tuple[str, bytes]] = []
        while header := fh.read(_FRAME.size):
            topic_len, value_len = _FRAME.unpack(header)
            chunk.append((fh.read(topic_len).decode(), fh.read(value_len)))
            if len(chunk) == batch:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def sla_bench(store: AnalyticsStore, posts: int, batch: int = 500, profile: str | None = None,
              spool: bool = True, rate: float = 1000.0, flush_s: float | None = None,
              writer_batch: int | None = None) -> dict[str, Any]:
    """What one ``otklik run sla`` process spends per post: decode, process, write (chDB's own threads
    count too: they run in this process). Reported as process CPU, which contention hardly distorts.

    The writer's clock is simulated at ``rate`` posts/s, so its time-based flushes (once a second in
    the stage) happen as often as they would at that rate, however fast this machine runs."""
    spool_dir = tempfile.mkdtemp(prefix="otklik-spool-")
    feed = Path(spool_dir) / "feed.bin"
    count = write_feed(feed, sla_messages(posts))
    per_message_s = posts / rate / count
    simulated = [0.0]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    options: dict[str, Any] = {} if flush_s is None else {"max_delay_s": flush_s}
    if writer_batch is not None:
        options["batch_size"] = writer_batch
    writer = (spooled_writer(store, Path(spool_dir) / "sla.spool", clock=lambda: simulated[0], **options) if spool
              else SlaWriter(store, **{k: v for k, v in options.items() if k == "batch_size"}))
    freeze_startup_heap()  # as the stage's own process does before its first poll
    profiler = cProfile.Profile() if profile else None
    cpu0, wall0, thread0 = time.process_time(), time.perf_counter(), time.thread_time()
    if profiler:
        profiler.enable()
    rows = 0
    for chunk in read_feed(feed, batch):
        simulated[0] += len(chunk) * per_message_s
        rows += handle_values(writer, chunk)
    writer.close()
    if profiler and profile:
        profiler.disable()
        profiler.dump_stats(profile)
    cpu = time.process_time() - cpu0
    thread = time.thread_time() - thread0
    wall = time.perf_counter() - wall0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine = store.query("SELECT value FROM system.metrics WHERE metric = 'MemoryTracking'")
    parts = store.query("SELECT count() FROM system.parts WHERE active")
    shutil.rmtree(spool_dir, ignore_errors=True)
    return {
        "sla_posts": posts, "sla_messages": count, "sla_batch": batch, "sla_spool": spool, "sla_rate": rate,
        "sla_flush_s": writer.max_delay_s, "sla_writer_batch": writer.batch_size,
        "sla_rows": rows,
        "sla_cpu_s": round(cpu, 2), "sla_cpu_ms_per_post": round(cpu * 1000 / posts, 3),
        "sla_main_thread_ms_per_post": round(thread * 1000 / posts, 3),
        "sla_wall_s": round(wall, 2), "sla_peak_rss_mb": round(peak / 1024),
        "sla_rss_before_mb": round(rss_before / 1024),
        "sla_engine_memory_mb": round(int(engine[0][0]) / 2**20) if engine else None,
        "sla_active_parts": int(parts[0][0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--writer-events", type=int, default=200_000)
    parser.add_argument("--dsn", help="analytics DSN (default: a fresh temporary chDB folder)")
    parser.add_argument("--sla-posts", type=int, default=0, help="run only the sla stage bench over N posts")
    parser.add_argument("--batch", type=int, default=500, help="records per poll, as the stage loop sees them")
    parser.add_argument("--profile", help="write a cProfile of the sla bench here")
    parser.add_argument("--rate", type=float, default=1000.0, help="posts/s the sla bench's clock simulates")
    parser.add_argument("--flush-s", type=float, help="the writer's max_delay_s (default: the stage's)")
    parser.add_argument("--writer-batch", type=int, help="the writer's batch_size (default: the stage's)")
    parser.add_argument("--no-spool", action="store_true", help="insert on every poll (the old path), for comparison")
    args = parser.parse_args()
    result: dict[str, Any] = {"backend": "server" if args.dsn else "chdb"}
    benches: list[tuple[Any, int]] = [(writer_bench, args.writer_events), (report_bench, args.events)]
    if args.sla_posts:
        benches = [(lambda s, n: sla_bench(s, n, args.batch, args.profile, not args.no_spool, args.rate,
                                             args.flush_s, args.writer_batch),
                    args.sla_posts)]
    for bench, n in benches:
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
