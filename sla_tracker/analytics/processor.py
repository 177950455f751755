"""Snuba-style message processor: a pure function from one bus message to analytics rows.

No I/O here, so it is tested without ClickHouse and the writer stays a dumb batcher.
The keys it reads from ``CaseEvent.data`` are the contract with ``cases/`` (docs/analytics.md).

Rows are tuples in the table's column order (``COLUMNS``): the writer buffers them as they are
and transposes a batch once, instead of building and re-reading a dict per row. ``process``
gives the same rows as named ``Row`` dicts, for tests and callers that want names.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

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


POSTS = ("uid", "version", "network", "created_at", "collected_at", "topic", "topic_group", "topic_confidence",
         "municipality", "importance", "excluded", "model_version")
CASE_EVENTS = ("event_id", "case_id", "type", "at", "actor", "from_state", "to_state", "agency", "clock", "due_at",
               "data")
CLOCK_OUTCOMES = ("case_id", "agency", "kind", "clock_id", "person", "clause", "importance", "started_at", "due_at",
                  "stopped_at", "working_minutes", "warned", "breached", "breached_at")
DECISIONS = ("case_id", "field", "post_uid", "suggested", "decided", "accepted", "decided_by", "decided_at",
             "event_id")
COLUMNS: dict[str, tuple[str, ...]] = {
    "posts": POSTS, "case_events": CASE_EVENTS, "clock_outcomes": CLOCK_OUTCOMES, "suggestion_decisions": DECISIONS,
}
"""Every table the processor fills, with its columns in the order of the row tuples."""

TIME_COLUMNS: dict[str, tuple[int, ...]] = {
    table: tuple(i for i, name in enumerate(names) if name.endswith("_at") or name == "at")
    for table, names in COLUMNS.items()
}
"""Positions of the DateTime64 columns, which the writer sends as epoch milliseconds."""

MAX_DATA_CHARS = 65_536


def _data_encoder() -> Callable[[dict[str, Any]], str]:
    """``json.dumps(data, ensure_ascii=False, default=str)``, byte for byte, without building an
    encoder per event (``dumps`` makes a JSONEncoder and a C encoder on every call).

    No circular-reference markers: ``data`` comes from a validated JSON message (or a model,
    which copies it), so it cannot contain itself."""
    make = getattr(json.encoder, "c_make_encoder", None)
    plain = json.JSONEncoder(ensure_ascii=False, default=str)
    if make is None:
        return plain.encode
    chunks = make(None, plain.default, json.encoder.encode_basestring, None, plain.key_separator,
                  plain.item_separator, False, False, True)
    return lambda data: "".join(chunks(data, 0))


_encode_data = _data_encoder()

Values: TypeAlias = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Row:
    table: str
    values: dict[str, Any]


def clause_for(kind: str, importance: str | None) -> str:
    if kind == "reply":
        return "R12" if importance == "high" else "R11"
    return CLOCK_CLAUSES.get(kind, "")


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    return text if len(text) <= MAX_FIELD_CHARS else text[:MAX_FIELD_CHARS]


def _opt_text(value: Any) -> str | None:
    return None if value is None or value == "" else _text(value)


def _minutes(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        return None
    return minutes if minutes >= 0 else None


def post_values(message: ClassifiedPost) -> Values:
    post, suggestion = message.post, message.suggestion
    top = suggestion.topics[0] if suggestion.topics else None
    return (
        post.uid, post.version, str(post.network), post.created_at, post.collected_at,
        _text(top.topic if top else ""), _text((top.group or "") if top else ""),
        float(top.confidence) if top else 0.0,
        _text(suggestion.location.municipality), str(suggestion.importance.label), int(suggestion.excluded),
        _text(suggestion.model_version),
    )


def event_values(event: CaseEvent) -> Values:
    # ``(field or "")[:M]`` is ``_text(field)`` for the ``str | None`` fields, without a call per field
    m, data = MAX_FIELD_CHARS, event.data
    return (
        event.event_id, event.case_id, str(event.type), event.at, (event.actor or "")[:m],
        (event.from_state or "")[:m], (event.to_state or "")[:m], (event.agency or "")[:m], (event.clock or "")[:m],
        event.due_at, _encode_data(data)[:MAX_DATA_CHARS] if data else "{}",
    )


def clock_values(event: CaseEvent) -> Values | None:
    """A partial clock outcome; the table's min/max columns fold partials into one row per clock."""
    kind = event.clock
    type_ = event.type
    if kind is None or type_ == CaseEventType.OPENED or type_ == CaseEventType.TRANSITION:
        return None
    data = event.data
    importance = _opt_text(data.get("importance"))
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    working_minutes: float | None = None
    warned = breached = 0
    breached_at: datetime | None = None
    if type_ == CaseEventType.CLOCK_STARTED:
        started_at = event.at
    elif type_ == CaseEventType.CLOCK_STOPPED:
        stopped_at = event.at
        working_minutes = _minutes(data.get("working_minutes"))
        started = data.get("started_at")
        if isinstance(started, str):
            with contextlib.suppress(ValueError):
                started_at = datetime.fromisoformat(started)
    elif type_ == CaseEventType.CLOCK_WARNING:
        warned = 1
    elif type_ == CaseEventType.CLOCK_BREACHED:
        breached = 1
        breached_at = event.at
    return _clock_values(event, kind, data.get("clock_id", ""), importance, event.due_at,
                         person=_opt_text(data.get("person") or event.actor), clause=_opt_text(data.get("clause")),
                         started_at=started_at, stopped_at=stopped_at, working_minutes=working_minutes,
                         warned=warned, breached=breached, breached_at=breached_at)


