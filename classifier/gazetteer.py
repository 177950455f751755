"""Kuzbass gazetteer loaded from region data and expanded into every inflected surface form.

Matching at run time is then a dictionary lookup per token n-gram, which keeps location
extraction in the tens of microseconds; the morphology work happens once, at load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pymorphy3
import yaml

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct", "loc2")
MAX_NGRAM = 5
FUZZY_MIN_LEN = 6
FUZZY_MAX_LEN = 30
FUZZY_KINDS = frozenset({"city", "town", "municipality"})


# An explicit okrug name outweighs a settlement; a bare adjective is only a hint.
_KIND_WEIGHT = {"municipality": 1.5, "city_district": 1.2, "adjective": 0.4}


class GazetteerError(ValueError):
    """The region's gazetteer file is missing or malformed."""


@dataclass(frozen=True)
class Place:
    """One named thing a text can point at; several municipalities mean the name is ambiguous."""

    name: str
    municipalities: tuple[str, ...]
    kind: str  # city | town | settlement | district | city_district | municipality | adjective
    settlement: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_km: float = 3.0
    exclude_next: tuple[str, ...] = ()

    @property
    def weight(self) -> float:
        return _KIND_WEIGHT.get(self.kind, 1.0)


@dataclass(frozen=True)
class FormEntry:
    place: Place
    cap: bool  # form is also a common word: only a capitalised mention counts
    # The other word is only an adjective ("Пригородный", "Берикульский"): at a sentence start
    # it still counts unless a noun follows ("Пригородный автобус").
    adjective_only: bool = False


