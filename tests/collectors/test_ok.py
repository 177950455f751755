"""OK collector: httpx against a local fb.do answering in apiok.ru shapes; the server checks signatures."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest

from collectors.base import RateLimited, SourceDown, TransientError
from collectors.ok import OkClient, OkGroupSource, signature
from schemas import Post, PostRejection
from tests.collectors.servers import ApiServer, Reply, Request

APP_KEY, SECRET, TOKEN = "CBAFJIICABABABABA", "secret-key-123", "tkn1-access-token"
GID = "54123456789012"


def expected_sig(form: dict[str, list[str]]) -> str:
    """The apiok.ru recipe, written independently of the collector."""
    params = {k: v[0] for k, v in form.items() if k not in ("sig", "access_token")}
    joined = "".join(f"{k}={params[k]}" for k in sorted(params))
    return hashlib.md5((joined + hashlib.md5((TOKEN + SECRET).encode()).hexdigest()).encode()).hexdigest()


def topic(tid: str, ms: int, text: str, comments: int = 0) -> dict[str, object]:
    return {"id": tid, "author_ref": f"group:{GID}", "owner_ref": f"group:{GID}", "created_ms": ms,
            "media": [{"type": "text", "text": text}, {"type": "photo", "photo_refs": ["photo:1"]}],
            "like_summary": {"count": 4}, "reshare_summary": {"count": 1},
            "discussion_summary": {"comments_count": comments}}


class Fb:
    """fb.do: verifies the signature, then serves scripted bodies per method."""

    def __init__(self, script: dict[str, list[Reply]]) -> None:
        self.script = script
        self.seen: list[Request] = []

    def __call__(self, req: Request) -> Reply:
        self.seen.append(req)
        if req.form.get("sig", [""])[0] != expected_sig(req.form):
            return Reply(body={"error_code": 104, "error_msg": "PARAM_SIGNATURE : Invalid signature"})
        replies = self.script[req.form["method"][0]]
        return replies.pop(0) if len(replies) > 1 else replies[0]


@pytest.fixture
def fb() -> Iterator[tuple[Fb, OkClient]]:
    srv, handler = ApiServer(), Fb({})
    srv.route("/fb.do", handler)
    with srv.running() as base, httpx.Client(timeout=5.0) as http:
        yield handler, OkClient(APP_KEY, SECRET, TOKEN, http=http, api_url=f"{base}/fb.do")


def test_signature_matches_the_documented_recipe() -> None:
    params = {"application_key": APP_KEY, "method": "group.getInfo", "format": "json", "uids": GID}
    assert signature(params, TOKEN, SECRET) == expected_sig({k: [v] for k, v in params.items()})


def test_group_feed_pages_by_anchor_and_reads_comments(fb) -> None:
    handler, client = fb
    handler.script = {
        "mediatopic.getTopics": [
            Reply(body={"media_topics": [topic("1552", 1_790_000_300_000, "Кемерово 🚌 автобус 65 не ходит", 2)],
                        "anchor": "a1", "has_more": True}),
            Reply(body={"media_topics": [topic("1551", 1_790_000_100_000, "Ленинск: лифт стоит")],
                        "has_more": False}),
        ],
        "discussions.getComments": [Reply(body={"comments": [
            {"id": "c1", "author_id": "777", "author_name": "Галина", "date": "2026-11-27 08:15:00",
             "text": "Да, ждём по 40 минут", "like_count": 3},
            {"id": "c2", "author_id": "778", "date": "2026-11-27 08:20:00", "text": "Согласна",
             "reply_to_comment_id": "c1"}], "anchor": "z", "has_more": False})],
    }
    source = OkGroupSource(client, "ok:gov", GID, comments=True)
    first = source.fetch(None)
    assert first.more and first.posts[0].uid == f"ok:{GID}:1552"
    assert first.posts[0].metrics.comments == 2 and first.posts[0].attachments[0].kind == "photo"
    second = source.fetch(first.cursor)
    assert handler.seen[-1].form["anchor"] == ["a1"] and second.more
    third = source.fetch(second.cursor)
    assert [p.uid for p in third.posts] == [f"ok:{GID}:1552:c1", f"ok:{GID}:1552:c2"]
    assert third.posts[1].reply_to == f"ok:{GID}:1552:c1" and not third.more
    assert third.posts[0].created_at.isoformat() == "2026-11-27T08:15:00+00:00"


def test_bad_signature_or_expired_session_stops_the_source(fb) -> None:
    handler, _ = fb
    handler.script = {"mediatopic.getTopics": [Reply(body={"media_topics": []})]}
    srv_url = _.api_url
    with httpx.Client() as http:
        wrong = OkClient(APP_KEY, "not-the-secret", TOKEN, http=http, api_url=srv_url)
        with pytest.raises(SourceDown, match="подпись"):
            OkGroupSource(wrong, "ok:g", GID).fetch(None)
    handler.script = {"mediatopic.getTopics": [Reply(body={"error_code": 102, "error_msg": "PARAM_SESSION_EXPIRED"})]}
    with pytest.raises(SourceDown, match="сессия"):
        OkGroupSource(_, "ok:g", GID).fetch(None)


@pytest.mark.parametrize(("reply", "retry"), [
    (Reply(body={"error_code": 8, "error_msg": "FLOOD_BLOCKED"}), 60.0),
    (Reply(body={"error_code": 11, "error_msg": "LIMIT_REACHED"}), 3600.0),
    (Reply(429, "", headers={"Retry-After": "5"}), 5.0),
])
def test_rate_limits(fb, reply: Reply, retry: float) -> None:
    handler, client = fb
    handler.script = {"mediatopic.getTopics": [reply]}
    with pytest.raises(RateLimited) as caught:
        OkGroupSource(client, "ok:g", GID).fetch(None)
    assert caught.value.retry_after == retry


def test_malformed_truncated_and_hostile_payloads(fb) -> None:
    handler, client = fb
    handler.script = {"mediatopic.getTopics": [
        Reply(body='{"media_topics": [{"id": "1", "crea'),
        Reply(body={"media_topics": {"oops": 1}}),
        Reply(body={"media_topics": [
            topic("9", 1_790_000_000_000, "<script>alert(1)</script> Прокопьевск " + "х" * 30_000),
            {"id": "10", "created_ms": "yesterday"}, {"id": "a:b", "created_ms": 1}, None]}),
    ]}
    source = OkGroupSource(client, "ok:g", GID)
    for _ in range(2):
        with pytest.raises(TransientError):
            source.fetch(None)
    items = source.fetch(None).items
    post = items[0]
    assert isinstance(post, Post) and post.truncated and post.text.startswith("<script>alert(1)</script>")
    assert all(isinstance(i, PostRejection) for i in items[1:])
