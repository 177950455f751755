"""Pretrained Russian word vectors (navec, news 250K x 300d, product-quantised) for the agency head.

The vectors ship inside the ``natasha`` wheel, installed by pip like any dependency: nothing
is downloaded at run time and nothing is copied into ``classifier/models/``. The file is
located through the installed distribution's metadata, so ``natasha`` itself (and its
pymorphy2 dependency) is never imported. Loaded once per process on first use (~0.7 s CPU);
only the word index and the quantised codes are kept (~75 MB; navec's similarity tables and
word counts, another ~30 MB, are dropped). Decoded word vectors are kept in an LRU cache,
since posts reuse the same words all the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np
from navec import Navec

NAVEC_FILE = "natasha/data/emb/navec_news_v1_1B_250K_300d_100q.tar"
DIM = 300
CACHED_WORDS = 100_000
"""Bounds the memory a stream of unseen words (typos, hostile junk) can take."""


class EmbeddingsMissing(FileNotFoundError):
    """The navec vectors are not installed (``pip install natasha navec``)."""


def navec_path() -> Path:
    try:
        path = Path(str(distribution("natasha").locate_file(NAVEC_FILE)))
    except PackageNotFoundError as exc:
        raise EmbeddingsMissing("package 'natasha' (it ships the navec vectors) is not installed") from exc
    if not path.is_file():
        raise EmbeddingsMissing(f"navec vectors not found at {path}")
    return path


@dataclass(frozen=True)
class _Table:
    """Product-quantised vectors: word -> row of sub-vector ids -> concatenated centroid codes."""

    word_ids: dict[str, int]
    indexes: np.ndarray  # words x sub-vectors, uint8 centroid ids
    codes: np.ndarray  # sub-vectors x centroids x sub-dim, float32
    dim: int

    def get(self, word: str) -> np.ndarray | None:
        row = self.word_ids.get(word)
        if row is None:
            return None
        parts = self.codes[np.arange(self.codes.shape[0]), self.indexes[row]]
        return np.asarray(parts, dtype=np.float32).reshape(self.dim)


@lru_cache(maxsize=1)
def _table() -> _Table:
    navec = Navec.load(str(navec_path()))
    return _Table(navec.vocab.word_ids, navec.pq.indexes, navec.pq.codes, int(navec.pq.dim))


def preload() -> None:
    """Load the vectors at start-up: the first batch does not wait, and the stage's heap freeze covers them
    (the collector stops walking the 250K-word index: ~3 % of the classifier's CPU per post)."""
    _table()


@lru_cache(maxsize=CACHED_WORDS)
def word_vector(word: str) -> np.ndarray | None:
    """The word's vector, or None for words navec does not know (its vocabulary is lower-case)."""
    return _table().get(word)


def mean_vectors(token_lists: Sequence[Sequence[str]]) -> np.ndarray:
    """One row per text: the L2-normalised mean of its known words' vectors (zeros when none is known).

    The whole batch's vectors are stacked and summed per text in one ``reduceat``: with a numpy
    mean per text this function cost ~65 us per post (~6 % of the classifier stage), now ~45 us."""
    out = np.zeros((len(token_lists), DIM), dtype=np.float32)
    vectors: list[np.ndarray] = []
    owners: list[int] = []
    for row, words in enumerate(token_lists):
        for vector in map(word_vector, words):
            if vector is not None:
                vectors.append(vector)
                owners.append(row)
    if not vectors:
        return out
    rows = np.asarray(owners)
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    counts = np.diff(np.r_[starts, rows.size]).astype(np.float32)
    means = np.add.reduceat(np.stack(vectors), starts, axis=0) / counts[:, None]
    norms = np.linalg.norm(means, axis=1)
    known = norms > 0
    out[rows[starts][known]] = means[known] / norms[known, None]
    return out
