"""Instagram through instaloader: its own transport reaches a local server only through the
standard HTTPS_PROXY / REQUESTS_CA_BUNDLE settings (a TLS-terminating proxy), no patching."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.base import RateLimited, SourceDown, TransientError
from collectors.instagram import InstaloaderHashtagSource, make_loader
from schemas import Post, PostRejection
from tests.collectors.servers import ApiServer, Reply
from tests.collectors.tls_proxy import make_certificates, tls_proxy

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command makes the test CA")


def node(mid: str, ts: int, text: str, **extra: object) -> dict[str, object]:
    return {"id": mid, "shortcode": f"C{mid}", "taken_at_timestamp": ts, "owner": {"id": "55", "username": "kem_ira"},
            "edge_media_to_caption": {"edges": [{"node": {"text": text}}]}, "edge_liked_by": {"count": 3},
            "edge_media_to_comment": {"count": 1}, "is_video": False, "display_url": f"https://cdn.example/{mid}.jpg",
            **extra}


def hashtag_page(nodes: list[object], end_cursor: str | None = None) -> Reply:
    return Reply(body={"data": {"hashtag": {"name": "кемерово", "edge_hashtag_to_media": {
        "count": len(nodes), "page_info": {"has_next_page": end_cursor is not None, "end_cursor": end_cursor},
        "edges": [{"node": n} for n in nodes]}}}, "status": "ok"})


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_certificates(tmp_path_factory.mktemp("ca"), ["www.instagram.com", "i.instagram.com"])


@pytest.fixture
def instagram(certificates, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    ca, leaf, key = certificates
    api = ApiServer()
    with tls_proxy(api, leaf, key) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
        for name in ("NO_PROXY", "no_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        yield api


def test_hashtag_pages_through_instaloader_and_stops_at_the_last_sweep(instagram: ApiServer) -> None:
    instagram.route("/graphql/query", [
        hashtag_page([node("31", 1_790_000_300, "Кемерово ❄️ двор не чистят #кемерово")], end_cursor="QVFD"),
        hashtag_page([node("30", 1_790_000_200, "Kemerovo 🚧 yama на Ленина")]),
        hashtag_page([node("32", 1_790_000_400, "новый пост"), node("31", 1_790_000_300, "старый")],
                     end_cursor="MORE"),
    ])
    source = InstaloaderHashtagSource(make_loader(pace=False), "ig:web:кемерово", "#Кемерово")
    first = source.fetch(None)
    post = first.posts[0]
    assert first.more and post.uid == "instagram:ig:31" and post.url == "https://www.instagram.com/p/C31/"
    assert post.author.id == "55" and "❄️" in post.text and post.metrics.likes == 3
    second = source.fetch(first.cursor)
    assert not second.more and second.posts[0].text == "Kemerovo 🚧 yama на Ленина"
    third = source.fetch(second.cursor)
    assert not third.more, "reaching a post of the previous sweep ends this one"
    queries = [r for r in instagram.requests if r.path == "/graphql/query"]
    variables = [json.loads(r.param("variables") or "{}") for r in queries]
    assert variables[0]["tag_name"] == "кемерово" and variables[1]["after"] == "QVFD"
    assert queries[0].headers["Host"] == "www.instagram.com"


@pytest.mark.parametrize(("reply", "exc"), [
    (Reply(429, {"message": "Please wait a few minutes", "status": "fail"}), RateLimited),
    (Reply(400, {"message": "checkpoint_required", "status": "fail"}), SourceDown),
    (Reply(401, {"message": "login required", "status": "fail"}), SourceDown),
    (Reply(body='{"data": {"hashtag": {"edge_hashtag_to_m'), TransientError),
    (Reply(body={"data": {"hashtag": None}, "status": "ok"}), TransientError),
])
def test_errors_are_classified(instagram: ApiServer, reply: Reply, exc: type[Exception]) -> None:
    instagram.route("/graphql/query", [reply])
    with pytest.raises(exc):
        InstaloaderHashtagSource(make_loader(pace=False), "ig:web:t", "t").fetch(None)


def test_hostile_nodes_are_rejections_and_long_captions_bounded(instagram: ApiServer) -> None:
    instagram.route("/graphql/query", [hashtag_page([
        node("40", 1_790_000_000, "Новокузнецк " + "🐕" * 30_000), {"id": "41"}, "junk",
        node("42", 1_790_000_000, "x", owner={"id": "a:b"})])])
    items = InstaloaderHashtagSource(make_loader(pace=False), "ig:web:t", "t").fetch(None).items
    assert isinstance(items[0], Post) and items[0].truncated
    assert [type(i) for i in items[1:]] == [PostRejection] * 3
