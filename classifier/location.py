"""Location suggestion (R7.1): municipality, settlement and address from text, else from the geotag."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from classifier.gazetteer import (
    FUZZY_MAX_LEN,
    FUZZY_MIN_LEN,
    MAX_NGRAM,
    FormEntry,
    Gazetteer,
    Place,
    deletes,
    fold,
    levenshtein,
    morph,
)
from classifier.normalize import LOOKALIKES
from classifier.streets import StreetMatch, find_streets
from schemas import Geo, LocationSuggestion

MAX_SCAN_CHARS = 20_000
KM_PER_DEGREE_LAT = 110.5
"""Lower bound of a latitude degree's length, so the pre-test never rejects a covering point."""
_TOKEN_RE = re.compile(r"[а-я]+|[a-z0-9]+")
_JOIN_GAP_RE = re.compile(r"[ \t\-‐–]{1,3}")
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?…»\"\n]\s*)$")
_HEADING_RE = re.compile(r"\s*(?:[:,(—–]|-\s|$)")
_HYPHENS = frozenset(("-", "‐", "–"))
_HYPHEN_PAIR_RE = re.compile(r"(?<![а-я])([а-я]{4,6})[-‐–](?=[а-я])")
_CYR_LETTERS = frozenset("абвгдежзийклмнопрстуфхцчшщъыьэюя")
_LATIN_DIGITS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_LOOKALIKE_FOLD_KEYS = [k for k in LOOKALIKES if k.isascii() or k in "οα"]
_LOOKALIKE_FOLD = str.maketrans({k.lower(): LOOKALIKES[k].lower() for k in _LOOKALIKE_FOLD_KEYS})


_MIXED_RE = re.compile(r"[а-я][a-zοα]|[a-zοα][а-я]")
# "\b" first keeps this linear on one huge word; only words mixing scripts are rewritten.
_MIXED_WORD_RE = re.compile(r"\b\w*(?:[а-я][a-zοα]|[a-zοα][а-я])\w*")


@dataclass(frozen=True)
class Mention:
    place: Place
    start: int
    end: int
    fuzzy: bool = False


def _scan_fold(text: str) -> str:
    """Fold for matching: lower case, ё→е, Latin look-alikes mapped; keeps every offset."""
    folded = fold(text)
    if not _MIXED_RE.search(folded):
        return folded  # no word mixes scripts: nothing to map (the common case)
    return _MIXED_WORD_RE.sub(lambda m: m.group(0).translate(_LOOKALIKE_FOLD), folded)


