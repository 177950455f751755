"""The sla stage reads the bus with the contracts: what they refuse is refused here too."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from schemas import CaseEvent, ClassifiedPost
from sla_tracker.analytics.decode import decode
from sla_tracker.analytics.processor import _encode_data
from tests.sla_tracker.analytics.month import generate


def _event(**change: Any) -> bytes:
    event = {"schema_version": 1, "event_id": "e1", "case_id": 7, "type": "clock_started",
             "at": "2026-03-02T10:00:00+07:00", "clock": "draft", "data": {}}
    return json.dumps({**event, **change}).encode()


@pytest.mark.parametrize("value", [
    _event(at="2026-03-02T10:00:00"),  # naive: refused, not guessed
    _event(schema_version=2),  # newer than this code knows
    _event(type="clock_paused"),
    _event(case_id="seven"),
    _event(data=[1, 2]),
    b"{broken",
])
def test_events_the_contract_refuses_are_refused(value: bytes) -> None:
    with pytest.raises(ValueError):
        CaseEvent.from_bytes(value)
    with pytest.raises(ValidationError):
        decode("cases.events", value)


def _post_json(month_post: ClassifiedPost, **change: Any) -> dict[str, Any]:
    doc = json.loads(month_post.to_bytes())
    for path, value in change.items():
        *parents, last = path.split("__")
        node = doc
        for key in parents:
            node = node[key]
        node[last] = value
    return doc


@pytest.mark.parametrize("change", [
    {"post__uid": "vk:1"}, {"post__created_at": "2026-03-02T10:00:00"}, {"post__version": 0},
    {"post__network": "myspace"}, {"suggestion__topics": [{"topic": "Дороги", "confidence": 1.5}]},
    {"suggestion__moderation": [{"rule": "insult"}]}, {"schema_version": 2}, {"post__schema_version": 2},
    {"post__metrics": {"likes": -1}},  # a field analytics never reads: intake refuses it, so must we
])
def test_posts_the_contract_refuses_are_refused(change: dict[str, Any]) -> None:
    value = json.dumps(_post_json(generate(cases=2).posts[0], **change)).encode()
    with pytest.raises(ValueError):
        ClassifiedPost.from_bytes(value)
    with pytest.raises(ValidationError):
        decode("posts.classified", value)


def test_other_topics_are_not_read() -> None:
    assert decode("replies.approved", b"{broken") is None


def test_event_data_is_encoded_exactly_as_json_dumps() -> None:
    data: dict[Any, Any] = {
        "a": [1, 2.5, None, True, 1e-7, 10**30], "город": 'Кемерово "Лесная Поляна" \\ \n \u2028 😀',
        "nan": float("nan"), "inf": float("-inf"), "at": datetime(2026, 3, 2, tzinfo=UTC), 5: {"x": {}}}
    assert _encode_data(data) == json.dumps(data, ensure_ascii=False, default=str)
