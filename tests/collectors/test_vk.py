"""VK collector driving vk-api against a local server answering in dev.vk.com shapes."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import pytest

from collectors.base import RateLimited, SourceDown, TransientError
from collectors.replay import ReplaySource
from collectors.runner import Runner
from collectors.state import CollectorState
from collectors.vk import VkSearchSource, VkWallSource, make_client, normalise_vk_post
from schemas import Post, PostRejection
from tests.collectors.memsink import MemorySink
from tests.collectors.servers import ApiServer, Reply, rerouted_session

TOKEN = "vk1.a.test-secret-token"


def post(pid: int, date: int, text: str = "Кемерово: нет отопления", **extra: object) -> dict[str, object]:
    return {"id": pid, "owner_id": -51234567, "from_id": 4472, "date": date, "text": text,
            "likes": {"count": 3}, "reposts": {"count": 1}, "comments": {"count": 0}, "views": {"count": 90}, **extra}


def ok(response: object) -> Reply:
    return Reply(body={"response": response})


def error(code: int, msg: str = "error") -> Reply:
    return Reply(body={"error": {"error_code": code, "error_msg": msg, "request_params": []}})


@pytest.fixture
def server() -> Iterator[tuple[ApiServer, str]]:
    srv = ApiServer()
    with srv.running() as base:
        yield srv, base


def client(base: str):
    vk = make_client(TOKEN, session=rerouted_session(base, "api.vk.ru", "api.vk.com"))
    vk.RPS_DELAY = 0.0
    return vk


def test_search_pages_with_next_from_then_sweeps_from_newest(server) -> None:
    srv, base = server
    srv.route("/method/newsfeed.search", [
        ok({"items": [post(3, 1_790_000_300), post(2, 1_790_000_200)], "next_from": "p2", "count": 3}),
        ok({"items": [post(1, 1_790_000_100, "Новокузнецк 🥶 otoplenie нет, ул. Кутузова")], "count": 3}),
        ok({"items": [], "count": 0}),
    ])
    source = VkSearchSource(client(base), "vk:search:heat", "отопление")
    first = source.fetch(None)
    assert first.more and [i.uid for i in first.posts] == ["vk:-51234567:3", "vk:-51234567:2"]
    second = source.fetch(first.cursor)
    assert not second.more and "🥶" in second.posts[0].text
    source.fetch(second.cursor)
    sent = srv.requests
    assert sent[0].param("q") == "отопление" and sent[0].param("access_token") == TOKEN
    assert sent[1].param("start_from") == "p2"
    assert sent[2].param("start_time") == str(1_790_000_301), "the next sweep starts after the newest post"


def test_search_by_place_sends_coordinates(server) -> None:
    srv, base = server
    srv.route("/method/newsfeed.search", [ok({"items": [post(1, 1_790_000_000, geo={
        "type": "point", "coordinates": "55.3547 86.0873", "place": {"title": "Кемерово"}})]})])
    page = VkSearchSource(client(base), "vk:place:kem", latitude=55.35, longitude=86.08).fetch(None)
    assert srv.requests[0].param("latitude") == "55.35"
    geo = page.posts[0].geo
    assert geo is not None and geo.place_name == "Кемерово"


@pytest.mark.parametrize(("reply", "retry"), [
    (error(6, "Too many requests per second"), 1.0),
    (error(9, "Flood control"), 60.0),
    (error(29, "Rate limit reached"), 3600.0),
    (Reply(429, {"error": "slow down"}, headers={"Retry-After": "17"}), 17.0),
])
def test_rate_limit_signals_become_retry_after(server, reply: Reply, retry: float) -> None:
    srv, base = server
    srv.route("/method/", [reply])
    with pytest.raises(RateLimited) as caught:
        VkSearchSource(client(base), "vk:s", "вода").fetch(None)
    assert caught.value.retry_after == retry


@pytest.mark.parametrize("reply", [error(5, "User authorization failed: invalid access_token"), error(18),
                                   Reply(401, {"error": "unauthorized"})])
def test_auth_failure_stops_the_source(server, reply: Reply) -> None:
    srv, base = server
    srv.route("/method/", [reply])
    with pytest.raises(SourceDown):
        VkSearchSource(client(base), "vk:s", "вода").fetch(None)


def test_bad_token_alerts_and_other_sources_keep_running(server, tmp_path, caplog) -> None:
    srv, base = server
    srv.route("/method/", [error(5, "User authorization failed: invalid access_token")])
    demo = tmp_path / "p.jsonl"
    demo.write_text(json.dumps({"text": "Юрга: нет воды", "created_at": "2026-11-27T01:00:00Z"}, ensure_ascii=False)
                    + "\n", encoding="utf-8")
    sink, state = MemorySink(), CollectorState(tmp_path / "state")
    runner = Runner([VkSearchSource(client(base), "vk:s", "вода"), ReplaySource(demo)], sink, state,
                    rng=random.Random(1))
    runner.run(exit_when_idle=True, max_steps=10)
    health = {h.source: h for h in runner.health()}
    assert health["vk:s"].status == "down" and "токен" in (health["vk:s"].last_error or "")
    assert [a.kind.value for a in sink.alerts] == ["source_down"]
    assert "Источник" in sink.alerts[0].title
    assert [p.text for p in sink.posts] == ["Юрга: нет воды"], "the replay source kept running"
    assert TOKEN not in caplog.text
    state.close()


def test_truncated_and_malformed_pages_are_transient_and_keep_the_cursor(server) -> None:
    srv, base = server
    srv.route("/method/newsfeed.search", [
        Reply(body='{"response": {"items": [{"id": 1, "owner_id": -5, "da'),
        ok({"items": "not a list"}),
        Reply(502, "<html>Bad Gateway</html>", content_type="text/html"),
        ok({"items": [post(1, 1_790_000_000)]}),
    ])
    source = VkSearchSource(client(base), "vk:s", "дороги")
    for _ in range(3):
        with pytest.raises(TransientError):
            source.fetch(None)
    assert source.fetch(None).posts[0].uid == "vk:-51234567:1"


def test_bad_items_become_rejections_not_failures(server) -> None:
    srv, base = server
    long_text = "Прокопьевск, ул. Гагарина — " + "яма " * 12_000
    srv.route("/method/newsfeed.search", [ok({"items": [
        post(1, 1_790_000_000, long_text), {"id": "x:y", "owner_id": -1, "date": 1}, {"owner_id": -1}, "junk",
        post(2, 1_790_000_000, "Мeждурeченск 👍🏽 свет дали, thanks"),
    ]})])
    items = VkSearchSource(client(base), "vk:s", "яма").fetch(None).items
    posts = [i for i in items if isinstance(i, Post)]
    assert len(posts) == 2 and sum(isinstance(i, PostRejection) for i in items) == 3
    assert posts[0].truncated and len(posts[0].text) == 20_000
    assert posts[1].text == "Мeждурeченск 👍🏽 свет дали, thanks"


def test_r5_government_wall_comments_are_read_with_threads_and_deletions(server) -> None:
    srv, base = server
    gov = -100000001
    srv.route("/method/wall.get", [ok({"count": 2, "items": [
        post(5002, 1_790_000_500, "Итоги недели", owner_id=gov, from_id=gov, comments={"count": 0}),
        post(5001, 1_790_000_400, "Ремонт дорог", owner_id=gov, from_id=gov, comments={"count": 3}),
    ]})])
    srv.route("/method/wall.getComments", [ok({"count": 2, "current_level_count": 2, "items": [
        {"id": 91, "from_id": 11, "post_id": 5001, "owner_id": gov, "date": 1_790_000_600,
         "text": "А на Тухачевского снег не убран", "thread": {"count": 1, "items": [
             {"id": 93, "from_id": gov, "post_id": 5001, "owner_id": gov, "date": 1_790_000_700,
              "text": "Передали в администрацию", "reply_to_comment": 91}]}},
        {"id": 92, "deleted": True, "from_id": 12, "post_id": 5001, "owner_id": gov, "date": 1_790_000_650, "text": ""},
    ]})])
    source = VkWallSource(client(base), "vk:gov", owner_id=str(gov), comments=True,
                          official=frozenset({str(gov)}))
    wall = source.fetch(None)
    assert wall.more, "comments of the government's posts come next"
    page = source.fetch(wall.cursor)
    by_uid = {p.uid: p for p in page.posts}
    assert set(by_uid) == {"vk:-100000001:5001:91", "vk:-100000001:5001:93", "vk:-100000001:5001:92"}
    assert by_uid["vk:-100000001:5001:93"].reply_to == "vk:-100000001:5001:91"
    assert by_uid["vk:-100000001:5001:93"].author.is_official
    assert by_uid["vk:-100000001:5001:92"].deleted
    assert srv.requests[-1].param("post_id") == "5001"
    assert not page.more


def test_edited_post_becomes_a_new_version_of_the_same_uid(server, tmp_path) -> None:
    srv, base = server
    srv.route("/method/newsfeed.search", [
        ok({"items": [post(7, 1_790_000_000, "Белово: нет света")]}),
        ok({"items": [post(7, 1_790_000_000, "Белово: нет света", likes={"count": 40})]}),
        ok({"items": [post(7, 1_790_000_000, "Белово: нет света. UPD: дали", edited=1_790_000_900)]}),
    ])
    sink, state = MemorySink(), CollectorState(tmp_path)
    runner = Runner([VkSearchSource(client(base), "vk:s", "свет")], sink, state)
    for _ in range(3):
        runner.poll_once(runner.slots[0])
    assert [(p.uid, p.version) for p in sink.posts] == [("vk:-51234567:7", 1), ("vk:-51234567:7", 2)]
    assert sink.posts[1].edited_at is not None
    state.close()


def test_normaliser_keeps_the_raw_payload() -> None:
    raw = post(1, 1_790_000_000, attachments=[{"type": "photo", "photo": {"sizes": [{"url": "https://x/1.jpg"}]}}])
    result = normalise_vk_post(raw)
    assert result.raw == raw and result.attachments[0].url == "https://x/1.jpg"
