"""Twitter collector: tweepy Client v2 against a local server answering in the v2 docs' shapes."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from collectors.base import RateLimited, SourceDown, TransientError
from collectors.twitter import TwitterConversationSource, TwitterSearchSource, make_client
from schemas import Post, PostRejection
from tests.collectors.servers import ApiServer, Reply, RerouteAdapter

BEARER = "AAAA-test-bearer-secret"


def tweet(tid: str, text: str, author: str = "2244", **extra: object) -> dict[str, object]:
    return {"id": tid, "text": text, "author_id": author, "created_at": "2026-11-27T03:15:00.000Z",
            "conversation_id": tid, "edit_history_tweet_ids": [tid], "lang": "ru",
            "public_metrics": {"retweet_count": 2, "reply_count": 1, "like_count": 9, "quote_count": 1,
                               "impression_count": 300}, **extra}


USERS = {"users": [{"id": "2244", "name": "Ольга", "username": "nk_olga",
                    "public_metrics": {"followers_count": 120}}],
         "places": [{"id": "pl1", "full_name": "Новокузнецк, Россия", "geo": {"bbox": [87.0, 53.6, 87.3, 53.9]}}]}


@pytest.fixture
def api() -> Iterator[tuple[ApiServer, object]]:
    srv = ApiServer()
    with srv.running() as base:
        client = make_client(BEARER)
        client.session.mount("https://api.twitter.com/", RerouteAdapter(base))
        yield srv, client


def test_recent_search_pages_then_continues_after_newest(api) -> None:
    srv, client = api
    srv.route("/2/tweets/search/recent", [
        Reply(body={"data": [tweet("1900", "Новокузнецк: нет отопления 🥶 #жкх", geo={"place_id": "pl1"})],
                    "includes": USERS, "meta": {"newest_id": "1900", "oldest_id": "1900", "result_count": 1,
                                                "next_token": "b26v89c19zqg8o3f"}}),
        Reply(body={"data": [tweet("1899", "Kemerovo, ул. Ленина — yamy 🚗")], "includes": USERS,
                    "meta": {"newest_id": "1899", "oldest_id": "1899", "result_count": 1}}),
        Reply(body={"meta": {"result_count": 0}}),
    ])
    source = TwitterSearchSource(client, "tw:heat", "(отопление OR отопления) lang:ru -is:retweet")
    first = source.fetch(None)
    post = first.posts[0]
    assert first.more and post.uid == "twitter:2244:1900" and post.author.followers == 120
    assert post.geo is not None and 53.6 < post.geo.lat < 53.9 and post.metrics.reposts == 3
    second = source.fetch(first.cursor)
    third = source.fetch(second.cursor)
    assert third.items == []
    sent = srv.requests
    assert sent[0].param("query") == "(отопление OR отопления) lang:ru -is:retweet"
    assert "author_id" in sent[0].param("expansions")
    assert sent[0].headers["Authorization"] == f"Bearer {BEARER}"
    assert sent[1].param("next_token") == "b26v89c19zqg8o3f"
    assert sent[2].param("since_id") == "1900" and sent[2].param("next_token") is None


def test_conversation_replies_under_government_tweets(api) -> None:
    srv, client = api
    gov = "99001"

    def search(req):
        q = req.param("query")
        if q.startswith("from:"):
            return Reply(body={"data": [tweet("5000", "График отключений воды", author=gov)], "meta": {}})
        return Reply(body={"data": [tweet("5003", "@kuzbass_gov а у нас в Белово воды нет", author="2244",
                                          conversation_id="5000", in_reply_to_user_id=gov,
                                          referenced_tweets=[{"type": "replied_to", "id": "5000"}])],
                           "includes": USERS, "meta": {"newest_id": "5003"}})

    srv.route("/2/tweets/search/recent", search)
    source = TwitterConversationSource(client, "tw:gov", "@kuzbass_gov")
    first = source.fetch(None)
    assert first.more and srv.requests[0].param("query") == "from:kuzbass_gov -is:retweet"
    second = source.fetch(first.cursor)
    assert srv.requests[1].param("query") == "conversation_id:5000"
    assert second.posts[0].reply_to == f"twitter:{gov}:5000" and not second.more


def test_rate_limit_uses_reset_header(api) -> None:
    srv, client = api
    reset = int(time.time()) + 120
    srv.route("/2/tweets/search/recent", [Reply(429, {"title": "Too Many Requests", "status": 429},
                                                headers={"x-rate-limit-reset": str(reset)})])
    with pytest.raises(RateLimited) as caught:
        TwitterSearchSource(client, "tw:s", "вода").fetch(None)
    assert 100 < caught.value.retry_after <= 121


def test_auth_failure_is_source_down_and_token_not_logged(api, caplog) -> None:
    srv, client = api
    srv.route("/2/tweets/search/recent", [Reply(401, {"title": "Unauthorized", "type": "about:blank",
                                                      "status": 401, "detail": "Unauthorized"})])
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SourceDown):
        TwitterSearchSource(client, "tw:s", "вода").fetch(None)
    assert BEARER not in caplog.text


def test_malformed_truncated_and_long(api) -> None:
    srv, client = api
    srv.route("/2/tweets/search/recent", [
        Reply(body='{"data": [{"id": "1", "te'),
        Reply(500, {"title": "Internal"}),
        Reply(body={"data": [tweet("7", "Юрга " + "🐕" * 25_000), {"id": "8", "text": "нет автора"},
                             {"id": "9", "author_id": "1", "created_at": "вчера"}], "meta": {}}),
    ])
    source = TwitterSearchSource(client, "tw:s", "собаки")
    for _ in range(2):
        with pytest.raises(TransientError):
            source.fetch(None)
    items = source.fetch(None).items
    assert isinstance(items[0], Post) and items[0].truncated
    assert [type(i) for i in items[1:]] == [PostRejection, PostRejection]
