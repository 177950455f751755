"""Tokens and lemmas for the topic model: one canonical form for training and serving alike.

Lemmas fold the rich Russian inflection ("ямы", "ямами", "яму" -> "яма"), which matters with
2,000 training rows; the lemma cache makes repeated words (most of them) free.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import pymorphy3
from razdel import tokenize as razdel_tokenize

MODEL_TEXT_CHARS = 3_000
"""The model reads at most this much of a post: topics show early, and the work per post stays bounded."""
MAX_TOKEN_CHARS = 40
"""Longer "words" are noise (URLs, base64, key mashing) and would only bloat the vocabulary."""

_WORD_RE = re.compile(r"[а-яёa-z0-9][а-яёa-z0-9\-]*", re.IGNORECASE)
_DIGITS_RE = re.compile(r"\d")


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
    """Lower-case word tokens (razdel), punctuation dropped, each bounded in length."""
    out: list[str] = []
    for tok in razdel_tokenize(text[:MODEL_TEXT_CHARS].lower()):
        word = tok.text
        if len(word) <= MAX_TOKEN_CHARS and _WORD_RE.fullmatch(word):
            out.append(word.replace("ё", "е"))
    return out


def lemma_text(text: str) -> str:
    """Space-joined lemmas: the input of the word n-gram vectoriser."""
    return joined_lemmas(tokens(text))


def joined_lemmas(words: Sequence[str]) -> str:
    """``lemma_text`` of text already split by ``tokens`` (the model shares one tokenisation per post)."""
    return " ".join(map(lemma, words))


def model_text(text: str) -> str:
    """Cleaned, bounded, lower-case text: the input of the character n-gram vectoriser."""
    from classifier.normalize import normalize_text

    return normalize_text(text[: MODEL_TEXT_CHARS * 2], max_chars=MODEL_TEXT_CHARS).lower().replace("ё", "е")
