"""Hypothesis: arbitrary JSON never crashes a normaliser; it yields a Post or a recorded rejection,
and whatever comes out serialises onto the bus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.base import normalise_safely
from collectors.blogs import normalise_entry
from collectors.instagram import normalise_ig_comment, normalise_ig_media, normalise_ig_node
from collectors.ok import normalise_ok_comment, normalise_ok_topic
from collectors.replay import normalise_replay
from collectors.telegram import normalise_telegram
from collectors.twitter import normalise_tweet
from collectors.vk import normalise_vk_comment, normalise_vk_post
from schemas import Post, PostRejection

scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | \
    st.floats(allow_nan=True) | st.text(max_size=60)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) |
                           st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=20)

KEYS = ["id", "owner_id", "from_id", "date", "text", "likes", "reposts", "comments", "views", "geo", "attachments",
        "edited", "deleted", "is_deleted", "post_id", "reply_to_comment", "author_ref", "owner_ref", "created_ms",
        "media", "like_summary", "discussion_summary", "author_id", "date", "reply_to_comment_id", "created_at",
        "public_metrics", "referenced_tweets", "in_reply_to_user_id", "edit_history_tweet_ids", "caption",
        "timestamp", "username", "parent_id", "media_type", "permalink", "_", "message", "peer_id", "reply_to",
        "edit_date", "replies", "network", "uid", "author", "title", "summary", "content", "link",
        "published_parsed", "updated_parsed", "enclosures", "shortcode", "taken_at_timestamp", "owner",
        "edge_media_to_caption", "edge_liked_by", "edge_media_to_comment", "is_video", "display_url"]
plausible_values = scalars | st.integers(min_value=0, max_value=4_000_000_000) | \
    st.sampled_from(["2026-11-27T01:00:00Z", "2026-11-27T04:10:00+0000", "2026-11-27 08:15:00", "vk", "ok",
                     "group:1", "Кемерово 🥶 ул. Ленина", "Message", "a:b"]) | json_values
shaped = st.dictionaries(st.sampled_from(KEYS), plausible_values, max_size=14)

NORMALISERS: list[tuple[str, Callable[..., Post], dict[str, Any]]] = [
    ("vk", normalise_vk_post, {}),
    ("vk", normalise_vk_comment, {"owner_id": "-1", "post_id": "2"}),
    ("ok", normalise_ok_topic, {"group_id": "5"}),
    ("ok", normalise_ok_comment, {"group_id": "5", "topic_id": "6"}),
    ("twitter", normalise_tweet, {"users": {}, "places": {}}),
    ("instagram", normalise_ig_media, {}),
    ("instagram", normalise_ig_comment, {"media_id": "9"}),
    ("instagram", normalise_ig_node, {}),
    ("blog", normalise_entry, {"feed_id": "f"}),
    ("telegram", normalise_telegram, {"channel": "c"}),
    ("replay", normalise_replay, {"file_id": "f", "line": 1}),
]


def _check(raw: Any) -> None:
    for network, normaliser, kwargs in NORMALISERS:
        item = normalise_safely(normaliser, raw, network=network, source="fuzz", **kwargs)
        assert isinstance(item, Post | PostRejection)
        item.to_bytes()  # must serialise onto the bus
        if isinstance(item, PostRejection):
            assert item.error and item.network == network


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_never_crashes_any_normaliser(raw: Any) -> None:
    _check(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shaped)
def test_payloads_shaped_like_the_apis_never_crash_any_normaliser(raw: dict[str, Any]) -> None:
    _check(raw)


def test_deep_nesting_is_a_rejection_not_a_crash() -> None:
    deep: Any = "x"
    for _ in range(5000):
        deep = {"text": deep}
    _check({"id": 1, "owner_id": 1, "date": 1, "attachments": deep, "text": "ok"})
    _check({"id": 1, "owner_id": 1, "date": 1, "text": "ok", "extra": deep})
    item = normalise_safely(normalise_vk_post, {"id": 1, "owner_id": 1, "date": 1, "extra": deep}, network="vk")
    assert isinstance(item, PostRejection) and "deeper" in item.error
