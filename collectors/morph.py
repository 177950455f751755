"""Russian morphology for keyword queries: a query for "отопление" also finds "отопления".

Twitter's search has no Russian morphology, so its queries carry every form (OR-packed
under the 512-character limit); sources that return whole feeds are filtered locally by
:class:`KeywordMatcher`, which compares lemmas-as-forms, not substrings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import pymorphy3

_WORD = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+(?:-[0-9A-Za-zА-Яа-яЁё]+)*")
TWITTER_QUERY_LIMIT = 512


@lru_cache(maxsize=1)
def _analyzer() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


def _norm(word: str) -> str:
    return word.lower().replace("ё", "е")


@lru_cache(maxsize=50_000)
def forms(word: str) -> frozenset[str]:
    """Every form of every lexeme the word may belong to (Latin words stay as they are)."""
    word = _norm(word)
    if not re.search("[а-я]", word):
        return frozenset({word})
    found = {word}
    for parse in _analyzer().parse(word):
        if parse.score < 0.05:
            continue
        found.update(_norm(f.word) for f in parse.lexeme)
    return frozenset(found)


def words(text: str) -> list[str]:
    return [_norm(w) for w in _WORD.findall(text)]


class KeywordMatcher:
    """Matches a text if every word of any configured phrase occurs in some form."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.phrases = [[forms(w) for w in words(p)] for p in phrases if words(p)]

    def matches(self, text: str) -> bool:
        present = set(words(text[:50_000]))
        return any(all(present & variants for variants in phrase) for phrase in self.phrases)


def twitter_queries(phrases: Iterable[str], suffix: str = "lang:ru -is:retweet",
                    limit: int = TWITTER_QUERY_LIMIT) -> list[str]:
    """OR-packed recent-search queries covering every form of every phrase."""
    terms: list[str] = []
    for phrase in phrases:
        ws = words(phrase)
        if len(ws) == 1:
            terms.extend(sorted(forms(ws[0])))
        elif ws:
            terms.append('"' + " ".join(ws) + '"')
    queries: list[str] = []
    current: list[str] = []
    for term in dict.fromkeys(terms):
        trial = [*current, term]
        if len(f"({' OR '.join(trial)}) {suffix}") > limit and current:
            queries.append(f"({' OR '.join(current)}) {suffix}")
            current = [term]
        else:
            current = trial
    if current:
        queries.append(f"({' OR '.join(current)}) {suffix}")
    return queries
