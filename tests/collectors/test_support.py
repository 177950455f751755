"""Morphology, credentials, config building and the runner's schedule."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from collectors.base import Page, RateLimited, TransientError
from collectors.config import FilteredSource, build_sources, load_config
from collectors.credentials import Credentials
from collectors.morph import KeywordMatcher, forms, twitter_queries
from collectors.runner import Runner, backoff_delay, collector_health
from collectors.state import CollectorState
from schemas import Author, Network, Post
from tests.collectors.memsink import MemorySink

REPO = Path(__file__).resolve().parents[2]


def test_morphology_finds_inflected_forms() -> None:
    assert "отопления" in forms("отопление")
    matcher = KeywordMatcher(["отопление", "горячая вода"])
    assert matcher.matches("Прокопьевск: третий день без отопления")
    assert matcher.matches("Нет горячей воды в Юрге")
    assert not matcher.matches("Отопительный сезон начался")
    assert not matcher.matches("вода холодная")


def test_twitter_queries_carry_all_forms_under_the_limit() -> None:
    queries = twitter_queries(["отопление", "горячая вода", "вывоз мусора", "бродячие собаки"] * 3, limit=200)
    assert all(len(q) <= 200 for q in queries) and len(queries) > 1
    joined = " ".join(queries)
    assert "отопления" in joined and '"горячая вода"' in joined


def test_credentials_from_env_and_secrets_dir_never_shown(tmp_path: Path) -> None:
    (tmp_path / "otklik_twitter_bearer_token").write_text("tw-secret\n", encoding="utf-8")
    creds = Credentials.load({"OTKLIK_VK_TOKEN": "vk-secret"}, secrets_dir=tmp_path)
    assert creds.get("VK_TOKEN") == "vk-secret" and creds.get("TWITTER_BEARER_TOKEN") == "tw-secret"
    assert "secret" not in repr(creds) and not creds.has("OK_APP_KEY")


def test_region_config_builds_sources_and_skips_networks_without_keys() -> None:
    config = load_config(REPO / "regions" / "kuzbass" / "sources.yaml")
    none = build_sources(config, Credentials({}))
    assert {s.network for s in none.sources} == {"blog"}
    assert any("vk" in r for r in none.skipped)
    full = build_sources(config, Credentials.load({"OTKLIK_VK_TOKEN": "t", "OTKLIK_TWITTER_BEARER_TOKEN": "t",
                                                   "OTKLIK_OK_APP_KEY": "a", "OTKLIK_OK_SECRET_KEY": "s",
                                                   "OTKLIK_OK_ACCESS_TOKEN": "t", "OTKLIK_INSTAGRAM_TOKEN": "t",
                                                   "OTKLIK_INSTAGRAM_USER_ID": "1"}))
    names = [s.name for s in full.sources]
    assert len(names) == len(set(names))
    assert "vk:search:отопление" in names and "twitter:mentions" in names and "twitter:replies:kuzbass_gov" in names
    assert any(n.startswith("ok:group:") for n in names) and any(n.startswith("instagram:tag:") for n in names)


class Scripted:
    """A source answering a scripted sequence of pages or exceptions."""

    network = "vk"
    interval_s = 60.0

    def __init__(self, name: str, script: list[Page | Exception]) -> None:
        self.name, self.script, self.calls = name, script, 0

    def fetch(self, cursor: str | None) -> Page:
        self.calls += 1
        step = self.script.pop(0) if self.script else Page([], cursor)
        if isinstance(step, Exception):
            raise step
        return step


def _post(n: int, text: str = "Кемерово: нет отопления") -> Post:
    return Post(uid=f"vk:-1:{n}", network=Network.VK, author=Author(id="1"), text=text,
                created_at=datetime(2026, 11, 27, 1, tzinfo=UTC))


def test_runner_backs_off_honours_retry_after_and_records_health(tmp_path: Path) -> None:
    now = [1000.0]
    source = Scripted("vk:s", [TransientError("502"), RateLimited("flood", 60.0), Page([_post(1)], "c1")])
    sink, state = MemorySink(), CollectorState(tmp_path)
    runner = Runner([source], sink, state, clock=lambda: now[0], rng=random.Random(3))
    slot = runner.slots[0]
    runner.step(slot)
    assert slot.health.status == "backoff" and 4.0 <= slot.next_due - now[0] <= 6.0
    runner.step(slot)
    assert slot.health.status == "rate_limited" and 60.0 <= slot.next_due - now[0] <= 72.0
    runner.step(slot)
    assert slot.health.status == "ok" and slot.health.errors_total == 2 and slot.health.consecutive_errors == 0
    assert state.cursor("vk:s") == "c1"
    errors = REGISTRY.get_sample_value("otklik_collector_errors_total",
                                       {"source": "vk:s", "network": "vk", "kind": "rate_limited"})
    assert errors is not None and errors >= 1
    assert REGISTRY.get_sample_value("otklik_collector_last_success_timestamp_seconds", {"source": "vk:s"}) == 1000.0
    assert REGISTRY.get_sample_value("otklik_collector_up", {"source": "vk:s"}) == 1.0
    state.close()
    saved = {h.source: h for h in collector_health(str(tmp_path))}
    assert saved["vk:s"].status == "ok" and saved["vk:s"].posts_total == 1


def test_backoff_grows_exponentially_and_is_capped() -> None:
    rng = random.Random(0)
    delays = [backoff_delay(n, rng) for n in range(1, 12)]
    assert delays[1] > delays[0] * 1.4 and delays[4] > delays[3] * 1.4
    assert max(delays) <= 900 * 1.2


def test_same_post_from_two_sources_is_published_once(tmp_path: Path) -> None:
    a = Scripted("vk:a", [Page([_post(1), _post(2)], "a")])
    b = Scripted("vk:b", [Page([_post(2), _post(3)], "b")])
    sink, state = MemorySink(), CollectorState(tmp_path)
    runner = Runner([a, b], sink, state)
    for slot in runner.slots:
        runner.poll_once(slot)
    assert [p.uid for p in sink.posts] == ["vk:-1:1", "vk:-1:2", "vk:-1:3"]
    state.close()


def test_filtered_source_keeps_keyword_matches_only() -> None:
    inner = Scripted("blog:x", [Page([_post(1), _post(2, "Фестиваль в парке")], "x")])
    page = FilteredSource(inner, KeywordMatcher(["отопление"])).fetch(None)
    assert [p.uid for p in page.posts] == ["vk:-1:1"]


def test_duplicate_source_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Runner([Scripted("x", []), Scripted("x", [])], MemorySink(), CollectorState(tmp_path))


class FlakyBusSink(MemorySink):
    """The log keeps what was written, but the first flush reports a failure (broker lost mid-ack)."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_next_flush = True

    def flush(self) -> None:
        super().flush()
        if self.fail_next_flush:
            self.fail_next_flush = False
            raise ConnectionError("bus unavailable")


