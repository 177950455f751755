"""Hostile inputs for every part of this room: long words, repeated cue stems, markup bombs.

Each call must finish and return sane output; a regex that backtracks quadratically would
make these tests hang (the suite-wide timeout catches it) instead of passing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from classifier.importance import ImportanceScorer
from classifier.location import LocationExtractor
from classifier.moderation import Moderator
from classifier.normalize import normalize_text
from classifier.repeats import RepeatIndex
from schemas import Author, Network, Post

REGION = Path(__file__).resolve().parents[2] / "regions" / "kuzbass"

HOSTILE = [
    "а" * 300_000,
    "а" * 300_000 + " a",
    "угроз" * 40_000,
    "ул. " * 50_000,
    "<" * 100_000 + "b>",
    "[url=" * 50_000,
    "**" * 100_000,
    "х*" * 100_000,
    "х у " * 100_000,
    "Кемерово-" * 30_000,
    "на Кирова " * 30_000,
    "\u200b" * 200_000 + "Юрга",
]


@pytest.fixture(scope="module")
def parts():
    return (LocationExtractor.load(REGION), Moderator.load(REGION), ImportanceScorer.load(REGION))


@pytest.mark.parametrize("text", HOSTILE, ids=[f"h{i}" for i in range(len(HOSTILE))])
def test_every_part_survives_hostile_text(parts, text):
    extractor, moderator, scorer = parts
    clean = normalize_text(text)
    assert len(clean) <= 20_000
    extractor.extract(text)
    extractor.extract(clean)
    for flag in moderator.check(text):
        assert text[flag.span[0] : flag.span[1]] == flag.fragment
    post = Post(uid="vk:1:1", network=Network.VK, author=Author(id="1"), text=text,
                created_at=datetime(2026, 1, 1, tzinfo=UTC))
    scorer.score(post, clean)
    index = RepeatIndex()
    index.add("vk:1:1", 1, clean, None, post.created_at)
    index.find(clean, None, post.created_at)