class LocationExtractor:
    """Finds where a post is about. Build once per process with :meth:`load`; ``extract`` is pure."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.g = gazetteer
        # Most tokens start no name at all: one dict lookup skips the n-gram work for them,
        # and for the rest bounds how many following tokens can belong to the name.
        self._first_words: dict[str, int] = {}
        for form in gazetteer.forms:
            words = form.split(" ")
            self._first_words[words[0]] = max(self._first_words.get(words[0], 0), len(words))
        # Unknown long tokens -> typo'd form (or None); bounded, cleared when full.
        self._fuzzy_cache: dict[str, str | None] = {}

    @classmethod
    def load(cls, region_dir: Path) -> LocationExtractor:
        return cls(Gazetteer.load(Path(region_dir)))

    # -- public -------------------------------------------------------------------------------
    def extract(self, text: str, geo: Geo | None = None) -> LocationSuggestion:
        text = text[:MAX_SCAN_CHARS]
        folded = _scan_fold(text)
        streets = find_streets(text, self.g.streets, self.g.forms)
        mentions = [m for m in self.mentions(text, folded) if not _inside(m, streets)]
        address = streets[0].address if streets else None
        if mentions:
            suggestion = self._decide(text, mentions)
            suggestion.address = address
            if geo is not None:
                near = self.nearest(geo)
                if near is not None and suggestion.municipality in near.municipalities:
                    suggestion.confidence = min(1.0, suggestion.confidence + 0.1)
            return suggestion
        if geo is not None:
            near = self.nearest(geo)
            if near is not None:
                return LocationSuggestion(
                    municipality=near.municipalities[0], settlement=near.settlement, address=address,
                    confidence=0.7, candidates=[], source="geotag", matched=near.name,
                )
        return LocationSuggestion(address=address, confidence=0.0, source="none")

    def nearest(self, geo: Geo) -> Place | None:
        """Closest gazetteer point whose radius covers the geotag."""
        best: tuple[float, Place] | None = None
        for place in self.g.points:
            assert place.lat is not None and place.lon is not None
            if abs(geo.lat - place.lat) * KM_PER_DEGREE_LAT > place.radius_km:
                continue  # cheap latitude test spares most of the trigonometry
            dist = _haversine_km(geo.lat, geo.lon, place.lat, place.lon)
            if dist <= place.radius_km and (best is None or dist < best[0]):
                best = (dist, place)
        return best[1] if best else None

    def mentions(self, text: str, folded: str) -> list[Mention]:
        """Every gazetteer mention, longest match first, left to right.

        Works on the token strings (one ``findall``) and locates a token in the text only
        when it can start a name: most tokens of a post never need a position.
        """
        words = _TOKEN_RE.findall(folded)
        first = self._first_words
        cache = self._fuzzy_cache
        hyphenated = set(_HYPHEN_PAIR_RE.findall(folded)) if "-" in folded or "–" in folded else set()
        out: list[Mention] = []
        cursor = 0
        i = 0
        n = len(words)
        while i < n:
            w = words[i]
            length = len(w)
            if w not in first and not (
                (FUZZY_MIN_LEN < length <= FUZZY_MAX_LEN and cache.get(w, w) is not None) or w in hyphenated
            ):
                i += 1
                continue
            start = _locate(folded, w, cursor)
            spans = [(start, start + length)]
            pos = start + length
            for j in range(i + 1, min(n, i + MAX_NGRAM + 1)):
                q = folded.find(words[j], pos)
                spans.append((q, q + len(words[j])))
                pos = q + len(words[j])
            hit = self._match_at(text, folded, spans, 0) if w in first else None
            if hit is None:
                hit = self._fuzzy_at(text, folded, spans, 0)
            if hit is None:
                cursor = spans[0][1]
                i += 1
                continue
            out.append(hit[0])
            cursor = spans[hit[1] - 1][1]
            i += hit[1]
        return out

    # -- internals ----------------------------------------------------------------------------
    def _match_at(
        self, text: str, folded: str, tokens: list[tuple[int, int]], i: int
    ) -> tuple[Mention, int] | None:
        n_limit = min(MAX_NGRAM, self._first_words.get(folded[tokens[i][0] : tokens[i][1]], 1))
        n_max = 1
        while n_max < n_limit and i + n_max < len(tokens):
            gap = folded[tokens[i + n_max - 1][1] : tokens[i + n_max][0]]
            if not _JOIN_GAP_RE.fullmatch(gap):
                break
            n_max += 1
        for n in range(n_max, 0, -1):
            key = " ".join(folded[s:e] for s, e in tokens[i : i + n])
            entries = self.g.forms.get(key)
            if not entries:
                continue
            start, end = tokens[i][0], tokens[i + n - 1][1]
            next_word = folded[tokens[i + n][0] : tokens[i + n][1]] if i + n < len(tokens) else ""
            usable = [e for e in entries if self._usable(e, text, start, end, next_word)]
            if not usable:
                continue
            best = max(usable, key=lambda e: e.place.weight)
            return Mention(best.place, start, end), n
        return None

    @staticmethod
    def _usable(entry: FormEntry, text: str, start: int, end: int, next_word: str) -> bool:
        if next_word and next_word in entry.place.exclude_next:
            return False
        if entry.cap:
            if not text[start].isupper():
                return False
            # A capitalised common word at a sentence start proves nothing ("Тебе не стыдно"),
            # unless it stands alone as a heading ("Мыски: ...", "Тайга, вокзал ...").
            at_start = _SENTENCE_START_RE.search(text[max(0, start - 3) : start]) is not None
            if not at_start or _HEADING_RE.match(text, end) is not None:
                return True
            return entry.adjective_only and not _is_noun(next_word)
        return True

    def _fuzzy_at(
        self, text: str, folded: str, tokens: list[tuple[int, int]], i: int
    ) -> tuple[Mention, int] | None:
        """Typo'd names: a hyphenated pair of tokens first ("Ленинк-Кузнецкий"), then one token."""
        s, e = tokens[i]
        spans: list[tuple[int, int, int]] = []
        if i + 1 < len(tokens) and folded[e : tokens[i + 1][0]] in _HYPHENS:
            spans.append((s, tokens[i + 1][1], 2))
        spans.append((s, e, 1))
        for start, end, used in spans:
            key = folded[start:end]
            if used == 2:
                key = key.replace(folded[e], " ")
            if len(key) < FUZZY_MIN_LEN + 1:
                continue
            if key in self._fuzzy_cache:
                form = self._fuzzy_cache[key]
            else:
                if len(self._fuzzy_cache) > 100_000:
                    self._fuzzy_cache.clear()
                form = self._fuzzy_cache[key] = _fuzzy_lookup(self.g, key)
            if form is None:
                continue
            # A typo of a name that is also a common word counts only when capitalised.
            usable = [en for en in self.g.forms[form] if not en.cap or text[start].isupper()]
            if usable:
                place = max(usable, key=lambda en: en.place.weight).place
                return Mention(place, start, end, fuzzy=True), used
        return None

    def _decide(self, text: str, mentions: list[Mention]) -> LocationSuggestion:
        score: dict[str, float] = defaultdict(float)
        first: dict[str, int] = {}
        unambiguous = {m.place.municipalities[0] for m in mentions if len(m.place.municipalities) == 1}
        ambiguous_left: list[Mention] = []
        for idx, m in enumerate(mentions):
            codes = m.place.municipalities
            weight = m.place.weight * (0.7 if m.fuzzy else 1.0)
            if len(codes) > 1:
                agreed = [c for c in codes if c in unambiguous]
                if agreed:
                    codes = tuple(agreed)
                else:
                    ambiguous_left.append(m)
                    weight *= 0.5
                    codes = codes[:1]
            for code in codes:
                score[code] += weight / len(codes)
                first.setdefault(code, idx)
        ranked = sorted(score, key=lambda c: (-score[c], first[c]))
        top = ranked[0]
        chosen = next(m for m in mentions if top in m.place.municipalities)
        settlement = next((m.place.settlement for m in mentions
                           if m.place.settlement and top in m.place.municipalities), None)
        candidates = [c for c in ranked[1:]]
        for m in ambiguous_left:
            candidates += [c for c in m.place.municipalities if c != top and c not in candidates]
        confidence = 0.9
        if chosen.fuzzy:
            confidence = 0.7
        if any(top in m.place.municipalities for m in ambiguous_left) and top not in unambiguous:
            confidence = 0.45
        if len(ranked) > 1 and score[ranked[1]] >= score[top]:
            confidence = min(confidence, 0.6)
        return LocationSuggestion(
            municipality=top, settlement=settlement, confidence=confidence,
            span=(chosen.start, chosen.end), matched=text[chosen.start : chosen.end],
            candidates=candidates, source="text",
        )


