"""Sample posts (own texts, set in Kuzbass) and a simulated clock in the region's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from schemas import (
    Author,
    ClassifiedPost,
    Importance,
    ImportanceSuggestion,
    LocationSuggestion,
    ModerationFlag,
    Network,
    Post,
    RepeatCandidate,
    Suggestion,
    TopicCandidate,
)

ZONE = ZoneInfo("Asia/Novokuznetsk")

TEXTS = {
    "road": "На улице Кирова в Кемерове третью неделю открыт люк посреди дороги, машины объезжают по встречке.",
    "heat": "В Новокузнецке на Запсибе в доме по улице Строителей нет отопления, в квартирах +14.",
    "clinic": "В поликлинике Прокопьевска записаться к терапевту невозможно, телефон регистратуры молчит.",
    "bus": "Автобус 28 в Кемерове по утрам не ходит по расписанию, люди опаздывают на работу.",
}


def local(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2026) -> datetime:
    """An instant given in Novokuznetsk wall time, returned in UTC (as stored)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def classified(
    uid: str,
    text: str = TEXTS["road"],
    *,
    network: str = "vk",
    version: int = 1,
    importance: str = "normal",
    moderation: list[ModerationFlag] | None = None,
    repeats: list[RepeatCandidate] | None = None,
    deleted: bool = False,
    created_at: datetime | None = None,
) -> ClassifiedPost:
    created = created_at or local(2, 8)
    post = Post(
        uid=uid,
        network=Network(network),
        url=f"https://vk.com/wall{uid.split(':')[1]}_{uid.split(':')[2]}",
        author=Author(id="u1", name="Иван Петров"),
        text=text,
        created_at=created,
        collected_at=created + timedelta(minutes=2),
        version=version,
        deleted=deleted,
    )
    suggestion = Suggestion(
        topics=[TopicCandidate(topic="roads", confidence=0.8)],
        location=LocationSuggestion(municipality="kemerovo", confidence=0.9),
        importance=ImportanceSuggestion(label=Importance(importance)),
        moderation=moderation or [],
        repeats=repeats or [],
        model_version="test",
    )
    return ClassifiedPost(post=post, suggestion=suggestion)


def clock_of(case, kind: str, assignment_id: int | None = None):
    """The most recent clock of ``kind`` on a case (optionally for one assignment)."""
    found = [c for c in case.clocks if c.kind == kind and (assignment_id is None or c.assignment_id == assignment_id)]
    assert found, f"no {kind} clock on case {case.id}"
    return found[-1]
