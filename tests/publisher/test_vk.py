"""VK through vk-api against a local server answering in VK's documented shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from publisher.adapters.vk import VkAdapter
from publisher.core import Publisher, RetryPolicy
from publisher.outbox import Outbox, State
from schemas import AlertKind, Attachment
from tests.publisher.conftest import LIMITS, TEXT, Crash, CrashAfterSendOutbox, Sleeps, reply
from tests.publisher.fakeapi import Request, Response, serve

GROUP = 1234
UID = "vk:-1234:567"


@dataclass
class FakeVk:
    base: str = ""
    script: list[str] = field(default_factory=list)
    comments: list[dict] = field(default_factory=list)

    def error(self, code: int, msg: str) -> Response:
        return Response(200, {"error": {"error_code": code, "error_msg": msg, "request_params": []}})

    def __call__(self, req: Request) -> Response:
        if req.path == "/media/photo.jpg":
            return Response(200, raw=b"\xff\xd8fake-jpeg", headers={"Content-Type": "image/jpeg"})
        if req.path == "/upload":
            assert b"fake-jpeg" in req.body
            return Response(200, {"server": 1, "photo": "[{\"photo\":\"x\"}]", "hash": "h1"})
        method = req.path.removeprefix("/method/")
        assert req.form["access_token"] == "vk-token" and req.form["v"] == "5.199"
        if method == "photos.getWallUploadServer":
            return Response(200, {"response": {"upload_url": f"{self.base}/upload", "album_id": 1, "user_id": 0}})
        if method == "photos.saveWallPhoto":
            assert req.form["hash"] == "h1"
            return Response(200, {"response": [{"id": 777, "owner_id": -GROUP, "album_id": 1}]})
        if method == "wall.getComments":
            items = [c for c in self.comments if c["post_id"] == int(req.form["post_id"])]
            return Response(200, {"response": {"count": len(items), "items": items[::-1]}})
        if method == "wall.createComment":
            step = self.script.pop(0) if self.script else "ok"
            if step == "flood":
                return self.error(9, "Flood control")
            if step == "internal":
                return self.error(10, "Internal server error")
            if step == "closed":
                return self.error(213, "Access to status replies denied")
            if step == "http500":
                return Response(500, raw=b"oops")
            if any(c.get("guid") == req.form.get("guid") for c in self.comments):  # VK's guid dedupe
                return Response(200, {"response": {"comment_id": self.comments[0]["id"], "parents_stack": []}})
            comment = {"id": 100 + len(self.comments), "from_id": -int(req.form["from_group"]),
                       "post_id": int(req.form["post_id"]), "owner_id": int(req.form["owner_id"]),
                       "date": 1772424000, "text": req.form["message"], "guid": req.form.get("guid"),
                       "attachments": req.form.get("attachments", "")}
            self.comments.append(comment)
            if step == "stored_then_500":
                return Response(502, raw=b"bad gateway")
            return Response(200, {"response": {"comment_id": comment["id"], "parents_stack": []}})
        return self.error(3, "Unknown method passed")


@pytest.fixture
def vk() -> Iterator[FakeVk]:
    fake = FakeVk()
    with serve(fake) as (base, _):
        fake.base = base
        yield fake


def publisher(vk: FakeVk, outbox: Outbox, sleeps: Sleeps) -> Publisher:
    adapter = VkAdapter("vk-token", GROUP, api_base=f"{vk.base}/method/", rps_delay_s=0)
    return Publisher(outbox, {"vk": adapter}, LIMITS, RetryPolicy(max_attempts=4), sleep=sleeps)


def test_r16_vk_reply_posted_under_the_post_with_photo(vk: FakeVk, outbox: Outbox, sleeps: Sleeps) -> None:
    photo = Attachment(kind="photo", url=f"{vk.base}/media/photo.jpg")
    out = publisher(vk, outbox, sleeps).handle(reply("vk", UID, text=f"**{TEXT}**", attachments=[photo]))
    assert out.published is not None and out.published.ok and not out.alerts
    assert out.published.url == "https://vk.com/wall-1234_567?reply=100"
    assert out.published.published_at is not None
    assert vk.comments[0]["text"] == TEXT  # markdown flattened (R21)
    assert vk.comments[0]["attachments"] == f"photo-{GROUP}_777"
    assert vk.comments[0]["guid"] == "r-1"
    assert outbox.get("r-1").state == State.PUBLISHED  # type: ignore[union-attr]


def test_r27_redelivered_command_returns_the_recorded_result(vk: FakeVk, outbox: Outbox, sleeps: Sleeps) -> None:
    pub = publisher(vk, outbox, sleeps)
    first = pub.handle(reply("vk", UID))
    again = pub.handle(reply("vk", UID))
    assert again.published == first.published and len(vk.comments) == 1


def test_vk_flood_control_waits_then_posts_once(vk: FakeVk, outbox: Outbox, sleeps: Sleeps) -> None:
    vk.script = ["flood", "flood"]
    out = publisher(vk, outbox, sleeps).handle(reply("vk", UID))
    assert out.published is not None and out.published.ok
    assert sleeps == [5.0, 5.0] and len(vk.comments) == 1


def test_vk_transient_failure_is_retried_with_backoff(vk: FakeVk, outbox: Outbox, sleeps: Sleeps) -> None:
    vk.script = ["http500", "internal"]
    out = publisher(vk, outbox, sleeps).handle(reply("vk", UID))
    assert out.published is not None and out.published.ok
    assert sleeps == [2.0, 4.0] and len(vk.comments) == 1


def test_vk_send_that_reached_the_network_is_found_not_reposted(vk: FakeVk, outbox: Outbox,
                                                                 sleeps: Sleeps) -> None:
    vk.script = ["stored_then_500"]
    out = publisher(vk, outbox, sleeps).handle(reply("vk", UID))
    assert out.published is not None and out.published.ok and (out.published.url or "").endswith("reply=100")
    assert len(vk.comments) == 1


def test_vk_permanent_failure_alerts_executor_and_curator(vk: FakeVk, outbox: Outbox, sleeps: Sleeps) -> None:
    vk.script = ["closed"]
    out = publisher(vk, outbox, sleeps).handle(reply("vk", UID))
    assert out.published is not None and not out.published.ok and out.published.permanent
    assert "213" in (out.published.error or "")
    (alert,) = out.alerts
    assert alert.kind == AlertKind.PUBLISH_FAILED and set(alert.recipients) == {"role:executor", "role:curator"}
    assert outbox.get("r-1").state == State.FAILED  # type: ignore[union-attr]
    assert publisher(vk, outbox, sleeps).handle(reply("vk", UID)).published.permanent  # type: ignore[union-attr]
    assert vk.comments == []


def test_vk_transient_failures_exhausted_leave_the_reply_for_redelivery(vk: FakeVk, outbox: Outbox,
                                                                         sleeps: Sleeps) -> None:
    vk.script = ["internal"] * 4
    out = publisher(vk, outbox, sleeps).handle(reply("vk", UID))
    assert out.published is not None and not out.published.ok and not out.published.permanent and not out.alerts
    assert outbox.get("r-1").state == State.RETRY  # type: ignore[union-attr]
    again = publisher(vk, outbox, sleeps).handle(reply("vk", UID))
    assert again.published is not None and again.published.ok and len(vk.comments) == 1


def test_vk_crash_between_sent_and_recorded_does_not_post_twice(vk: FakeVk, outbox_path: Path,
                                                                 sleeps: Sleeps) -> None:
    crashing = CrashAfterSendOutbox(outbox_path)
    with pytest.raises(Crash):
        publisher(vk, crashing, sleeps).handle(reply("vk", UID))
    crashing.close()
    assert len(vk.comments) == 1
    vk.comments[0]["guid"] = None  # prove the lookup, not VK's own guid dedupe, prevents the repeat
    restarted = Outbox(outbox_path)
    assert restarted.get("r-1").state == State.SENDING  # type: ignore[union-attr]
    out = publisher(vk, restarted, sleeps).handle(reply("vk", UID))
    assert out.published is not None and out.published.ok and (out.published.url or "").endswith("reply=100")
    assert len(vk.comments) == 1
    restarted.close()


def test_r21_too_long_text_is_refused_not_cut(vk: FakeVk, outbox: Outbox, sleeps: Sleeps) -> None:
    out = publisher(vk, outbox, sleeps).handle(reply("vk", UID, text="Ответ. " * 1000))
    assert out.published is not None and out.published.permanent and "сократите" in (out.published.error or "")
    assert vk.comments == [] and json.dumps(out.alerts[0].model_dump(mode="json"))


def test_reply_left_in_retry_is_resumed_from_the_outbox_without_redelivery(vk: FakeVk, outbox: Outbox,
                                                                            sleeps: Sleeps) -> None:
    from publisher.consumer import resume_outputs
    from schemas import ReplyPublished

    vk.script = ["internal"] * 4 + ["stored_then_500"]
    pub = publisher(vk, outbox, sleeps)
    assert pub.handle(reply("vk", UID)).published.ok is False  # type: ignore[union-attr]
    outputs = resume_outputs(pub, older_than_s=0)  # stored, then 502: found on the next loop, not reposted
    (topic, key, value), = outputs
    assert topic == "replies.published" and key == UID and ReplyPublished.from_bytes(value).ok
    assert len(vk.comments) == 1 and resume_outputs(pub, older_than_s=0) == []
