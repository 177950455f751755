"""The chunked tokeniser must give razdel's tokens exactly: the shipped model was trained on them."""

from __future__ import annotations

import json
import random
from pathlib import Path

from classifier.text import MODEL_TEXT_CHARS, tokens, tokens_reference

REGION = Path(__file__).resolve().parents[2] / "regions" / "kuzbass"
# Pieces that razdel's join rules care about: dashes, underscores, decimal points, fractions,
# punctuation runs, smileys, "yahoo!", other symbols, Latin, digits, spaces of several kinds.
PIECES = ["Кемерово", "ул", "Ленина", "что", "то", "кое", "как", "yahoo", "abc", "Z", "12", "3", "0", "ё",
          "-", "‑", "–", "—", "−", "_", ".", ",", "/", "\\", "!", "?", "…", ":", ";", "(", ")", "[", "]",
          "«", "»", "\"", "'", "*", "№", "+", "%", "©", "∆", "😀", ":-)", "=(", "--", "**", "..."]
SPACES = ["", "", "", " ", " ", "  ", "\n", "\t", "\u00a0", "\u2009"]


def _random_text(rnd: random.Random) -> str:
    return "".join(rnd.choice(PIECES) + rnd.choice(SPACES) for _ in range(rnd.randint(0, 25)))


def test_chunked_tokens_equal_razdel_on_tricky_random_texts() -> None:
    rnd = random.Random(7)
    for _ in range(3000):
        text = _random_text(rnd)
        assert tokens(text) == tokens_reference(text), text


def test_chunked_tokens_equal_razdel_on_kuzbass_posts_and_edges() -> None:
    texts = [json.loads(line)["text"] for line in (REGION / "demo-posts.jsonl").read_text("utf-8").splitlines()
             if line.strip()]
    texts += [
        "", " ", "слово -то", "то- слово", "1 .5", "1. 5", "3 /4", "a _b", "a_ b", "...  ?!", ":- )",
        "В Прокопьевске на ул. Шахтёров, 5 — прорыв; +14 в квартирах!!! :-(", "Юрга" * 2000,
        ("Мыски " * MODEL_TEXT_CHARS)[: MODEL_TEXT_CHARS + 7],  # cut inside a word at the model's bound
    ]
    assert len(texts) > 20
    for text in texts:
        assert tokens(text) == tokens_reference(text), text[:80]


def test_long_chunks_are_not_cached() -> None:
    """Hostile runs without spaces must not fill the chunk cache."""
    from classifier.text import MAX_CACHED_CHUNK, _chunk_words

    before = _chunk_words.cache_info().currsize
    hostile = ",".join(f"слово{i}" for i in range(400))
    assert len(hostile) > MAX_CACHED_CHUNK
    assert tokens(hostile) == tokens_reference(hostile)
    assert _chunk_words.cache_info().currsize == before