def fold(text: str) -> str:
    """Length-preserving lower-casing with ё→е, so spans stay valid in the original text."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    return low.replace("ё", "е")


@lru_cache(maxsize=1)
def morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


def _pick_parse(word: str) -> Any:
    parses = morph().parse(word)
    for p in parses:
        if "Geox" in p.tag:
            return p
    for p in parses:
        if p.normal_form.replace("ё", "е") == word and p.tag.POS in ("NOUN", "ADJF"):
            return p
    for p in parses:
        if p.tag.POS in ("NOUN", "ADJF"):
            return p
    return parses[0]


_HEURISTIC = (
    ("ане", ("ан", "анам", "анами", "анах")),  # residents: кемеровчане -> кемеровчан
    ("яне", ("ян", "янам", "янами", "янах")),
    ("цы", ("цев", "цам", "цами", "цах")),  # междуреченцы -> междуреченцев
    ("ий", ("ого", "ому", "им", "ом")),
    ("ый", ("ого", "ому", "ым", "ом")),
    ("ой", ("ого", "ому", "ым", "ом")),
    ("ая", ("ой", "ую")),
    ("ое", ("ого", "ому", "ым", "ом")),
    ("ка", ("ки", "ке", "ку", "кой")),
    ("а", ("ы", "и", "е", "у", "ой")),
    ("я", ("и", "е", "ю", "ей")),
    ("о", ("а", "у", "ом", "е")),
    ("ки", ("ок", "ках", "кам", "ками")),
    ("и", ("ов", "ах", "ам", "ами", "ей", "ях", "ям", "ями")),
    ("ы", ("ов", "ах", "ам", "ами")),
)


def _heuristic_forms(word: str) -> set[str]:
    for suffix, endings in _HEURISTIC:
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            return {stem + e for e in endings if stem}
    if word[-1:] and word[-1] not in "аеиоуыэюяьй":
        return {word + e for e in ("а", "у", "ом", "е")}
    return set()


def word_forms(word: str) -> dict[str, set[str]]:
    """Case -> forms of one word (pymorphy3 inflection plus suffix rules for unknown names)."""
    word = word.replace("ё", "е")
    out: dict[str, set[str]] = {c: {word} for c in CASES}
    if not re.fullmatch(r"[а-я]+", word) or len(word) < 2:
        return out
    parse = _pick_parse(word)
    for case in CASES:
        inflected = parse.inflect({case})
        if inflected is not None:
            out[case].add(inflected.word.replace("ё", "е"))
    extra = _heuristic_forms(word)
    out["gent"] |= extra
    return out


def phrase_forms(name: str) -> set[str]:
    """All surface forms of a (multi-word, possibly hyphenated) name, space-joined tokens."""
    name = fold(name).strip()
    words = re.findall(r"[а-я]+|[a-z0-9]+", name)
    if not words:
        return set()
    per_word = [word_forms(w) for w in words]
    forms: set[str] = {" ".join(words)}
    for case in CASES:
        # Inflect all words together (adjective + noun agree), or only the last one
        # ("Анжеро-Судженске", "Верх-Чебуле").
        combos: list[list[str]] = [[]]
        for forms_of_word in per_word:
            combos = [[*c, f] for c in combos for f in forms_of_word[case]]
        forms |= {" ".join(c) for c in combos}
        last = per_word[-1][case] | per_word[-1]["gent"]
        forms |= {" ".join([*words[:-1], f]) for f in last}
    return forms


def common_word_kind(form: str) -> str | None:
    """Whether the form is also an ordinary dictionary word: None, "adjective" or "word".

    "тебе" (dative of Теба) is a "word"; "пригородном" (Пригородный) an "adjective".
    Even the name's own lemma counts: "Звездный" and "Акация" are ordinary words too.
    """
    if " " in form:
        return None
    m = morph()
    if not m.word_is_known(form):
        return None
    parses = m.parse(form)
    if any("Geox" in p.tag for p in parses):
        return None  # the dictionary itself knows this form as a place
    others = [p for p in parses
              if not ({"Surn", "Name", "Patr", "Orgn"} & p.tag.grammemes) and p.score >= 0.05]
    if not others:
        return None
    return "adjective" if all(p.tag.POS in ("ADJF", "ADJS") for p in others) else "word"


@dataclass
class Gazetteer:
    """Surface form -> entries, plus the fuzzy (deletion-neighbourhood) index and geo points."""

    forms: dict[str, list[FormEntry]]
    fuzzy: dict[str, set[str]]
    points: list[Place]
    streets: frozenset[str]
    municipality_names: dict[str, str]

    @classmethod
    def load(cls, region_dir: Path) -> Gazetteer:
        region_dir = Path(region_dir)
        try:
            munis = yaml.safe_load((region_dir / "municipalities.yaml").read_text("utf-8"))
            data = yaml.safe_load((region_dir / "gazetteer.yaml").read_text("utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise GazetteerError(f"cannot read gazetteer in {region_dir}: {exc}") from exc
        codes = {m["code"] for m in munis}
        builder = _Builder(codes)
        for muni in munis:
            builder.add_municipality(muni)
        for code, aliases in (data.get("municipality_aliases") or {}).items():
            for alias in aliases:
                builder.add(Place(alias, (builder.check(code),), "municipality"), alias, False)
        for code, items in (data.get("settlements") or {}).items():
            for item in items:
                builder.add_settlement(builder.check(code), item)
        for item in data.get("city_districts") or []:
            muni_codes = tuple(builder.check(c) for c in item["municipalities"])
            place = Place(item["name"], muni_codes, "city_district")
            builder.add(place, item["name"], bool(item.get("cap", False)))
        for adj, muni_codes in (data.get("ambiguous_adjectives") or {}).items():
            place = Place(adj, tuple(builder.check(c) for c in muni_codes), "adjective")
            builder.add(place, adj, False)
        streets = frozenset(fold(s) for s in data.get("known_streets") or [])
        names = {m["code"]: m["name"] for m in munis}
        return cls(builder.forms, builder.build_fuzzy(), builder.points, streets, names)


class _Builder:
    def __init__(self, codes: set[str]) -> None:
        self.codes = codes
        self.forms: dict[str, list[FormEntry]] = {}
        self.points: list[Place] = []

    def check(self, code: str) -> str:
        if code not in self.codes:
            raise GazetteerError(f"gazetteer names unknown municipality code {code!r}")
        return code

    def add(self, place: Place, name: str, cap: bool, check_common: bool = True) -> None:
        for form in phrase_forms(name):
            common = common_word_kind(form) if check_common and not cap else None
            entry = FormEntry(place, cap or common is not None, adjective_only=common == "adjective")
            bucket = self.forms.setdefault(form, [])
            if not any(e.place == place for e in bucket):
                bucket.append(entry)

    def add_municipality(self, muni: dict[str, Any]) -> None:
        name = str(muni["name"])
        place = Place(name, (muni["code"],), "municipality")
        self.add(place, name, False)
        # People say "Таштагольский район" / "Чебулинский округ" for the municipal formations;
        # a bare "X округ" stays with the city okrug only when there is no municipal one.
        m = re.fullmatch(r"(?P<adj>\S+) (?P<kind>муниципальный округ|муниципальный район)", name)
        if m:
            for alias in (f"{m['adj']} район", f"{m['adj']} округ", f"{m['adj']} муниципальный район"):
                self.add(Place(alias, (muni["code"],), "municipality"), alias, False)

    def add_settlement(self, code: str, item: str | dict[str, Any]) -> None:
        spec: dict[str, Any] = {"name": item} if isinstance(item, str) else dict(item)
        name = str(spec["name"])
        place = Place(
            name=name, municipalities=(code,), kind=str(spec.get("kind", "settlement")), settlement=name,
            lat=spec.get("lat"), lon=spec.get("lon"), radius_km=float(spec.get("radius_km", 3.0)),
            exclude_next=tuple(fold(w) for w in spec.get("exclude_next", ())),
        )
        self.add(place, name, bool(spec.get("cap", False)), check_common=not spec.get("plain", False))
        if place.lat is not None and place.lon is not None:
            self.points.append(place)
        for resident in spec.get("residents", ()):
            # "кемеровчане": the dictionary knows it (lemma "кемеровчанин") but it is no other word.
            self.add(Place(str(resident), (code,), place.kind, settlement=name), str(resident), False,
                     check_common=False)
        for alias in spec.get("aliases", ()):
            aspec: dict[str, Any] = {"name": alias} if isinstance(alias, str) else dict(alias)
            alias_place = Place(
                name=str(aspec["name"]), municipalities=(code,), kind=place.kind, settlement=name,
                exclude_next=tuple(fold(w) for w in aspec.get("exclude_next", ())),
            )
            self.add(alias_place, str(aspec["name"]), bool(aspec.get("cap", False)),
                     check_common=not aspec.get("plain", False))

    def build_fuzzy(self) -> dict[str, set[str]]:
        index: dict[str, set[str]] = {}
        for form, entries in self.forms.items():
            if len(form) < FUZZY_MIN_LEN or len(form) > FUZZY_MAX_LEN or form.count(" ") > 1:
                continue
            # Typos are forgiven only for well-known names: village names sit too close to
            # ordinary words and surnames ("Кураково"/"Кулакова", "Журавлево"/"Муравлево").
            if not any(e.place.kind in FUZZY_KINDS for e in entries):
                continue
            if all(e.place.kind == "adjective" for e in entries):
                continue
            for key in deletes(form):
                index.setdefault(key, set()).add(form)
        return index


def deletes(word: str) -> set[str]:
    """The word and every string made by deleting one character from it."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance with transpositions counted as one, giving up beyond ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]
