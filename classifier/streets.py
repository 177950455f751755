"""Street and house extraction: "ул. Кирова, 12", "на Кирова 5", "проспект Ленина 45", "Советская улица".

Street spans are also what stops a street named after a town ("ул. Новокузнецкая") from
being read as that town.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass

_MARKERS: tuple[tuple[str, str], ...] = (
    (r"ул(?:ица|ице|ицу|ицы|ицей|\.|(?=\s))", "ул."),
    (r"пр-?т\.?|просп(?:ект[а-я]{0,2}|\.)|пр\.", "пр-т"),
    (r"пер(?:еул(?:ок|ке|ка|ку)|\.)", "пер."),
    (r"б-р\.?|бул(?:ьвар[а-я]{0,2}|\.)", "б-р"),
    (r"ш(?:оссе|\.)", "ш."),
    (r"пл(?:ощад[ьи]|\.)", "пл."),
    (r"наб(?:ережн[а-я]{2,3}|\.)", "наб."),
    (r"мкр(?:-н|н)?\.?|микрорайон[а-я]{0,2}", "мкр."),
    (r"пр-д\.?|проезд[а-я]{0,2}", "пр-д"),
    (r"тракт[а-я]{0,2}", "тракт"),
)
_MARKER_RE = "|".join(f"(?P<m{i}>{pat})" for i, (pat, _) in enumerate(_MARKERS))
_NAME = r"(?:\d{1,2}-?(?:я|й|го|ой|ая)\s)?[А-ЯЁа-яё][А-ЯЁа-яё\-]{1,40}(?:\s[А-ЯЁ][А-ЯЁа-яё\-]{1,40}){0,2}"
_HOUSE = r"(?:\s*,?\s*(?:д\.|дом[а-я]{0,2})?\s*(?P<house>\d{1,4}(?:\s?[а-дА-Д](?![а-яА-Я]))?(?:/\d{1,4})?))?"
_STREET_RE = re.compile(rf"(?:{_MARKER_RE})\s*(?P<name>{_NAME}){_HOUSE}", re.IGNORECASE)
_MARKER_GROUPS = tuple((_STREET_RE.groupindex[f"m{i}"], abbr) for i, (_, abbr) in enumerate(_MARKERS))
"""(group number, abbreviation) per marker: looking a group up by number, not by a formatted name."""
# The full street regex is tried only where a marker can start (found on lower-cased text
# without IGNORECASE): about 5x faster than letting it scan the whole post.
_MARKER_START_RE = re.compile(r"(?:^|[^а-яёa-z0-9])(ул|пр|пер|б-р|бул|ш|пл|наб|мкр|микрор|тракт)")
_ADJ_FIRST_RE = re.compile(
    r"(?P<name>[А-ЯЁ][а-яё]{2,30}(?:ая|ий|ый|ой|ом|ую))\s+"
    r"(?P<kind>улиц[аеуы]|проспект[а-я]{0,2}|бульвар[а-я]{0,2}|переул(?:ок|ке)|шоссе|площад[ьи]|"
    r"набережн(?:ая|ой))" + _HOUSE
)
# "на Кирова 12": a capitalised word after one of these prepositions.
_BARE_START_RE = re.compile(r"(?:^|[^А-ЯЁа-яё])(?:[Нн]а|[Пп]о|[Сс]|[Уу]|[Оо]коло|[Вв]озле)\s+(?=[А-ЯЁ])")
_BARE_TAIL_RE = re.compile(
    r"(?P<name>[А-ЯЁ][а-яё]{2,30}(?:-[А-ЯЁ][а-яё]+)?)"
    r"(?:\s*,?\s*(?:д\.|дом)?\s*(?P<house>\d{1,4}(?:[а-д](?![а-я]))?(?:/\d{1,4})?))?(?![А-ЯЁа-яё])"
)
_KIND_ABBR = {"улиц": "ул.", "просп": "пр-т", "бульв": "б-р", "переу": "пер.", "шоссе": "ш.", "площа": "пл.",
              "набер": "наб."}


@dataclass(frozen=True)
class StreetMatch:
    span: tuple[int, int]
    address: str


def _after_letter(text: str, pos: int) -> bool:
    return pos > 0 and text[pos - 1].isalpha()


def _format(abbr: str, name: str, house: str | None) -> str:
    name = " ".join(name.split())
    return f"{abbr} {name}, {house.replace(' ', '')}" if house else f"{abbr} {name}"


def find_streets(text: str, known_streets: Container[str], place_forms: Container[str]) -> list[StreetMatch]:
    """Streets in reading order; bare "на Кирова" needs a house number or a well-known street name."""
    found: list[StreetMatch] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    low = text.lower() if len(text.lower()) == len(text) else text
    last_end = 0
    for marker in _MARKER_START_RE.finditer(low):
        if marker.start(1) < last_end:
            continue
        m = _STREET_RE.match(text, marker.start(1))
        if m is None:
            continue
        last_end = m.end()
        abbr = next(abbr for group, abbr in _MARKER_GROUPS if m.group(group))
        name = m.group("name")
        words = name.split()
        # Lower-case continuation words are the sentence, not the street name.
        while len(words) > 1 and not words[-1][0].isupper():
            words.pop()
        name = " ".join(words)
        end = m.start("name") + len(name)
        house = m.group("house")
        if house is not None and " ".join(m.group("name").split()) == name:
            end = m.end("house")
        found.append(StreetMatch((m.start(), end), _format(abbr, name, house)))
        taken.append((m.start(), end))
    for m in _ADJ_FIRST_RE.finditer(text):
        if _after_letter(text, m.start()) or not free(m.start(), m.end()):
            continue
        abbr = _KIND_ABBR.get(m.group("kind")[:5].lower(), "ул.")
        found.append(StreetMatch((m.start("name"), m.end()), _format(abbr, m.group("name"), m.group("house"))))
        taken.append((m.start("name"), m.end()))
    for prep in _BARE_START_RE.finditer(text):
        m = _BARE_TAIL_RE.match(text, prep.end())
        if m is None:
            continue
        name, house = m.group("name"), m.group("house")
        key = name.lower().replace("ё", "е")
        if key.replace("-", " ") in place_forms and key not in known_streets:
            continue
        if house is None and key not in known_streets:
            continue
        end = m.end("house") if house else m.end("name")
        if not free(m.start("name"), end):
            continue
        found.append(StreetMatch((m.start("name"), end), _format("ул.", name, house)))
        taken.append((m.start("name"), end))
    found.sort(key=lambda s: s.span)
    return found
