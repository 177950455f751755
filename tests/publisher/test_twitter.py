"""Twitter/X through tweepy.Client against a local server answering in API v2's documented shapes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from publisher.adapters.twitter import TwitterAdapter
from publisher.core import Publisher, RetryPolicy
from publisher.outbox import Outbox
from tests.publisher.conftest import LIMITS, TEXT, Crash, CrashAfterSendOutbox, Sleeps, reply
from tests.publisher.fakeapi import Request, Response, serve

UID = "twitter:42424242:1890000000000000001"


@dataclass
class FakeTwitter:
    script: list[str] = field(default_factory=list)
    tweets: list[dict] = field(default_factory=list)

    def __call__(self, req: Request) -> Response:
        if req.method == "GET" and req.path == "/2/tweets/search/recent":
            assert req.headers["Authorization"] == "Bearer bearer-x"
            assert req.query["query"] == "conversation_id:1890000000000000001 from:kuzbass_gov"
            return Response(200, {"data": self.tweets[::-1], "meta": {"result_count": len(self.tweets)}}
                            if self.tweets else {"meta": {"result_count": 0}})
        assert req.method == "POST" and req.path == "/2/tweets"
        assert req.headers["Authorization"].startswith("OAuth ")  # user context (OAuth 1.0a)
        step = self.script.pop(0) if self.script else "ok"
        if step == "429":
            return Response(429, {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
                            headers={"x-rate-limit-reset": str(int(time.time()) + 30)})
        if step == "503":
            return Response(503, {"title": "Service Unavailable", "status": 503})
        if step == "403":
            return Response(403, {"title": "Forbidden", "status": 403,
                                  "detail": "You are not permitted to reply to this conversation."})
        if any(t["text"] == req.json["text"] for t in self.tweets):
            return Response(403, {"title": "Forbidden", "status": 403,
                                  "detail": "You are not allowed to create a Tweet with duplicate content."})
        tweet = {"id": str(1890000000000000100 + len(self.tweets)), "text": req.json["text"],
                 "conversation_id": req.json["reply"]["in_reply_to_tweet_id"],
                 "created_at": "2026-03-02T04:01:00.000Z", "edit_history_tweet_ids": []}
        self.tweets.append(tweet)
        return Response(201, {"data": {"id": tweet["id"], "text": tweet["text"], "edit_history_tweet_ids": []}})


@pytest.fixture
def tw() -> Iterator[tuple[FakeTwitter, str]]:
    fake = FakeTwitter()
    with serve(fake) as (base, _):
        yield fake, base


def publisher(base: str, outbox: Outbox, sleeps: Sleeps) -> Publisher:
    adapter = TwitterAdapter(consumer_key="ck", consumer_secret="cs", access_token="at", access_secret="as",
                             bearer_token="bearer-x", username="kuzbass_gov", api_base=base)
    return Publisher(outbox, {"twitter": adapter}, LIMITS, RetryPolicy(max_attempts=3), sleep=sleeps)


def test_r16_twitter_reply_in_the_conversation(tw, outbox: Outbox, sleeps: Sleeps) -> None:
    fake, base = tw
    out = publisher(base, outbox, sleeps).handle(reply("twitter", UID))
    assert out.published is not None and out.published.ok
    assert out.published.url == "https://x.com/kuzbass_gov/status/1890000000000000100"
    assert fake.tweets[0]["conversation_id"] == "1890000000000000001"


def test_twitter_rate_limit_waits_until_reset(tw, outbox: Outbox, sleeps: Sleeps) -> None:
    fake, base = tw
    fake.script = ["429"]
    out = publisher(base, outbox, sleeps).handle(reply("twitter", UID))
    assert out.published is not None and out.published.ok and 25 <= sleeps[0] <= 31 and len(fake.tweets) == 1


def test_twitter_server_error_retried(tw, outbox: Outbox, sleeps: Sleeps) -> None:
    fake, base = tw
    fake.script = ["503", "503"]
    out = publisher(base, outbox, sleeps).handle(reply("twitter", UID))
    assert out.published is not None and out.published.ok and sleeps == [2.0, 4.0] and len(fake.tweets) == 1


def test_twitter_permanent_refusal(tw, outbox: Outbox, sleeps: Sleeps) -> None:
    fake, base = tw
    fake.script = ["403"]
    out = publisher(base, outbox, sleeps).handle(reply("twitter", UID))
    assert out.published is not None and out.published.permanent and "not permitted" in (out.published.error or "")
    assert out.alerts and fake.tweets == []


def test_r21_twitter_length_counts_links_as_23(tw, outbox: Outbox, sleeps: Sleeps) -> None:
    fake, base = tw
    text = "Подробности: https://ako.ru/" + "x" * 400 + " " + "д" * 240
    out = publisher(base, outbox, sleeps).handle(reply("twitter", UID, text=text))
    assert out.published is not None and out.published.ok and len(fake.tweets[0]["text"]) > 280


def test_twitter_crash_between_sent_and_recorded_does_not_post_twice(tw, outbox_path: Path, sleeps: Sleeps) -> None:
    fake, base = tw
    with pytest.raises(Crash):
        publisher(base, CrashAfterSendOutbox(outbox_path), sleeps).handle(reply("twitter", UID))
    out = publisher(base, Outbox(outbox_path), sleeps).handle(reply("twitter", UID))
    assert out.published is not None and out.published.ok and len(fake.tweets) == 1
    assert fake.tweets[0]["text"] == TEXT
