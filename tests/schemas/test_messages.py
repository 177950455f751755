"""Every bus message round-trips through JSON, carries a schema version, and refuses a newer one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from schemas import (
    Alert,
    AlertKind,
    Author,
    CaseEvent,
    CaseEventType,
    ClassifiedPost,
    Geo,
    Network,
    Post,
    ReplyApproved,
    ReplyPublished,
    SchemaVersionError,
    Suggestion,
    TopicCandidate,
    parse_uid,
)
from schemas.posts import MAX_TEXT_CHARS, make_uid

NSK = timezone(timedelta(hours=7))


def _post(**kw: object) -> Post:
    base: dict[str, object] = {
        "uid": "vk:-123:456", "network": Network.VK, "author": Author(id="1", name="Житель"),
        "text": "Нет отопления на ул. Кирова, 12 в Кемерове 😡", "created_at": datetime(2026, 1, 15, 9, 0, tzinfo=NSK),
        "geo": Geo(lat=55.35, lon=86.08), "raw": {"id": 456, "text": "..."},
    }
    base.update(kw)
    return Post.model_validate(base)


@pytest.mark.parametrize(
    "message",
    [
        _post(),
        ClassifiedPost(post=_post(), suggestion=Suggestion(topics=[TopicCandidate(topic="Отопление", confidence=0.9)])),
        CaseEvent(event_id="e1", case_id=1, type=CaseEventType.TRANSITION, at=datetime.now(UTC), from_state="a",
                  to_state="b"),
        ReplyApproved(reply_id="r1", case_id=1, post_uid="vk:-1:2", network=Network.VK, text="Ответ",
                      approved_at=datetime.now(UTC), approved_by="curator"),
        ReplyPublished(reply_id="r1", case_id=1, ok=True, url="https://vk.com/wall-1_2?reply=3",
                       published_at=datetime.now(UTC)),
        Alert(alert_id="a1", kind=AlertKind.HIGH_IMPORTANCE, title="Важно"),
    ],
    ids=lambda m: type(m).__name__,
)
def test_json_round_trip_keeps_everything(message) -> None:
    again = type(message).from_bytes(message.to_bytes())
    assert again == message
    assert again.schema_version == type(message).SCHEMA_VERSION


def test_timestamps_are_stored_in_utc() -> None:
    post = _post()
    assert post.created_at.utcoffset() == timedelta(0)
    assert post.created_at == datetime(2026, 1, 15, 2, 0, tzinfo=UTC)


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValidationError):
        _post(created_at=datetime(2026, 1, 15, 9, 0))


def test_newer_schema_version_is_refused() -> None:
    data = _post().model_dump(mode="json") | {"schema_version": 99}
    with pytest.raises((SchemaVersionError, ValidationError)):
        Post.model_validate(data)


def test_text_is_bounded_and_flagged() -> None:
    post = _post(text="а" * (MAX_TEXT_CHARS + 10))
    assert len(post.text) == MAX_TEXT_CHARS and post.truncated


def test_uids() -> None:
    assert make_uid("vk", "-1", "2", "3") == "vk:-1:2:3"
    assert parse_uid("ok:5:6") == ("ok", "5", "6", None)
    with pytest.raises(ValueError):
        parse_uid("vk::2")
    with pytest.raises(ValidationError):
        _post(uid="broken")
    with pytest.raises(ValueError):
        make_uid("vk", "a:b", "1")


def test_r22_suggestion_with_flags_is_excluded() -> None:
    from schemas import ModerationFlag

    assert not Suggestion().excluded
    assert Suggestion(moderation=[ModerationFlag(rule="obscenity", span=(0, 3), fragment="***")]).excluded
