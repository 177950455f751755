"""The sla stage's fast path (light views, row tuples, epoch-millisecond times, spool) stores exactly
what the plain path stores: full contract models, named rows, clickhouse-connect's own conversions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schemas import CaseEvent, ClassifiedPost
from sla_tracker.analytics.consumer import handle_values, spooled_writer
from sla_tracker.analytics.processor import process
from sla_tracker.analytics.store import AnalyticsStore
from tests.sla_tracker.analytics.month import generate
from tests.sla_tracker.analytics.test_spool import bus_messages, snapshot, truncate


def _event(event_id: str, type_: str, at: str, **fields: Any) -> tuple[str, bytes]:
    doc = {"event_id": event_id, "case_id": 900_001, "type": type_, "at": at, **fields}
    return "cases.events", json.dumps(doc, ensure_ascii=False).encode()


def edge_messages() -> list[tuple[str, bytes]]:
    """What the generated month lacks: local offsets, microseconds, naive times inside ``data``,
    hostile sizes, odd JSON values, refused messages, a redelivery, another topic."""
    month = generate(cases=3)
    post = json.loads(month.posts[0].to_bytes())
    post["post"].update(uid="ok:-42:77", created_at="2026-03-05T23:59:59.999999+07:00",
                        collected_at="2026-03-06T00:00:00.000500+03:00", version=3)
    post["suggestion"].update(topics=[], moderation=[{"rule": "insult", "span": [0, 4], "fragment": "дура"}],
                              model_version="м" * 600)
    post["suggestion"]["location"]["municipality"] = None
    bad_post = json.loads(month.posts[1].to_bytes())
    bad_post["post"]["created_at"] = "2026-03-05T10:00:00"
    opened = _event("x-open", "opened", "2026-03-05T09:30:00.123456+07:00", actor="system", to_state="detected",
                    data={"post_uid": "ok:-42:77", "repeat_of": [900_000], "note": 'Кемерово, "Лесная Поляна"\n',
                          "score": 0.1 + 0.2, "big": 10**20, "flag": True, "none": None})
    return [
        ("posts.classified", json.dumps(post, ensure_ascii=False).encode()),
        ("posts.classified", json.dumps(bad_post).encode()),
        opened,
        _event("x-start", "clock_started", "2026-03-05T09:30:00.123456+07:00", clock="reply", agency="min-zhkh",
               due_at="2026-03-06T09:30:00.999+07:00", data={"clock_id": 5, "importance": "high"}),
        _event("x-stop", "clock_stopped", "2026-03-05T12:00:00Z", clock="reply", agency="min-zhkh",
               actor="isp-1", due_at="2026-03-06T02:30:00.999Z",
               data={"clock_id": 5, "started_at": "2026-03-05T02:30:00", "working_minutes": "много"}),
        _event("x-warn", "clock_warning", "2026-03-05T13:00:00+00:00", clock="approval", agency="a" * 700,
               data={"clock_id": "6", "clause": "", "person": ""}),
        _event("x-breach", "clock_breached", "2026-03-05T14:00:00-01:00", clock="approval", agency="a" * 700,
               data={"clock_id": "6", "person": "Иванова И. И."}),
        _event("x-route", "transition", "2026-03-05T10:00:00+07:00", actor="curator-" + "к" * 600,
               from_state="triage", to_state="routed",
               data={"post_uid": "ok:-42:77", "suggested": {"topic": "Дороги", "agency": None, "importance": 1},
                     "decided": {"topic": "Дороги", "agency": "adm-novokuznetsk", "importance": "high"},
                     "blob": "я" * 70_000}),
        _event("x-route", "transition", "2026-03-05T10:00:00+07:00", to_state="routed"),  # redelivered id
        _event("x-naive", "opened", "2026-03-05T10:00:00"),  # refused by the contract
        _event("x-new", "opened", "2026-03-05T10:00:00Z", schema_version=99),  # refused: newer version
        ("replies.approved", b'{"case_id": 1}'),
    ]


def reference_load(store: AnalyticsStore, messages: list[tuple[str, bytes]]) -> int:
    """The plain path: full models, a first-seen filter, named rows inserted by clickhouse-connect."""
    seen: set[str] = set()
    tables: dict[str, list[dict[str, Any]]] = {}
    for topic, value in messages:
        message: ClassifiedPost | CaseEvent
        try:
            if topic == "posts.classified":
                message = ClassifiedPost.from_bytes(value)
                key = f"{message.post.uid}@{message.post.version}"
            elif topic == "cases.events":
                message = CaseEvent.from_bytes(value)
                key = message.event_id
            else:
                continue
        except (ValidationError, ValueError):
            continue
        if key in seen:
            continue
        seen.add(key)
        for row in process(message):
            tables.setdefault(row.table, []).append(row.values)
    return sum(store.insert_rows(table, rows) for table, rows in tables.items())


def test_fast_path_stores_the_rows_of_the_plain_path(store: AnalyticsStore, tmp_path: Path) -> None:
    messages = bus_messages(generate(cases=60)) + edge_messages()
    expected_rows = reference_load(store, messages)
    expected = snapshot(store)
    assert all(expected.values()), {t: len(r) for t, r in expected.items()}
    truncate(store)
    writer = spooled_writer(store, tmp_path / "sla.spool", batch_size=150, max_delay_s=10**6)
    rows = sum(handle_values(writer, messages[i:i + 23]) for i in range(0, len(messages), 23))
    writer.close()
    assert rows == expected_rows
    assert snapshot(store) == expected
    edge = store.query("SELECT event_id, at, due_at, lengthUTF8(actor), lengthUTF8(data) FROM case_events FINAL"
                       " WHERE case_id = 900001 ORDER BY event_id")
    assert [r[0] for r in edge] == ["x-breach", "x-open", "x-route", "x-start", "x-stop", "x-warn"]
    assert str(edge[1][1]) == "2026-03-05 02:30:00.123000"  # UTC, milliseconds kept
    assert edge[2][3] == 512 and edge[2][4] == 65_536  # hostile sizes bounded
