"""Tokens and lemmas for the topic model: one canonical form for training and serving alike.

Lemmas fold the rich Russian inflection ("ямы", "ямами", "яму" -> "яма"), which matters with
2,000 training rows; the lemma cache makes repeated words (most of them) free.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import pymorphy3
from razdel import tokenize as razdel_tokenize
from razdel.segmenters.tokenize import ATOM as RAZDEL_ATOM

MODEL_TEXT_CHARS = 3_000
"""The model reads at most this much of a post: topics show early, and the work per post stays bounded."""
MAX_TOKEN_CHARS = 40
"""Longer "words" are noise (URLs, base64, key mashing) and would only bloat the vocabulary."""

_WORD_RE = re.compile(r"[а-яёa-z0-9][а-яёa-z0-9\-]*", re.IGNORECASE)
_DIGITS_RE = re.compile(r"\d")
_CHUNK_RE = re.compile(r"\S+")
"""razdel's delimiters: whatever its atom pattern leaves between atoms (its catch-all atom is ``\\S``)."""
MAX_CACHED_CHUNK = 64
"""Longer chunks (URLs, hostile runs) are tokenised each time: the cache stays small whatever the input."""
_STAND_IN = {None: "", "RU": "я", "LAT": "z", "INT": "1", "PUNCT": ".", "OTHER": "©"}


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """Normal form of one lower-case word; numbers collapse to one token so house numbers don't split topics."""
    if _DIGITS_RE.search(word):
        return "<num>" if word.isdigit() else word
    parses = _morph().parse(word)
    return parses[0].normal_form.replace("ё", "е") if parses else word


def tokens(text: str) -> list[str]:
    """Lower-case word tokens (razdel), punctuation dropped, each bounded in length.

    razdel never joins atoms across whitespace, and its rules see the atoms beyond a space
    only by their type (``_chunk_words``): so each whitespace-free chunk is tokenised once,
    with the types of its neighbours, and cached. Posts repeat most of their chunks ("ул.",
    "Кемерово,", "воды"), and razdel's per-atom Python work was a quarter of a suggestion.
    """
    chunks = _CHUNK_RE.findall(text[:MODEL_TEXT_CHARS].lower())
    out: list[str] = []
    before: str | None = None
    last = len(chunks) - 1
    for i, chunk in enumerate(chunks):
        after = _atom_type(chunks[i + 1][0]) if i < last else None
        words = _chunk_words(before, chunk, after) if len(chunk) <= MAX_CACHED_CHUNK else \
            _chunk_words_uncached(before, chunk, after)
        out.extend(words)
        before = _atom_type(chunk[-1])
    return out


def tokens_reference(text: str) -> list[str]:
    """``tokens`` as razdel computes it on the whole text: the definition the fast path is tested against."""
    return _words(tok.text for tok in razdel_tokenize(text[:MODEL_TEXT_CHARS].lower()))


def _words(pieces: Iterable[str]) -> list[str]:
    return [w.replace("ё", "е") for w in pieces if len(w) <= MAX_TOKEN_CHARS and _WORD_RE.fullmatch(w)]


@lru_cache(maxsize=1024)
def _atom_type(char: str) -> str:
    """razdel's atom type (RU, LAT, INT, PUNCT, OTHER) of the atom a character belongs to; the
    classes are disjoint, so one character decides it."""
    m = RAZDEL_ATOM.match(char)
    assert m is not None and m.lastgroup is not None  # OTHER matches any non-space character
    return m.lastgroup


def _chunk_words_uncached(before: str | None, chunk: str, after: str | None) -> tuple[str, ...]:
    """Words of one whitespace-free chunk, given the types of the atoms just before and after it.

    razdel's dash/underscore/float/fraction rules look one atom past a chunk's edge atom, and
    only at its type: a stand-in atom of that type, set off by a space, gives the same tokens.
    """
    text = f"{_STAND_IN[before]} {chunk} {_STAND_IN[after]}" if before or after else chunk
    pieces = [tok.text for tok in razdel_tokenize(text)]
    if before is not None:
        pieces = pieces[1:]
    if after is not None:
        pieces = pieces[:-1]
    return tuple(_words(pieces))


_chunk_words = lru_cache(maxsize=100_000)(_chunk_words_uncached)


def lemma_text(text: str) -> str:
    """Space-joined lemmas: the input of the word n-gram vectoriser."""
    return joined_lemmas(tokens(text))


def joined_lemmas(words: Sequence[str]) -> str:
    """``lemma_text`` of text already split by ``tokens`` (the model shares one tokenisation per post)."""
    return " ".join(map(lemma, words))


def model_text(text: str, normalized: str | None = None) -> str:
    """Cleaned, bounded, lower-case text: the input of the character n-gram vectoriser.

    ``normalized`` is ``normalize_text(text)`` when the caller has it already (the pipeline
    does): for a text within the model's raw bound its prefix is the same string, so the
    second normalisation is skipped.
    """
    from classifier.normalize import MAX_OUTPUT_CHARS, normalize_text

    if normalized is not None and len(text) <= MODEL_TEXT_CHARS * 2 and MAX_OUTPUT_CHARS >= MODEL_TEXT_CHARS:
        return normalized[:MODEL_TEXT_CHARS].lower().replace("ё", "е")
    return normalize_text(text[: MODEL_TEXT_CHARS * 2], max_chars=MODEL_TEXT_CHARS).lower().replace("ё", "е")
