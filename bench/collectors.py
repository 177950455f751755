"""Normalisation throughput per network (target >= 5,000 posts/s per core), plus the replay
collector end to end (ledger + embedded bus), single-threaded.

    python -m bench.collectors [--posts 20000]

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telethon.tl import types

from collectors.base import normalise_safely
from collectors.blogs import normalise_entry
from collectors.instagram import normalise_ig_media, normalise_ig_node
from collectors.ok import normalise_ok_topic
from collectors.replay import ReplaySource, normalise_replay
from collectors.runner import Runner
from collectors.sink import BusSink
from collectors.state import CollectorState
from collectors.telegram import normalise_telegram
from collectors.twitter import normalise_tweet
from collectors.vk import normalise_vk_post
from otklik.bus import open_bus
from schemas import Post

TEXTS = ["Кемерово, ул. Свободы 14: батареи еле тёплые уже третью неделю, дома +16 🥶",
         "Новокузнецк, пр. Бардина: после ремонта асфальт просел и пошёл трещинами. Гарантия есть?",
         "Прокопьевск: снег чёрный от угольной пыли, дети кашляют. Когда это закончится?"]


def _vk(i: int) -> dict[str, Any]:
    return {"id": i, "owner_id": -51234567, "from_id": 4472 + i, "date": 1_790_000_000 + i, "text": TEXTS[i % 3],
            "likes": {"count": 3}, "reposts": {"count": 1}, "comments": {"count": 2}, "views": {"count": 90},
            "attachments": [{"type": "photo", "photo": {"sizes": [{"url": f"https://x/{i}.jpg"}]}}]}


def _ok(i: int) -> dict[str, Any]:
    return {"id": str(1000 + i), "author_ref": "group:54123", "created_ms": 1_790_000_000_000 + i,
            "media": [{"type": "text", "text": TEXTS[i % 3]}], "like_summary": {"count": 4},
            "discussion_summary": {"comments_count": 1}}


def _tweet(i: int) -> dict[str, Any]:
    return {"id": str(1_900_000 + i), "author_id": "2244", "text": TEXTS[i % 3], "created_at": "2026-11-27T03:15:00Z",
            "public_metrics": {"retweet_count": 2, "reply_count": 1, "like_count": 9, "quote_count": 0}}


def _ig(i: int) -> dict[str, Any]:
    return {"id": str(17_000 + i), "caption": TEXTS[i % 3], "media_type": "IMAGE",
            "timestamp": "2026-11-27T04:10:00+0000", "like_count": 3, "comments_count": 1, "username": "kem_lena7",
            "permalink": "https://instagram.com/p/x/"}


def _ig_node(i: int) -> dict[str, Any]:
    return {"id": str(31_000 + i), "shortcode": f"C{i}", "taken_at_timestamp": 1_790_000_000 + i,
            "owner": {"id": "55"}, "edge_media_to_caption": {"edges": [{"node": {"text": TEXTS[i % 3]}}]},
            "edge_liked_by": {"count": 3}, "edge_media_to_comment": {"count": 1}, "is_video": False}


def _entry(i: int) -> dict[str, Any]:
    return {"id": f"https://kemerovo-ru.livejournal.com/{i}.html", "link": f"https://kemerovo-ru.livejournal.com/{i}.html",
            "title": "Двор", "summary": f"<p>{TEXTS[i % 3]}</p>", "author": "ivan_k",
            "published_parsed": time.gmtime(1_790_000_000 + i)}


def _telegram(i: int) -> types.Message:
    return types.Message(id=i + 1, peer_id=types.PeerChannel(1_500_100_200), message=TEXTS[i % 3], views=10,
                         date=datetime(2026, 11, 27, 5, 0, tzinfo=UTC),
                         replies=types.MessageReplies(replies=1, replies_pts=1))


def _replay(i: int) -> dict[str, Any]:
    return {"network": "vk", "owner_id": "-1", "post_id": str(i), "text": TEXTS[i % 3],
            "created_at": "2026-11-27T01:00:00Z", "author": {"id": "1", "name": "Ирина К."}}


CASES: dict[str, tuple[Callable[..., Post], Callable[[int], Any], dict[str, Any]]] = {
    "vk": (normalise_vk_post, _vk, {}),
    "ok": (normalise_ok_topic, _ok, {"group_id": "54123"}),
    "twitter": (normalise_tweet, _tweet, {"users": {}, "places": {}}),
    "instagram": (normalise_ig_media, _ig, {}),
    "instagram_web": (normalise_ig_node, _ig_node, {}),
    "blog": (normalise_entry, _entry, {"feed_id": "lj-kemerovo-ru"}),
    "telegram": (normalise_telegram, _telegram, {"channel": "nk_gorod"}),
    "replay": (normalise_replay, _replay, {}),
}


def _throughput(network: str, n: int) -> float:
    normaliser, make, kwargs = CASES[network]
    payloads = [make(i) for i in range(n)]
    name = network.split("_")[0]
    start = time.perf_counter()
    for raw in payloads:
        item = normalise_safely(normaliser, raw, network=name, source="bench", **kwargs)
        if not isinstance(item, Post):
            raise RuntimeError(f"{network}: bench payload rejected: {item.error}")
    return n / (time.perf_counter() - start)


def _end_to_end(n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "posts.jsonl"
        path.write_text("\n".join(json.dumps(_replay(i), ensure_ascii=False) for i in range(n)), encoding="utf-8")
        bus = open_bus(f"sqlite:///{tmp}/bus.sqlite")
        state = CollectorState(Path(tmp) / "state")
        source = ReplaySource(path)
        source.page_size = 500
        runner = Runner([source], BusSink(bus), state)
        start = time.perf_counter()
        while True:
            page = runner.poll_once(runner.slots[0])
            if not page.more:
                break
        elapsed = time.perf_counter() - start
        state.close()
        bus.close()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=20_000)
    args = parser.parse_args()
    result: dict[str, Any] = {"bench": "collectors", "posts": args.posts, "target_posts_per_s": 5000,
                              "normalise_posts_per_s": {}}
    for network in CASES:
        result["normalise_posts_per_s"][network] = round(_throughput(network, args.posts))
    result["replay_to_embedded_bus_posts_per_s"] = round(_end_to_end(min(args.posts, 10_000)))
    result["all_networks_meet_target"] = all(v >= 5000 for v in result["normalise_posts_per_s"].values())
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