def _fuzzy_lookup(g: Gazetteer, token: str) -> str | None:
    """A gazetteer form within a small edit distance of an unknown long token (typos)."""
    if len(token) > FUZZY_MAX_LEN:
        return None  # no name is that long; and the deletion neighbourhood grows as len²
    # One edit (a transposition counts as one): two edits cost ~10x more per unseen token and
    # add little, since the common misspellings ("Кемерава") are listed as aliases.
    limit = 1
    keys = deletes(token)
    cands: set[str] = set()
    for k in keys:
        found = g.fuzzy.get(k)
        if found:
            cands |= found
    # Dictionary words are not typos (checked last: most tokens have no candidate at all).
    if not cands or morph().word_is_known(token):
        return None
    best: tuple[int, str] | None = None
    for cand in sorted(cands):
        d = levenshtein(token, cand, limit)
        if d <= limit and (best is None or d < best[0]):
            best = (d, cand)
    return best[1] if best else None


def _inside(m: Mention, streets: list[StreetMatch]) -> bool:
    return any(s.span[0] <= m.start and m.end <= s.span[1] for s in streets)


def _locate(folded: str, word: str, cursor: int) -> int:
    """Start of the first whole-token occurrence of ``word`` at or after ``cursor``."""
    letters = _CYR_LETTERS if word[0] >= "а" else _LATIN_DIGITS
    pos = folded.find(word, cursor)
    while pos >= 0:
        before = folded[pos - 1] if pos else ""
        after = folded[pos + len(word) : pos + len(word) + 1]
        if before not in letters and after not in letters:
            return pos
        pos = folded.find(word, pos + 1)
    raise AssertionError(f"token {word!r} not found in its own text")


def _is_noun(word: str) -> bool:
    return bool(word) and morph().parse(word)[0].tag.POS == "NOUN"


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))
