"""Odnoklassniki over httpx against a local server answering in fb.do's documented shapes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from publisher.adapters.ok import OkAdapter, signature
from publisher.core import Publisher, RetryPolicy
from publisher.outbox import Outbox
from tests.publisher.conftest import LIMITS, Crash, CrashAfterSendOutbox, Sleeps, reply
from tests.publisher.fakeapi import Request, Response, serve

UID = "ok:-5501:8801"


@dataclass
class FakeOk:
    script: list[str] = field(default_factory=list)
    comments: list[dict] = field(default_factory=list)

    def __call__(self, req: Request) -> Response:
        params = dict(req.form)
        assert params.pop("access_token") == "ok-token"
        assert signature(params, "ok-token", "ok-secret") == params["sig"]  # the documented signature
        if params["method"] == "discussions.getComments":
            return Response(200, {"comments": self.comments[::-1], "has_more": False})
        step = self.script.pop(0) if self.script else "ok"
        if step == "limit":
            return Response(200, {"error_code": 4, "error_msg": "LIMIT_REACHED", "error_data": None})
        if step == "service":
            return Response(200, {"error_code": 2, "error_msg": "SERVICE : temporarily unavailable"})
        if step == "denied":
            return Response(200, {"error_code": 10, "error_msg": "PERMISSION_DENIED"})
        comment = {"id": f"c{len(self.comments) + 1}", "author_id": params["gid"], "text": params["text"],
                   "date": "2026-03-02 11:00:00"}
        self.comments.append(comment)
        if step == "stored_then_timeout_like":
            return Response(503, raw=b"")
        return Response(200, {"id": comment["id"]})


@pytest.fixture
def ok() -> Iterator[tuple[FakeOk, str]]:
    fake = FakeOk()
    with serve(fake) as (base, _):
        yield fake, base


def publisher(base: str, outbox: Outbox, sleeps: Sleeps) -> Publisher:
    adapter = OkAdapter("ok-token", "app-key", "ok-secret", "5501", api_base=f"{base}/fb.do")
    return Publisher(outbox, {"ok": adapter}, LIMITS, RetryPolicy(max_attempts=3), sleep=sleeps)


def test_r16_ok_reply_posted_and_signed(ok, outbox: Outbox, sleeps: Sleeps) -> None:
    fake, base = ok
    out = publisher(base, outbox, sleeps).handle(reply("ok", UID))
    assert out.published is not None and out.published.ok
    assert out.published.url == "https://ok.ru/group/5501/topic/8801?commentId=c1" and len(fake.comments) == 1


def test_ok_rate_limit_then_transient_then_success(ok, outbox: Outbox, sleeps: Sleeps) -> None:
    fake, base = ok
    fake.script = ["limit", "service"]
    out = publisher(base, outbox, sleeps).handle(reply("ok", UID))
    assert out.published is not None and out.published.ok
    assert sleeps == [5.0, 4.0] and len(fake.comments) == 1


def test_ok_permanent_failure(ok, outbox: Outbox, sleeps: Sleeps) -> None:
    fake, base = ok
    fake.script = ["denied"]
    out = publisher(base, outbox, sleeps).handle(reply("ok", UID))
    assert out.published is not None and out.published.permanent and "PERMISSION_DENIED" in (out.published.error or "")
    assert len(out.alerts) == 1 and fake.comments == []


def test_ok_uncertain_send_is_looked_up(ok, outbox: Outbox, sleeps: Sleeps) -> None:
    fake, base = ok
    fake.script = ["stored_then_timeout_like"]
    out = publisher(base, outbox, sleeps).handle(reply("ok", UID))
    assert out.published is not None and out.published.ok and len(fake.comments) == 1


def test_ok_crash_between_sent_and_recorded_does_not_post_twice(ok, outbox_path: Path, sleeps: Sleeps) -> None:
    fake, base = ok
    with pytest.raises(Crash):
        publisher(base, CrashAfterSendOutbox(outbox_path), sleeps).handle(reply("ok", UID))
    out = publisher(base, Outbox(outbox_path), sleeps).handle(reply("ok", UID))
    assert out.published is not None and out.published.ok and len(fake.comments) == 1
