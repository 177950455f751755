"""Topic, topic group and agency models: lemma word n-grams + character n-grams -> multinomial logistic regression.

Multinomial logistic regression gives probabilities that behave as confidences (the
curator sees "82%"), and its weights prune well, so the shipped model stays a few MB:
per class only the strongest weights are kept (``KEEP_PER_CLASS``) (sparse).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from classifier.text import lemma_text, model_text

KEEP_PER_CLASS = 4_000
LABELS = ("topic", "group", "agency")


@dataclass
class Features:
    """Two TF-IDF views of a text; fitted once, shared by every head."""

    words: TfidfVectorizer
    chars: TfidfVectorizer

    @classmethod
    def fit(cls, texts: Sequence[str]) -> tuple[Features, sparse.csr_matrix]:
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=12_000,
                                token_pattern=r"\S+", lowercase=False, dtype=np.float32)
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                max_features=30_000, lowercase=False, dtype=np.float32)
        cleaned = [model_text(t) for t in texts]
        lemmas = [lemma_text(t) for t in cleaned]
        matrix = sparse.hstack([words.fit_transform(lemmas), chars.fit_transform(cleaned)]).tocsr()
        return cls(words, chars), matrix

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        cleaned = [model_text(t) for t in texts]
        lemmas = [lemma_text(t) for t in cleaned]
        return sparse.hstack([self.words.transform(lemmas), self.chars.transform(cleaned)]).tocsr()


@dataclass
class Head:
    """One pruned linear classifier: sparse pruned float32 weights."""

    classes: np.ndarray
    coef: sparse.csr_matrix  # classes x features
    intercept: np.ndarray

    @classmethod
    def fit(cls, x: sparse.csr_matrix, y: Sequence[str], c: float = 20.0) -> Head:
        labels = np.asarray(y)
        if len(set(labels.tolist())) == 1:
            only = labels[:1]
            return cls(only, sparse.csr_matrix((1, x.shape[1]), dtype=np.float32), np.zeros(1, np.float32))
        model = LogisticRegression(C=c, max_iter=300)
        model.fit(x, labels)
        coef = np.asarray(model.coef_, dtype=np.float32)
        intercept = np.asarray(model.intercept_, dtype=np.float32)
        if coef.shape[0] == 1:  # binary: make it two explicit rows for the softmax
            coef = np.vstack([-coef / 2, coef / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
        return cls(model.classes_, _prune(coef, KEEP_PER_CLASS), intercept)

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "_dense"}

    def _weights(self) -> np.ndarray:
        """Dense at prediction time: sparse x dense is several times faster than sparse x sparse."""
        dense: np.ndarray | None = self.__dict__.get("_dense")
        if dense is None:
            dense = self.__dict__["_dense"] = np.ascontiguousarray(self.coef.T.toarray())
        return dense

    def proba(self, x: sparse.csr_matrix) -> np.ndarray:
        scores = np.asarray(x @ self._weights()) + self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores


def _prune(coef: np.ndarray, keep: int) -> sparse.csr_matrix:
    if coef.shape[1] > keep:
        cut = np.partition(np.abs(coef), -keep, axis=1)[:, -keep][:, None]
        coef = np.where(np.abs(coef) >= cut, coef, 0.0)
    return sparse.csr_matrix(coef.astype(np.float32))


@dataclass
class TopicModel:
    features: Features
    heads: dict[str, Head]

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Mapping[str, Sequence[str]]) -> TopicModel:
        features, x = Features.fit(texts)
        return cls(features, {name: Head.fit(x, y) for name, y in labels.items() if name in LABELS})

    def proba(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        x = self.features.transform(texts)
        return {name: head.proba(x) for name, head in self.heads.items()}


def top_k(head: Head, probs: np.ndarray, k: int = 3) -> list[list[tuple[str, float]]]:
    order = np.argsort(-probs, axis=1)[:, :k]
    return [[(str(head.classes[j]), float(row[j])) for j in idx] for row, idx in zip(probs, order, strict=True)]
