from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from classifier.importance import ImportanceConfigError, ImportanceScorer, tune_threshold
from schemas import Author, Importance, Metrics, Network, Post

ROOT = Path(__file__).resolve().parents[2]
REGION = ROOT / "regions" / "kuzbass"
WINTER = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def scorer() -> ImportanceScorer:
    return ImportanceScorer.load(REGION)


def post(text: str = "", at: datetime = SUMMER, metrics: Metrics | None = None, followers: int | None = None,
         collected: datetime | None = None) -> Post:
    return Post(uid="vk:-1:100", network=Network.VK, author=Author(id="1", followers=followers), text=text,
                created_at=at, collected_at=collected or at, metrics=metrics or Metrics())


def test_r12_plain_complaint_is_normal(scorer):
    s = scorer.score(post(), "Когда отремонтируют дорогу на Кирова?")
    assert s.label is Importance.NORMAL and s.score == 0 and s.reasons == []


def test_r12_outage_is_high_in_cold_season_but_not_in_summer(scorer):
    text = "В доме нет отопления третий день"
    winter = scorer.score(post(at=WINTER), text)
    summer = scorer.score(post(at=SUMMER), text)
    assert winter.label is Importance.HIGH and summer.label is Importance.NORMAL
    assert any("холодный сезон" in r for r in winter.reasons)


def test_r12_cold_season_uses_region_zone():
    scorer = ImportanceScorer.load(REGION)
    # 30 Sep 20:00 UTC is already 1 Oct 03:00 in Novokuznetsk.
    assert scorer.is_cold_season(post(at=datetime(2026, 9, 30, 20, 0, tzinfo=UTC)))
    assert not scorer.is_cold_season(post(at=datetime(2026, 9, 30, 10, 0, tzinfo=UTC)))


@pytest.mark.parametrize(
    "text",
    [
        "Обрушился балкон, пострадал человек",
        "Пожар в подъезде, людей эвакуируют",
        "Открытый люк у школы, дети могут упасть",
        "Перекрыли дорогу, митинг жителей против свалки",
    ],
)
def test_r12_threat_to_life_fire_collapse_mass_events_are_high(scorer, text):
    s = scorer.score(post(), text)
    assert s.label is Importance.HIGH, s
    assert s.reasons


def test_r12_reasons_quote_the_fragment_from_the_text(scorer):
    s = scorer.score(post(at=WINTER), "Пожар! Горит дом на Кирова")
    assert any("«Пожар»" in r for r in s.reasons)


def test_r12_social_signals_raise_the_score(scorer):
    text = "Когда отремонтируют дорогу?"
    quiet = scorer.score(post(), text)
    loud = scorer.score(post(metrics=Metrics(likes=2000, reposts=400, comments=600, views=90000)), text)
    assert loud.score > quiet.score
    assert any("активность" in r for r in loud.reasons)


def test_r12_few_reactions_give_no_social_reason(scorer):
    s = scorer.score(post(metrics=Metrics(likes=3, comments=1, views=40)), "вопрос")
    assert s.reasons == []


def test_r12_growth_rate_between_versions(scorer):
    t0 = SUMMER
    first = post(metrics=Metrics(likes=10), collected=t0)
    later = post(metrics=Metrics(likes=400, reposts=50, comments=60), collected=t0 + timedelta(hours=1))
    with_growth = scorer.score(later, "вопрос", previous=first)
    without = scorer.score(later, "вопрос")
    assert with_growth.score > without.score
    assert any("рост" in r for r in with_growth.reasons)


def test_r12_author_reach(scorer):
    big = scorer.score(post(followers=250_000), "вопрос")
    small = scorer.score(post(followers=300), "вопрос")
    assert big.score > small.score == 0
    assert any("подписчиков" in r for r in big.reasons)


def test_r12_mass_ness_from_similar_posts(scorer):
    alone = scorer.score(post(), "нет воды")
    many = scorer.score(post(), "нет воды", similar_count=12)
    assert many.score > alone.score
    assert any("массовость: 12" in r for r in many.reasons)
    assert many.label is Importance.HIGH


def test_r12_threshold_comes_from_config(tmp_path):
    (tmp_path / "importance.yaml").write_text(
        "threshold: 0.3\ncontent:\n  - {id: x, label: тест, weight: 0.4, patterns: ['яма']}\n")
    (tmp_path / "region.yaml").write_text("zone: Asia/Novokuznetsk\n")
    s = ImportanceScorer.load(tmp_path).score(post(), "Большая яма")
    assert s.label is Importance.HIGH and s.reasons == ["тест: «яма»"]


def test_bad_config_is_a_clear_error(tmp_path):
    (tmp_path / "importance.yaml").write_text("content: []\n")
    (tmp_path / "region.yaml").write_text("zone: Asia/Novokuznetsk\n")
    with pytest.raises(ImportanceConfigError, match="threshold"):
        ImportanceScorer.load(tmp_path)


def test_tune_threshold_separates_curator_decisions():
    decisions = [(0.2, False), (0.5, False), (0.8, False), (0.9, True), (1.1, True), (1.3, True)]
    t = tune_threshold(decisions)
    assert 0.8 < t <= 0.9


def test_tune_threshold_maximises_f1_with_noise():
    decisions = [(0.1, False)] * 20 + [(0.6, True), (0.7, False), (1.0, True), (1.2, True), (1.5, True)]
    t = tune_threshold(decisions)
    predicted = [s >= t for s, _ in decisions]
    tp = sum(p and h for p, (_, h) in zip(predicted, decisions, strict=True))
    assert tp == 4 and t <= 0.6


def test_tune_threshold_edge_cases():
    assert tune_threshold([(0.3, False), (0.9, False)]) > 0.9
    assert tune_threshold([(0.3, True), (0.9, True)]) == 0.3
    with pytest.raises(ValueError, match="at least one"):
        tune_threshold([])


@pytest.mark.parametrize(
    "text",
    ["Умеренные цены в новом магазине", "Протестировали новый автобус", "Предметы в школьном музее"],
)
def test_cue_stems_do_not_fire_inside_other_words(scorer, text):
    assert scorer.score(post(), text).reasons == []


def test_r12_mass_saturation_is_where_more_similar_posts_change_no_score(scorer):
    n = scorer.mass_saturation()
    assert n is not None and n >= 2
    at_cap = scorer.score(post(), "нет воды", similar_count=n).score
    assert scorer.score(post(), "нет воды", similar_count=n * 10).score == at_cap
    assert scorer.score(post(), "нет воды", similar_count=n - 1).score < at_cap


def test_r12_capped_similar_count_is_reported_as_a_lower_bound(scorer):
    capped = scorer.score(post(), "нет воды", similar_count=10, similar_at_least=True)
    assert "массовость: не менее 10 похожих сообщений за сутки" in capped.reasons
    assert capped.score == scorer.score(post(), "нет воды", similar_count=10).score


def test_r12_mass_saturation_out_of_reach_means_no_cap(tmp_path):
    (tmp_path / "importance.yaml").write_text("threshold: 1\nmass: {weight: 0.01, cap: 1.0}\n")
    (tmp_path / "region.yaml").write_text("zone: Asia/Novokuznetsk\n")
    assert ImportanceScorer.load(tmp_path).mass_saturation() is None
