"""Instagram Graph API over httpx against a local server answering in the documented shapes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from publisher.adapters.instagram import InstagramAdapter
from publisher.core import Publisher, RetryPolicy
from publisher.outbox import Outbox
from tests.publisher.conftest import LIMITS, Crash, CrashAfterSendOutbox, Sleeps, reply
from tests.publisher.fakeapi import Request, Response, serve

UID = "instagram:17841400000000001:17900000000000002:17950000000000003"  # a citizen's comment


def graph_error(status: int, code: int, message: str, transient: bool = False) -> Response:
    return Response(status, {"error": {"message": message, "type": "OAuthException", "code": code,
                                       "is_transient": transient, "fbtrace_id": "AbC"}})


@dataclass
class FakeGraph:
    script: list[str] = field(default_factory=list)
    replies: list[dict] = field(default_factory=list)

    def __call__(self, req: Request) -> Response:
        token = req.form.get("access_token") or req.query.get("access_token")
        if token != "ig-token":
            return graph_error(400, 190, "Invalid OAuth access token.")
        if req.method == "GET" and req.path == "/v21.0/17900000000000002":
            return Response(200, {"permalink": "https://www.instagram.com/p/DEMO123/", "id": "17900000000000002"})
        if req.method == "GET" and req.path.endswith("/replies"):
            return Response(200, {"data": self.replies})
        assert req.method == "POST" and req.path == "/v21.0/17950000000000003/replies"
        step = self.script.pop(0) if self.script else "ok"
        if step == "throttled":
            return graph_error(400, 4, "Application request limit reached", True)
        if step == "transient":
            return graph_error(500, 2, "Service temporarily unavailable", True)
        if step == "gone":
            return graph_error(400, 100, "Unsupported post request. Object does not exist")
        item = {"id": f"1796000000000000{len(self.replies)}", "text": req.form["message"],
                "username": "kuzbass_official", "timestamp": "2026-03-02T04:01:00+0000"}
        self.replies.append(item)
        return Response(200, {"id": item["id"]})


@pytest.fixture
def ig() -> Iterator[tuple[FakeGraph, str]]:
    fake = FakeGraph()
    with serve(fake) as (base, _):
        yield fake, base


def publisher(base: str, outbox: Outbox, sleeps: Sleeps, token: str = "ig-token") -> Publisher:
    adapter = InstagramAdapter(token, "kuzbass_official", api_base=f"{base}/v21.0")
    return Publisher(outbox, {"instagram": adapter}, LIMITS, RetryPolicy(max_attempts=3), sleep=sleeps)


def test_r16_instagram_reply_to_comment(ig, outbox: Outbox, sleeps: Sleeps) -> None:
    fake, base = ig
    out = publisher(base, outbox, sleeps).handle(reply("instagram", UID))
    assert out.published is not None and out.published.ok
    assert out.published.url == "https://www.instagram.com/p/DEMO123/" and len(fake.replies) == 1


def test_instagram_throttle_and_transient_then_success(ig, outbox: Outbox, sleeps: Sleeps) -> None:
    fake, base = ig
    fake.script = ["throttled", "transient"]
    out = publisher(base, outbox, sleeps).handle(reply("instagram", UID))
    assert out.published is not None and out.published.ok and sleeps == [5.0, 4.0] and len(fake.replies) == 1


def test_instagram_permanent_failures(ig, outbox: Outbox, sleeps: Sleeps) -> None:
    fake, base = ig
    fake.script = ["gone"]
    out = publisher(base, outbox, sleeps).handle(reply("instagram", UID))
    assert out.published is not None and out.published.permanent and "does not exist" in (out.published.error or "")
    bad = publisher(base, outbox, sleeps, token="wrong").handle(reply("instagram", UID, reply_id="r-2"))
    assert bad.published is not None and bad.published.permanent and "190" in (bad.published.error or "")
    assert "wrong" not in (bad.published.error or "") and fake.replies == []  # the token never leaks into errors


def test_instagram_crash_between_sent_and_recorded(ig, outbox_path: Path, sleeps: Sleeps) -> None:
    fake, base = ig
    with pytest.raises(Crash):
        publisher(base, CrashAfterSendOutbox(outbox_path), sleeps).handle(reply("instagram", UID))
    out = publisher(base, Outbox(outbox_path), sleeps).handle(reply("instagram", UID))
    assert out.published is not None and out.published.ok and len(fake.replies) == 1
