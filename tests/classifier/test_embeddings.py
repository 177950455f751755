"""Pretrained navec vectors and the embedding head blended into the agency head (real vectors, no mocks)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from classifier import embeddings
from classifier.embeddings import DIM, mean_vectors, word_vector
from classifier.text import lemma_text, model_text, tokens
from classifier.topic import BLEND_WEIGHTS, EmbeddingHead, TopicModel
from classifier.train import read_csv, train

DATA = Path(__file__).parent / "data" / "topics_small.csv"


@pytest.fixture(scope="module")
def model() -> TopicModel:
    return train(read_csv(DATA))


def test_known_words_have_vectors_and_unknown_ones_none() -> None:
    vector = word_vector("отопление")
    assert vector is not None and vector.shape == (DIM,) and vector.dtype == np.float32
    assert float(np.linalg.norm(vector)) > 0
    assert word_vector("zzqxqzzqxq-не-слово") is None
    assert word_vector("отопление") is vector  # decoded once, then cached


def test_mean_vectors_are_unit_rows_and_zero_when_no_word_is_known() -> None:
    rows = mean_vectors([["нет", "горячей", "воды"], [], ["zzqxqzzqxq"]])
    assert rows.shape == (3, DIM)
    assert abs(float(np.linalg.norm(rows[0])) - 1.0) < 1e-5
    assert not rows[1].any() and not rows[2].any()


def test_similar_complaints_are_closer_than_unrelated_ones() -> None:
    def vec(text: str) -> np.ndarray:
        return mean_vectors([tokens(model_text(text))])[0]

    water = vec("В Прокопьевске второй день нет горячей воды в доме")
    water2 = vec("Отключили воду в квартирах на Шишкина, Новокузнецк")
    road = vec("Огромная яма на дороге, машины пробивают колёса")
    assert float(water @ water2) > float(water @ road)


def test_missing_vectors_give_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings, "NAVEC_FILE", "natasha/data/emb/absent.tar")
    with pytest.raises(embeddings.EmbeddingsMissing, match="not found"):
        embeddings.navec_path()


@pytest.mark.parametrize("classes", [2, 4])
def test_embedding_head_equals_logistic_regression(classes: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, DIM)).astype(np.float32)
    y = [f"c{i % classes}" for i in range(60)]
    head = EmbeddingHead.fit(x, y, weight=0.3)
    reference = LogisticRegression(C=10.0, max_iter=300).fit(x, y)
    np.testing.assert_allclose(head.proba(x), reference.predict_proba(x), atol=1e-4)
    assert list(head.classes) == list(reference.classes_)


def test_agency_head_is_blended_and_the_artifact_holds_no_vectors(model: TopicModel) -> None:
    assert set(model.blends) == set(BLEND_WEIGHTS) & set(model.heads)
    blend = model.blends["agency"]
    assert list(blend.classes) == list(model.heads["agency"].classes)
    texts = ["В Кемерове на Весенней нет отопления", "Автобус 130 не пришёл, Прокопьевск"]
    probs = model.proba(texts)["agency"]
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    linear = model.heads["agency"].proba(model.features.transform(texts))
    assert not np.allclose(probs, linear)  # the embedding head does take part
    assert len(pickle.dumps(model.blends)) < 100_000  # only the head's weights, never the 250K-word table


def test_prepared_transform_equals_the_vectorisers(model: TopicModel) -> None:
    texts = ["Новокузнецк: на ул. Кирова, 12 нет света", "", "ЖКХ Ленинск-Кузнецкий опять тянет с ремонтом"]
    cleaned = [model_text(t) for t in texts]
    expected = sparse.hstack([model.features.words.transform([lemma_text(c) for c in cleaned]),
                              model.features.chars.transform(cleaned)]).toarray()
    np.testing.assert_allclose(model.features.transform(texts).toarray(), expected, atol=1e-6)


def test_models_pickled_before_blends_still_predict(model: TopicModel) -> None:
    old = TopicModel(model.features, model.heads)
    del old.__dict__["blends"]
    probs = old.proba(["Нет отопления в Белове"])
    assert set(probs) == set(model.heads)


def test_decoded_vectors_equal_navec_own() -> None:
    from navec import Navec

    navec = Navec.load(str(embeddings.navec_path()))
    for word in ("кемерово", "отопление", "водоканал", "<unk>"):
        expected = navec.get(word)
        got = embeddings._table().get(word)
        assert expected is not None and got is not None
        np.testing.assert_array_equal(got, expected)


def test_classifier_load_reads_the_vectors_before_the_first_batch() -> None:
    """The stage freezes its heap right after start-up; vectors read later would stay in every collection."""
    from classifier.pipeline import Classifier
    from otklik.settings import get_settings

    embeddings._table.cache_clear()
    Classifier.load(get_settings().region_dir)
    assert embeddings._table.cache_info().currsize == 1
