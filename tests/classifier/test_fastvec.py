"""The serving transforms must give exactly the matrices the fitted scikit-learn vectorisers give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier import fastvec
from classifier.fastvec import CharWbIndexer, WordNgramIndexer
from classifier.text import lemma_text, model_text
from classifier.train import read_csv

DATA = Path(__file__).parent / "data" / "topics_small.csv"
UNSEEN = [
    "В Новокузнецке на ул. Кирова, 12 третий день нет горячей воды!",
    "Прокопьевск: автобус №130 не пришёл, ждали 40 минут на морозе",
    "",
    "я",
    "  пробелы\tтабуляция\nперевод  строки  ",
    "ааааааааааааааааааааааааааааааааааааааааааааааааааааааа",
    "Кемерово 🙂 e-mail: x@y.ru, тел. 8-905-000-00-00 &lt;b&gt;",
]


@pytest.fixture(scope="module")
def fitted() -> tuple[TfidfVectorizer, TfidfVectorizer, list[str]]:
    texts = [model_text(t) for t in read_csv(DATA).texts]
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, token_pattern=r"\S+",
                            lowercase=False, dtype=np.float32).fit([lemma_text(t) for t in texts])
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1,
                            lowercase=False, dtype=np.float32).fit(texts)
    return words, chars, texts + [model_text(t) for t in UNSEEN]


def test_char_ngrams_equal_scikit_learn(fitted) -> None:
    _, chars, texts = fitted
    fast = CharWbIndexer(chars)
    for _ in range(2):  # second pass comes from the word cache
        got = fast.transform(texts)
        assert got.dtype == np.float32 and got.shape == (len(texts), len(chars.vocabulary_))
        assert (got != chars.transform(texts)).nnz == 0


def test_word_ngrams_equal_scikit_learn(fitted) -> None:
    words, _, texts = fitted
    lemmas = [lemma_text(t) for t in texts]
    assert (WordNgramIndexer(words).transform(lemmas) != words.transform(lemmas)).nnz == 0


def test_word_cache_is_bounded(fitted, monkeypatch) -> None:
    _, chars, _ = fitted
    monkeypatch.setattr(fastvec, "MAX_CACHED_WORDS", 5)
    fast = CharWbIndexer(chars)
    fast.transform([" ".join(f"слово{i}" for i in range(50))])
    assert len(fast._cache) <= 5


def test_unsupported_vectoriser_is_refused() -> None:
    with pytest.raises(ValueError):
        CharWbIndexer(TfidfVectorizer(analyzer="char", lowercase=False).fit(["кемерово"]))
    with pytest.raises(ValueError):
        WordNgramIndexer(TfidfVectorizer().fit(["кемерово"]))
    with pytest.raises(ValueError):  # the weighting is reproduced only for idf with l2 rows
        CharWbIndexer(TfidfVectorizer(analyzer="char_wb", lowercase=False, norm="l1").fit(["кемерово"]))
    with pytest.raises(ValueError):
        WordNgramIndexer(TfidfVectorizer(token_pattern=r"\S+", lowercase=False, use_idf=False).fit(["кемерово"]))


def test_a_text_with_no_known_feature_is_an_empty_row(fitted) -> None:
    words, chars, _ = fitted
    for fast, vectorizer in ((CharWbIndexer(chars), chars), (WordNgramIndexer(words), words)):
        got = fast.transform(["", "ъъъъъ"])
        assert got.nnz == 0 and (got != vectorizer.transform(["", "ъъъъъ"])).nnz == 0
