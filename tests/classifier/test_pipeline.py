"""The full suggestion on our own Kuzbass posts, with the shipped model (R7.1, R12, R19, R22)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from classifier.pipeline import Classifier
from schemas import Author, Importance, Network, Post

REGION = Path(__file__).resolve().parents[2] / "regions" / "kuzbass"
WINTER = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)


def _post(uid: str, text: str, at: datetime = WINTER, **kw: Any) -> Post:
    return Post(uid=uid, network=Network.VK, author=Author(id="1"), text=text, created_at=at, **kw)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load(REGION)


def test_r7_1_suggests_topic_place_importance_and_route(classifier: Classifier) -> None:
    s = classifier.suggest(_post("vk:-1:1", "В Новокузнецке на ул. Кирова, 12 третий день нет отопления, "
                                            "в квартире +12, маленькие дети болеют"))
    assert len(s.topics) == 3 and s.topics[0].confidence >= s.topics[1].confidence
    assert s.location.municipality == "novokuznetsk" and s.location.address
    assert s.importance.label == Importance.HIGH and s.importance.reasons
    assert s.routes and s.routes[0].reason
    assert s.model_version == classifier.version and s.model_version != "unknown"
    assert not s.excluded


def test_r22_obscene_post_is_suggested_for_exclusion_with_span(classifier: Classifier) -> None:
    text = "В Белово Х**ню сделали, а не остановку"
    s = classifier.suggest(_post("vk:-1:2", text))
    assert s.excluded
    start, end = s.moderation[0].span
    assert text[start:end] == s.moderation[0].fragment


def test_r19_1_repeat_post_links_to_the_earlier_one(classifier: Classifier) -> None:
    first = "Юрга, ул. Московская 5: в подъезде прорвало трубу отопления, кипяток на лестнице"
    classifier.suggest(_post("vk:-1:10", first))
    again = classifier.suggest(_post("ok:7:11", "Юрга, Московская 5 — прорвало трубу отопления в подъезде, кипяток "
                                                "на лестнице, никто не едет", at=WINTER + timedelta(hours=3)))
    assert any(r.uid == "vk:-1:10" for r in again.repeats)


def test_batch_equals_one_by_one_topics(classifier: Classifier) -> None:
    posts = [_post(f"vk:-2:{i}", t) for i, t in enumerate(["Яма на дороге у школы в Кемерове",
                                                              "Не вывозят мусор в Прокопьевске уже неделю"])]
    batch = classifier.suggest_many(posts)
    assert [s.topics[0].topic for s in batch] == [classifier.suggest(p).topics[0].topic for p in posts]


def test_hostile_text_is_bounded_and_never_crashes(classifier: Classifier) -> None:
    s = classifier.suggest(_post("vk:-3:1", "<script>alert(1)</script>" + "ы" * 19_000 + " \u202e\u0000"))
    assert s.topics


def test_r12_r19_mass_of_verbatim_posts_counts_at_least_the_saturation(classifier: Classifier) -> None:
    text = "Прокопьевск, ул. Шахтёров 7: нет горячей воды пятый день, управляющая компания молчит"
    cap = classifier.mass_cap
    assert cap is not None
    out = classifier.suggest_many([_post(f"vk:-5:{i}", text, at=WINTER + timedelta(minutes=i))
                                   for i in range(cap + 3)])
    assert [r.uid for r in out[-1].repeats] == [f"vk:-5:{i}" for i in range(cap + 1, cap - 4, -1)]
    assert f"массовость: не менее {cap} похожих сообщений за сутки" in out[-1].importance.reasons
    assert f"массовость: {cap - 1} похожих сообщений за сутки" in out[cap - 1].importance.reasons