def _clock_values(event: CaseEvent, kind: str, clock_id: Any, importance: str | None, due_at: datetime | None, *,
                  person: str | None = None, clause: str | None = None, started_at: datetime | None = None,
                  stopped_at: datetime | None = None, working_minutes: float | None = None, warned: int = 0,
                  breached: int = 0, breached_at: datetime | None = None) -> Values:
    """One partial ``clock_outcomes`` row in ``CLOCK_OUTCOMES`` order."""
    return (
        event.case_id, (event.agency or "")[:MAX_FIELD_CHARS], kind[:MAX_FIELD_CHARS], _text(clock_id), person,
        clause or clause_for(kind, importance) or None,  # clause ids are short
        importance, started_at, due_at, stopped_at, working_minutes, warned, breached, breached_at,
    )


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def started_clock_values(event: CaseEvent) -> list[Values]:
    """Clocks an event reports as started with it (``data["clocks"]``: intake's ``opened`` carries the
    three detection clocks); each is the partial row its own ``clock_started`` event would give.
    An entry without a kind or an aware start instant is skipped, not guessed."""
    clocks = event.data.get("clocks")
    if not isinstance(clocks, list):
        return []
    importance = _opt_text(event.data.get("importance"))
    rows: list[Values] = []
    for fact in clocks:
        if not isinstance(fact, dict):
            continue
        kind, started = fact.get("kind"), _instant(fact.get("started_at"))
        if not isinstance(kind, str) or not kind or started is None:
            continue
        rows.append(_clock_values(event, kind, fact.get("clock_id", ""), importance, _instant(fact.get("due_at")),
                                  started_at=started))
    return rows


def decision_values(event: CaseEvent) -> list[Values]:
    """The curator's R7.1 decision next to what the system suggested, one row per field."""
    data = event.data
    if "decided" not in data:
        return []
    suggested, decided = data.get("suggested"), data.get("decided")
    if not isinstance(suggested, dict) or not isinstance(decided, dict):
        return []
    rows = []
    for name in DECISION_FIELDS:
        if name not in decided:
            continue
        s, d = _text(suggested.get(name)), _text(decided.get(name))
        rows.append((event.case_id, name, _text(data.get("post_uid")), s, d, int(bool(s) and s == d),
                     _text(event.actor), event.at, event.event_id))
    return rows


def table_values(message: ClassifiedPost | CaseEvent) -> list[tuple[str, Values]]:
    """The rows of one message as (table, values in ``COLUMNS[table]`` order)."""
    if isinstance(message, ClassifiedPost):
        return [("posts", post_values(message))]
    out: list[tuple[str, Values]] = [("case_events", event_values(message))]
    clock = clock_values(message)
    if clock is not None:
        out.append(("clock_outcomes", clock))
    if "clocks" in message.data:
        out += [("clock_outcomes", started) for started in started_clock_values(message)]
    if "decided" in message.data:
        out += [("suggestion_decisions", decision) for decision in decision_values(message)]
    return out


def _named(table: str, values: Values) -> Row:
    return Row(table, dict(zip(COLUMNS[table], values, strict=True)))


def post_rows(message: ClassifiedPost) -> list[Row]:
    return [_named("posts", post_values(message))]


def event_row(event: CaseEvent) -> Row:
    return _named("case_events", event_values(event))


def clock_row(event: CaseEvent) -> Row | None:
    values = clock_values(event)
    return None if values is None else _named("clock_outcomes", values)


def decision_rows(event: CaseEvent) -> list[Row]:
    return [_named("suggestion_decisions", values) for values in decision_values(event)]


def process(message: ClassifiedPost | CaseEvent) -> list[Row]:
    return [_named(table, values) for table, values in table_values(message)]
