"""Serving-time TF-IDF transforms equal to scikit-learn's, without its per-document overhead.

Character n-grams: ``char_wb`` n-grams never cross a word boundary, so a word's feature
indices are the same wherever it occurs; posts reuse the same words all the time, so the
n-gram loop and the vocabulary look-ups run once per new word instead of once per
occurrence (the vectorisers were the largest single cost of a suggestion). Word n-grams:
plain dictionary look-ups on whitespace tokens. The weighting (sublinear tf, idf, l2) is
the fitted vectoriser's own, applied with the operations of scikit-learn's
``TfidfTransformer.transform`` but without its input validation, which cost ~1 ms per call
with scikit-learn 1.9 (half the time of a single post's suggestion); the output is the matrix
``vectorizer.transform`` would give, bit for bit (tests compare them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

MAX_CACHED_WORDS = 100_000
"""Bounds the memory a stream of unseen words (typos, hostile junk) can take; cleared when full."""


class CharWbIndexer:
    """Per-word cached ``char_wb`` features of one fitted :class:`TfidfVectorizer`."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if vectorizer.analyzer != "char_wb" or vectorizer.lowercase or vectorizer.strip_accents \
                or vectorizer.preprocessor is not None or vectorizer.binary:
            raise ValueError("CharWbIndexer reproduces only char_wb without preprocessing or binary counts")
        _check_weighting(vectorizer)
        self.vectorizer = vectorizer
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.min_n, self.max_n = vectorizer.ngram_range
        self._cache: dict[str, tuple[int, ...]] = {}

    def word_indices(self, word: str) -> tuple[int, ...]:
        """Vocabulary indices of one word's n-grams, with repeats (same order as scikit-learn)."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        padded = f" {word} "
        size = len(padded)
        vocab = self.vocabulary
        found: list[int] = []
        for n in range(self.min_n, self.max_n + 1):
            if n >= size:  # the whole padded word is the only n-gram, counted once
                j = vocab.get(padded)
                if j is not None:
                    found.append(j)
                break
            for start in range(size - n + 1):
                j = vocab.get(padded[start:start + n])
                if j is not None:
                    found.append(j)
        out = tuple(found)
        if len(self._cache) >= MAX_CACHED_WORDS:
            self._cache.clear()
        self._cache[word] = out
        return out

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        indices: list[int] = []
        indptr = [0]
        for text in texts:
            for word in text.split():
                indices.extend(self.word_indices(word))
            indptr.append(len(indices))
        return _tfidf(self.vectorizer, indices, indptr, len(texts))


class WordNgramIndexer:
    """Word 1..n-grams of whitespace tokens (``token_pattern=r"\\S+"``) of one fitted vectoriser."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if vectorizer.analyzer != "word" or vectorizer.token_pattern != r"\S+" or vectorizer.lowercase \
                or vectorizer.stop_words is not None or vectorizer.tokenizer is not None \
                or vectorizer.preprocessor is not None or vectorizer.strip_accents or vectorizer.binary:
            raise ValueError("WordNgramIndexer reproduces only plain whitespace tokens without preprocessing")
        _check_weighting(vectorizer)
        self.vectorizer = vectorizer
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.min_n, self.max_n = vectorizer.ngram_range

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        vocab = self.vocabulary
        indices: list[int] = []
        indptr = [0]
        for text in texts:
            tokens = text.split()
            for n in range(self.min_n, self.max_n + 1):
                grams = tokens if n == 1 else [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
                for gram in grams:
                    j = vocab.get(gram)
                    if j is not None:
                        indices.append(j)
            indptr.append(len(indices))
        return _tfidf(self.vectorizer, indices, indptr, len(texts))


def _check_weighting(vectorizer: TfidfVectorizer) -> None:
    if not vectorizer.use_idf or vectorizer.norm != "l2":
        raise ValueError("the fast transforms reproduce only idf weighting with l2 rows")


def _tfidf(vectorizer: TfidfVectorizer, indices: list[int], indptr: list[int], rows: int) -> sparse.csr_matrix:
    """Counts from flat per-row index lists, then the fitted vectoriser's own tf-idf weighting."""
    counts = sparse.csr_matrix(
        (np.ones(len(indices), dtype=vectorizer.dtype), np.asarray(indices, dtype=np.int32),
         np.asarray(indptr, dtype=np.int64)),
        shape=(rows, len(vectorizer.vocabulary_)),
    )
    counts.sum_duplicates()  # also sorts the indices, as scikit-learn's counts are
    if vectorizer.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1.0
    counts.data *= vectorizer.idf_[counts.indices]
    inplace_csr_row_normalize_l2(counts)
    return counts