def test_failed_flush_is_settled_before_the_next_poll_without_duplicates(tmp_path: Path) -> None:
    page = Page([_post(1), _post(2)], "c1")
    source = Scripted("vk:s", [page, Page([_post(1), _post(2), _post(3)], "c1")])
    sink, state = FlakyBusSink(), CollectorState(tmp_path)
    runner = Runner([source], sink, state, rng=random.Random(0))
    runner.step(runner.slots[0])
    assert runner.slots[0].health.status == "backoff" and state.cursor("vk:s") is None
    runner.step(runner.slots[0])
    assert [p.uid for p in sink.posts] == ["vk:-1:1", "vk:-1:2", "vk:-1:3"]
    assert state.pending() == [] and state.cursor("vk:s") == "c1"
    state.close()


def test_a_crashing_source_does_not_stop_the_others(tmp_path: Path) -> None:
    broken = Scripted("vk:broken", [KeyError("bug in a source")])
    fine = Scripted("vk:fine", [Page([_post(5)], "f")])
    sink, state = MemorySink(), CollectorState(tmp_path)
    runner = Runner([broken, fine], sink, state, rng=random.Random(0))
    runner.run(max_steps=2)
    assert [p.uid for p in sink.posts] == ["vk:-1:5"]
    assert {h.source: h.status for h in runner.health()} == {"vk:broken": "backoff", "vk:fine": "ok"}
    state.close()
