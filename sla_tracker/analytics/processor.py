"""Snuba-style message processor: a pure function from one bus message to analytics rows.

No I/O here, so it is tested without ClickHouse and the writer stays a dumb batcher.
The keys it reads from ``CaseEvent.data`` are the contract with ``cases/`` (docs/analytics.md).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas import CaseEvent, CaseEventType, ClassifiedPost

MAX_FIELD_CHARS = 512
"""Free text from events is bounded before it reaches the warehouse."""

CLOCK_CLAUSES: dict[str, str] = {
    "routing": "R7.3",
    "competence_return": "R9",
    "rerouting": "R10",
    "draft": "R13.2",
    "approval": "R14",
    "revision": "R15",
    "posting": "R16",
    "final_after_interim": "R17",
    "contribution": "R18.2",
}
"""Default clause per clock kind (CLAUSES.md clocks table); ``reply`` depends on importance."""

DECISION_FIELDS = ("topic", "municipality", "importance", "agency")


@dataclass(frozen=True, slots=True)
class Row:
    table: str
    values: dict[str, Any]


def clause_for(kind: str, importance: str | None) -> str:
    if kind == "reply":
        return "R12" if importance == "high" else "R11"
    return CLOCK_CLAUSES.get(kind, "")


def _text(value: Any) -> str:
    return ("" if value is None else str(value))[:MAX_FIELD_CHARS]


def _opt_text(value: Any) -> str | None:
    return None if value in (None, "") else _text(value)


def _minutes(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        return None
    return minutes if minutes >= 0 else None


def post_rows(message: ClassifiedPost) -> list[Row]:
    post, suggestion = message.post, message.suggestion
    top = suggestion.topics[0] if suggestion.topics else None
    return [Row("posts", {
        "uid": post.uid, "version": post.version, "network": str(post.network),
        "created_at": post.created_at, "collected_at": post.collected_at,
        "topic": _text(top.topic if top else ""), "topic_group": _text((top.group or "") if top else ""),
        "topic_confidence": float(top.confidence) if top else 0.0,
        "municipality": _text(suggestion.location.municipality),
        "importance": str(suggestion.importance.label), "excluded": int(suggestion.excluded),
        "model_version": _text(suggestion.model_version),
    })]


def event_row(event: CaseEvent) -> Row:
    return Row("case_events", {
        "event_id": event.event_id, "case_id": event.case_id, "type": str(event.type), "at": event.at,
        "actor": _text(event.actor), "from_state": _text(event.from_state), "to_state": _text(event.to_state),
        "agency": _text(event.agency), "clock": _text(event.clock), "due_at": event.due_at,
        "data": json.dumps(event.data, ensure_ascii=False, default=str)[:65_536],
    })


def clock_row(event: CaseEvent) -> Row | None:
    """A partial clock outcome; the table's min/max columns fold partials into one row per clock."""
    if event.clock is None or event.type in (CaseEventType.OPENED, CaseEventType.TRANSITION):
        return None
    data = event.data
    importance = _opt_text(data.get("importance"))
    values: dict[str, Any] = {
        "case_id": event.case_id, "agency": _text(event.agency), "kind": _text(event.clock),
        "clock_id": _text(data.get("clock_id", "")),
        "person": _opt_text(data.get("person") or event.actor),
        "clause": _opt_text(data.get("clause")) or _opt_text(clause_for(event.clock, importance)),
        "importance": importance,
        "started_at": None, "due_at": event.due_at, "stopped_at": None, "working_minutes": None,
        "warned": 0, "breached": 0, "breached_at": None,
    }
    if event.type == CaseEventType.CLOCK_STARTED:
        values["started_at"] = event.at
    elif event.type == CaseEventType.CLOCK_STOPPED:
        values["stopped_at"] = event.at
        values["working_minutes"] = _minutes(data.get("working_minutes"))
        started = data.get("started_at")
        if isinstance(started, str):
            with contextlib.suppress(ValueError):
                values["started_at"] = datetime.fromisoformat(started)
    elif event.type == CaseEventType.CLOCK_WARNING:
        values["warned"] = 1
    elif event.type == CaseEventType.CLOCK_BREACHED:
        values["breached"] = 1
        values["breached_at"] = event.at
    return Row("clock_outcomes", values)


def decision_rows(event: CaseEvent) -> list[Row]:
    """The curator's R7.1 decision next to what the system suggested, one row per field."""
    suggested, decided = event.data.get("suggested"), event.data.get("decided")
    if not isinstance(suggested, dict) or not isinstance(decided, dict):
        return []
    rows = []
    for name in DECISION_FIELDS:
        if name not in decided:
            continue
        s, d = _text(suggested.get(name)), _text(decided.get(name))
        rows.append(Row("suggestion_decisions", {
            "case_id": event.case_id, "field": name, "post_uid": _text(event.data.get("post_uid")),
            "suggested": s, "decided": d, "accepted": int(bool(s) and s == d),
            "decided_by": _text(event.actor), "decided_at": event.at, "event_id": event.event_id,
        }))
    return rows


def process(message: ClassifiedPost | CaseEvent) -> list[Row]:
    if isinstance(message, ClassifiedPost):
        return post_rows(message)
    rows = [event_row(message)]
    clock = clock_row(message)
    if clock is not None:
        rows.append(clock)
    rows.extend(decision_rows(message))
    return rows
