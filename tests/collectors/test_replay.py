"""Replay collector: demo file, simple and full JSONL shapes, CSV, bad rows, time scale."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.replay import ReplayError, ReplaySource
from schemas import Author, Network, Post

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "regions" / "kuzbass" / "demo-posts.jsonl"


def test_demo_posts_load_cleanly_and_cover_the_demo() -> None:
    source = ReplaySource(DEMO)
    posts = list(source.posts())
    assert len(posts) >= 240 and source.rejections == []
    assert {p.network for p in posts} >= {Network.VK, Network.OK, Network.TWITTER, Network.INSTAGRAM,
                                            Network.BLOG, Network.TELEGRAM}
    uids = [p.uid for p in posts]
    assert len(set(uids)) < len(uids), "edits replay as later versions of the same uid"
    assert any(p.deleted for p in posts) and any(p.geo for p in posts)
    assert any(p.reply_to == "vk:-100000001:5001" for p in posts), "comments under the government's post (R5)"
    assert any(p.author.is_official for p in posts)
    moments = [p.edited_at or p.created_at for p in posts]
    assert moments == sorted(moments)


def test_simple_and_full_shapes_and_bad_rows(tmp_path: Path) -> None:
    full = Post(uid="vk:-1:2", network=Network.VK, author=Author(id="1"), text="Юрга: ямы",
                created_at=datetime(2026, 11, 27, tzinfo=UTC))
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([
        json.dumps({"text": "Белово: нет воды 💧", "created_at": "2026-11-27T01:00:00Z"}, ensure_ascii=False),
        full.model_dump_json(),
        "{not json",
        json.dumps({"text": "без даты"}),
        json.dumps({"text": 5, "created_at": "2026-11-27T01:00:00Z"}),
        json.dumps({"text": "naive", "created_at": "2026-11-27T01:00:00"}),
        "",
        json.dumps([1, 2]),
    ]), encoding="utf-8")
    source = ReplaySource(path)
    posts = list(source.posts())
    assert [p.uid for p in posts] == ["replay:mixed:1", "vk:-1:2", "replay:mixed:4"]
    assert len(source.rejections) == 4
    assert all(r.error.startswith("line ") for r in source.rejections)
    assert source.rejections[0].raw == "{not json"


def test_csv_with_text_column(tmp_path: Path) -> None:
    path = tmp_path / "appeals.csv"
    path.write_text('id,text,topic\n7,"<p>Прокопьевск: во дворе &laquo;яма&raquo;</p>",дороги\n8,"",x\n',
                    encoding="utf-8")
    posts = list(ReplaySource(path).posts())
    assert posts[0].uid == "replay:appeals:7" and posts[0].text == "Прокопьевск: во дворе «яма»"
    assert posts[0].raw["csv"] == {"id": "7", "topic": "дороги"}
    with pytest.raises(ReplayError):
        bad = tmp_path / "bad.csv"
        bad.write_text("a,b\n1,2\n", encoding="utf-8")
        list(ReplaySource(bad).posts())


def test_time_scale_paces_by_created_at_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(json.dumps({"text": f"пост {i}", "created_at": f"2026-11-27T01:00:{i * 10:02d}Z"})
                              for i in range(4)), encoding="utf-8")
    slept: list[float] = []
    posts = list(ReplaySource(path, time_scale=0.5, limit=3, sleep=slept.append).posts())
    assert len(posts) == 3 and slept == [5.0, 5.0]
    assert list(ReplaySource(path, time_scale=0, sleep=slept.append).posts()) and slept == [5.0, 5.0]


def test_rebase_moves_the_first_post_to_now_and_keeps_gaps_across_pages(tmp_path: Path) -> None:
    now = datetime(2027, 1, 10, 3, 0, tzinfo=UTC)
    original = list(ReplaySource(DEMO).posts())
    source = ReplaySource(DEMO, rebase_to=now)
    source.page_size = 50
    first = source.fetch(None)
    second = source.fetch(first.cursor)
    assert first.posts[0].created_at == now
    assert second.posts[0].created_at - now == original[50].created_at - original[0].created_at


def test_fetch_pages_by_line_cursor(tmp_path: Path) -> None:
    source = ReplaySource(DEMO)
    source.page_size = 100
    first = source.fetch(None)
    assert len(first.items) == 100 and first.more
    second = source.fetch(first.cursor)
    assert second.posts[0].uid != first.posts[-1].uid and int(second.cursor or 0) > int(first.cursor or 0)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="does not exist"):
        ReplaySource(tmp_path / "nope.jsonl")
