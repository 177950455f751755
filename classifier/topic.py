"""Topic, topic group and agency models: lemma word n-grams + character n-grams -> linear SVM per head.

A linear SVM beat multinomial logistic regression on every head in 5-fold CV on the
kursk-appeals data (topic 0.558 vs 0.545, group 0.811 vs 0.793, agency 0.444 vs 0.435) and
trains ~10x faster. Its margins become confidences through a softmax with a fixed
temperature (``TEMPERATURE``), so the curator still sees "82%" and top-3 lists rank by margin.
Weights are pruned per class to the strongest few thousand (sparse), so the shipped
model stays a few MB. The agency head is blended with a small logistic regression on mean
pretrained word vectors (``EmbeddingHead``, see ``BLEND_WEIGHTS``); topic and group are decoded
jointly (``Hierarchy``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from classifier.embeddings import mean_vectors
from classifier.fastvec import CharWbIndexer, WordNgramIndexer
from classifier.text import joined_lemmas, lemma_text, model_text, tokens

KEEP_PER_CLASS = 4_000
WEIGHTS_PER_HEAD = 700_000
"""Per head at most this many weights, at least ``KEEP_PER_CLASS`` per class: a head with few
classes (17 groups) keeps nearly all its weights; pruning the group head like the topic head
cost 2 points of group accuracy in 5-fold CV, the topic head loses 0.5."""
SVM_C = 0.5
"""Chosen by 5-fold CV (0.2 / 0.3 / 0.5 / 1.0 tried)."""
LABEL_ROW_REPEATS = 3
"""Topic names added as training rows of their topic, this many times (see ``_with_label_rows``)."""
TEMPERATURE = 0.2
"""SVM margins are about ±1; dividing by 0.2 spreads them into usable softmax confidences."""
LABELS = ("topic", "group", "agency")
BLEND_WEIGHTS = {"agency": 0.3}
"""Head -> weight of the embedding head's probabilities in the blend. Chosen by 5-fold CV:
agency 0.436 -> 0.449 (better in each of the 5 folds); for topic and group no embedding
variant gained beyond fold noise (classifier/README.md lists the variants)."""
EMBEDDING_C = 10.0
TOPIC_FROM_GROUP = 0.25
"""Exponent of the group head's vote in a topic's score (``Hierarchy``). 5-fold CV of unpruned
heads over 0 / 0.1 / 0.25 / 0.5 / 1: topic 0.5665 / 0.5695 / 0.570 / 0.5585 / 0.555."""


def prepare(texts: Sequence[str], normalized: Sequence[str] | None = None) -> tuple[list[str], list[list[str]]]:
    """Cleaned text (character view) and its word tokens (word and embedding views), computed once.

    ``normalized``: ``normalize_text`` of each text, when the caller has computed it anyway."""
    if normalized is None:
        cleaned = [model_text(t) for t in texts]
    else:
        cleaned = [model_text(t, n) for t, n in zip(texts, normalized, strict=True)]
    return cleaned, [tokens(c) for c in cleaned]


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
        # scikit-learn notes the id() of the stop-word list it last checked: a memory address, which
        # made two trainings on the same rows pickle to different artifacts (and model versions)
        words.__dict__.pop("_stop_words_id", None)
        return cls(words, chars), matrix

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "_fast_cache"}

    def _fast(self) -> tuple[WordNgramIndexer, CharWbIndexer]:
        """Serving transforms equal to the vectorisers' own (tested), built on first use, never pickled."""
        fast: tuple[WordNgramIndexer, CharWbIndexer] | None = self.__dict__.get("_fast_cache")
        if fast is None:
            fast = self.__dict__["_fast_cache"] = (WordNgramIndexer(self.words), CharWbIndexer(self.chars))
        return fast

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self.transform_prepared(*prepare(texts))

    def transform_prepared(self, cleaned: Sequence[str], token_lists: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        lemmas = [joined_lemmas(toks) for toks in token_lists]
        words, chars = self._fast()
        return sparse.hstack([words.transform(lemmas), chars.transform(cleaned)], format="csr")


@dataclass
class Head:
    """One pruned linear classifier: sparse pruned float32 weights."""

    classes: np.ndarray
    coef: sparse.csr_matrix  # classes x features
    intercept: np.ndarray

    @classmethod
    def fit(cls, x: sparse.csr_matrix, y: Sequence[str], c: float = SVM_C) -> Head:
        labels = np.asarray(y)
        if len(set(labels.tolist())) == 1:
            only = labels[:1]
            return cls(only, sparse.csr_matrix((1, x.shape[1]), dtype=np.float32), np.zeros(1, np.float32))
        model = LinearSVC(C=c, random_state=0)  # liblinear shuffles: seeded, so training is repeatable
        model.fit(x, labels)
        coef = np.asarray(model.coef_, dtype=np.float32) / TEMPERATURE
        intercept = np.asarray(model.intercept_, dtype=np.float32) / TEMPERATURE
        if coef.shape[0] == 1:  # binary: make it two explicit rows for the softmax
            coef = np.vstack([-coef / 2, coef / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
        keep = max(KEEP_PER_CLASS, WEIGHTS_PER_HEAD // coef.shape[0])
        return cls(model.classes_, _prune(coef, keep), intercept)

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
class EmbeddingHead:
    """Logistic regression on a post's mean word vector, blended into one head's probabilities.

    Word vectors pretrained on news know that "подтопило" and "затопление" are close, which
    2,000 training rows cannot teach the sparse features.
    """

    classes: np.ndarray
    coef: np.ndarray  # classes x DIM
    intercept: np.ndarray
    weight: float

    @classmethod
    def fit(cls, vectors: np.ndarray, y: Sequence[str], weight: float, c: float = EMBEDDING_C) -> EmbeddingHead:
        model = LogisticRegression(C=c, max_iter=300)
        model.fit(vectors, np.asarray(y))
        coef = np.asarray(model.coef_, dtype=np.float32)
        intercept = np.asarray(model.intercept_, dtype=np.float32)
        if coef.shape[0] == 1:  # binary: softmax of (-z/2, z/2) is the logistic sigmoid of z
            coef = np.vstack([-coef / 2, coef / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
        return cls(model.classes_, coef, intercept, weight)

    def proba(self, vectors: np.ndarray) -> np.ndarray:
        scores = vectors @ self.coef.T + self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores

    def blend(self, probs: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        return (1 - self.weight) * probs + self.weight * self.proba(vectors)


@dataclass
class Hierarchy:
    """Every topic belongs to one group, so the group head votes on the topic, and the group is the best topic's.

    The group head sees all of a group's rows at once; a topic whose group it rejects is less
    likely: score P(topic) · P(its group)^``TOPIC_FROM_GROUP``. A group's probability is that
    of its best topic, so the first group and the first topic always agree, as the curator
    sees them. Shipped pipeline, same 5 fold models with and without: topic 0.566 -> 0.5695,
    top-3 0.735 -> 0.7385, group (head) 0.8085 -> group of the top topic 0.825.
    """

    topic_group: np.ndarray  # per topic class: its group's index in the group head, -1 if unknown
    topic_weight: float = TOPIC_FROM_GROUP
    _order: np.ndarray = field(init=False, repr=False)  # topics of a known group, grouped by group
    _starts: np.ndarray = field(init=False, repr=False)  # where each group's run starts in _order
    _groups: np.ndarray = field(init=False, repr=False)  # the group of each run

    def __post_init__(self) -> None:
        known = np.flatnonzero(self.topic_group >= 0)
        self._order = known[np.argsort(self.topic_group[known], kind="stable")]
        owners = self.topic_group[self._order]
        self._starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]]) if owners.size else owners
        self._groups = owners[self._starts]

    @classmethod
    def fit(cls, topics: Sequence[str], groups: Sequence[str], topic_head: Head, group_head: Head) -> Hierarchy:
        """Each topic's group is the one most of its rows carry."""
        votes: dict[str, Counter[str]] = {}
        for t, g in zip(topics, groups, strict=True):
            if t and g:
                votes.setdefault(t, Counter())[g] += 1
        index = {str(g): i for i, g in enumerate(group_head.classes.tolist())}
        return cls(np.array([index.get(votes[t].most_common(1)[0][0], -1) if t in votes else -1
                             for t in topic_head.classes.tolist()], dtype=np.int64))

    def apply(self, topic: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = self._order
        if not order.size:
            return topic, group
        joint = topic.copy()
        joint[:, order] *= group[:, self.topic_group[order]] ** self.topic_weight
        joint = _normalised(joint)
        best = np.zeros_like(group)  # a group with no known topic cannot be the best topic's
        best[:, self._groups] = np.maximum.reduceat(joint[:, order], self._starts, axis=1)
        return joint, _normalised(best)


def _normalised(probs: np.ndarray) -> np.ndarray:
    return probs / probs.sum(axis=1, keepdims=True)


@dataclass
class TopicModel:
    features: Features
    heads: dict[str, Head]
    blends: dict[str, EmbeddingHead] = field(default_factory=dict)
    hierarchy: Hierarchy | None = None

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Mapping[str, Sequence[str]]) -> TopicModel:
        features, x = Features.fit(texts)
        heads: dict[str, Head] = {}
        for name, y in labels.items():
            if name == "topic":
                heads[name] = Head.fit(*_with_label_rows(features, x, y))
            elif name in LABELS:
                heads[name] = Head.fit(x, y)
        blends: dict[str, EmbeddingHead] = {}
        wanted = [name for name in BLEND_WEIGHTS if name in heads and len(heads[name].classes) > 1]
        if wanted:
            vectors = mean_vectors(prepare(texts)[1])
            for name in wanted:
                blend = EmbeddingHead.fit(vectors, labels[name], BLEND_WEIGHTS[name])
                if not np.array_equal(blend.classes, heads[name].classes):
                    raise ValueError(f"embedding head of {name!r} learned other classes than the linear head")
                blends[name] = blend
        hierarchy = None
        if "topic" in heads and "group" in heads and len(heads["group"].classes) > 1:
            hierarchy = Hierarchy.fit(labels["topic"], labels["group"], heads["topic"], heads["group"])
        return cls(features, heads, blends, hierarchy)

    def proba(self, texts: Sequence[str], normalized: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """``normalized``: ``normalize_text`` of each text, if already computed (see ``prepare``)."""
        cleaned, token_lists = prepare(texts, normalized)
        x = self.features.transform_prepared(cleaned, token_lists)
        out = {name: head.proba(x) for name, head in self.heads.items()}
        blends: dict[str, EmbeddingHead] = self.__dict__.get("blends") or {}  # models pickled before blends
        if blends:
            vectors = mean_vectors(token_lists)
            for name, blend in blends.items():
                if name in out:
                    out[name] = blend.blend(out[name], vectors)
        hierarchy: Hierarchy | None = self.__dict__.get("hierarchy")  # models pickled before it
        if hierarchy is not None:
            out["topic"], out["group"] = hierarchy.apply(out["topic"], out["group"])
        return out


def _with_label_rows(features: Features, x: sparse.csr_matrix, y: Sequence[str]) -> tuple[sparse.csr_matrix, list[str]]:
    """Each topic's own name as ``LABEL_ROW_REPEATS`` extra training rows of that topic.

    Topic names are short descriptions ("Неработающее наружное освещение"); rare topics
    with one or two messages gain their key words. 5-fold CV: topic 0.558 -> 0.5675, top-3
    0.720 -> 0.738 (1 repeat: 0.5655 / 0.737). The vectorisers stay fitted on messages only.
    """
    names = sorted({t for t in y if t})
    if not names or LABEL_ROW_REPEATS == 0:
        return x, list(y)
    rows = features.transform(names)
    return sparse.vstack([x] + [rows] * LABEL_ROW_REPEATS, format="csr"), list(y) + names * LABEL_ROW_REPEATS


def top_k(head: Head, probs: np.ndarray, k: int = 3) -> list[list[tuple[str, float]]]:
    """The ``k`` likeliest classes per row; names and values converted in bulk, not per element."""
    order = np.argsort(-probs, axis=1)[:, :k]
    names = head.classes[order].tolist()
    values = np.take_along_axis(probs, order, axis=1).tolist()
    return [list(zip(map(str, row_names), row_values, strict=True))
            for row_names, row_values in zip(names, values, strict=True)]
