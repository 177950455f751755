"""R22 moderation: obscenity, insults and threats, each with the rule and the span in the ORIGINAL text.

Nothing is dropped here: the flags travel with the post and the curator sees the post as
excluded, with the reason and the fragment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import yaml

from schemas import ModerationFlag

MAX_SCAN_CHARS = 20_000
MAX_MASKED_LEN = 24
MAX_FILLED_STARS = 2
"""More masked letters than this leave too little of the word to judge it by the patterns."""
_ALPHABET = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
"""A masked chunk longer than any listed word cannot be one of them (and would cost a big regex)."""

# Look-alikes used to disguise words: Latin letters, digits and symbols -> Cyrillic.
_DISGUISE = {
    "a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "k": "к", "m": "м", "o": "о", "p": "р",
    "t": "т", "x": "х", "y": "у", "u": "и", "n": "п", "r": "г", "3": "з", "0": "о", "6": "б",
    "4": "ч", "@": "а", "$": "с", "ё": "е", "α": "а", "ο": "о", "ε": "е", "ρ": "р", "χ": "х",
}
_MASK_CHARS = set("*#%")
_SEPARATORS = set(".,_-|~'`^\"+/\\")
_SPLIT_CHARS = " \t\n\r\f\v!?;:()[]{}«»<>"
_SPLIT = frozenset(_SPLIT_CHARS) | {"\u00a0", "\u2028", "\u2029", "\u3000", "\u2009", "\u202f"}
_CHUNK_RE = re.compile(r"[^\s!?;:()\[\]{}«»<>]+")
_SUSPECT_RE = re.compile(
    r"[а-яё][^\sа-яё!?;:()\[\]{}«»<>.,…\"—–\-]"  # Cyrillic next to Latin, digit, mask: "хyй", "пи3дец"
    r"|[^\sа-яё!?;:()\[\]{}«»<>.,…\"—–\-][а-яё]"
    r"|[а-яё][.,_\-|~'`^+/\\*#%][а-яё]"  # separators between letters: "х.у.й"
    r"|([а-яё])\1"  # doubled letters: "хууууй"
    r"|(?<![а-яёa-z])[а-яёa-z](?=([^а-яёa-z\n]{1,2}[а-яёa-z])(?![а-яёa-z]))"  # spaced letters: "х у й"
)
_CYR_RE = re.compile(r"[а-яё]")
_CLEAN_RE = re.compile(r"([а-яё]+)[.,…\"»]*$")
_DOUBLE_RE = re.compile(r"([а-яё])\1")
_COLLAPSE_RE = re.compile(r"([а-я])\1+")
_LETTERS_RE = re.compile(r"[а-я]*")
_WORDS_RE = re.compile(r"[а-я]+")
_SUBJECT_RE = re.compile(r"(?<![а-я])(?:(?:я|мы)\s)?(?:(?:тебя|вас|его|ее|их)\s)?$")


class ModerationConfigError(ValueError):
    """The region's moderation lexicon is missing or has a bad pattern."""


@dataclass(frozen=True)
class _Word:
    skeleton: str  # folded letters, separators dropped, repeats collapsed; '*' marks a masked letter
    start: int
    end: int


@dataclass(frozen=True)
class _WordRule:
    rule: str
    patterns: re.Pattern[str]
    exceptions: re.Pattern[str] | None
    masked_targets: tuple[str, ...]
    scan: re.Pattern[str]  # the same patterns anchored at word starts, for running text


def _compile_any(patterns: list[str], what: str) -> re.Pattern[str] | None:
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error as exc:
        raise ModerationConfigError(f"bad {what} pattern: {exc}") from exc


def _collapse(s: str) -> str:
    # A callable, not r"\1": CPython 3.11 re-parses a string template on every call.
    return _COLLAPSE_RE.sub(_first_group, s) if _DOUBLE_RE.search(s) else s


def _first_group(m: re.Match[str]) -> str:
    return m.group(1)


def _lower(text: str) -> str:
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low


def disguised_words(text: str) -> list[_Word]:
    """Only the words that need de-obfuscation, found without walking every chunk in Python.

    One regex pass finds what makes a word suspect (a non-Cyrillic character, a separator
    between letters, a doubled letter, spaced single letters); only the chunks around those
    spots go through the per-character path; plain words are scanned by ``Moderator._plain_words``
    with one regex pass over the whole text.
    """
    low = _lower(text)
    regions: list[list[int]] = []
    for m in _SUSPECT_RE.finditer(low):
        start = m.start()
        end = m.end(2) if m.group(2) is not None else m.end()  # (2): the next spaced letter
        if regions and start <= regions[-1][1]:
            if end > regions[-1][1]:
                regions[-1][1] = _chunk_end(low, end)
            continue
        regions.append([_chunk_start(low, start), _chunk_end(low, end)])
    raw: list[_Word] = []
    for start, end in regions:
        for m in _CHUNK_RE.finditer(low, start, end):
            word = _disguised_chunk(m.group(0), m.start())
            if word is not None:
                raw.append(word)
    return _join_spaced(raw)


def _chunk_start(low: str, pos: int) -> int:
    while pos > 0 and low[pos - 1] not in _SPLIT:
        pos -= 1
    return pos


def _chunk_end(low: str, pos: int) -> int:
    while pos < len(low) and low[pos] not in _SPLIT:
        pos += 1
    return pos


def _disguised_chunk(chunk: str, offset0: int) -> _Word | None:
    clean = _CLEAN_RE.match(chunk)
    if clean is not None:
        word = clean.group(1).replace("ё", "е")
        return _Word(_collapse(word), offset0, offset0 + len(word))
    disguise = len(chunk) <= 2 or bool(_CYR_RE.search(chunk)) or any(c in _MASK_CHARS for c in chunk)
    letters: list[str] = []
    first = last = -1
    for offset, ch in enumerate(chunk):
        if disguise and ch in _DISGUISE:
            ch = _DISGUISE[ch]
        if "а" <= ch <= "я" or ch in _MASK_CHARS:
            letters.append("*" if ch in _MASK_CHARS else ch)
            if first < 0:
                first = offset
            last = offset
    if letters and any(c != "*" for c in letters):
        return _Word(_collapse("".join(letters)), offset0 + first, offset0 + last + 1)
    return None


def _join_spaced(words: list[_Word]) -> list[_Word]:
    out: list[_Word] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and len(words[j].skeleton) == 1 and (j == i or words[j].start - words[j - 1].end <= 2):
            j += 1
        if j - i >= 3:
            out.append(_Word(_collapse("".join(w.skeleton for w in words[i:j])), words[i].start, words[j - 1].end))
            i = j
        else:
            out.append(words[i])
            i += 1
    return out


class Moderator:
    """Checks post text against the region lexicon. Load once; ``check`` is pure and fast."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.word_rules: list[_WordRule] = []
        for rule in ("obscenity", "insult"):
            section = config.get(rule) or {}
            pattern = _compile_any(list(section.get("words", [])), rule)
            if pattern is None:
                continue
            words = list(section.get("words", []))
            scan = re.compile("(?<![а-я])(?:" + "|".join(f"(?:{p})" for p in words).replace("$", "(?![а-я])") + ")")
            self.word_rules.append(_WordRule(
                rule, pattern, _compile_any(list(section.get("exceptions", [])), f"{rule} exception"),
                tuple(section.get("masked_targets", [])), scan,
            ))
        threats = config.get("threats") or {}
        phrases = list(threats.get("phrases", []))
        self.threat = _compile_any([rf"(?:{p})(?![а-я])" for p in phrases], "threat")
        # Words a threat phrase can start with: a post containing none of them skips the
        # (slow, many-alternative) threat regex after one cheap set intersection.
        self.threat_triggers: frozenset[str] | None = _leading_words(phrases)
        self.officials = re.compile(threats.get("officials", r"(?!x)x"))
        self.family = re.compile(threats.get("family", r"(?!x)x"))
        self.window = int(threats.get("official_window", 160))
        self.safe = _compile_any(list(config.get("safe_phrases") or []), "safe phrase")

    @classmethod
    def load(cls, region_dir: Path) -> Moderator:
        path = Path(region_dir) / "moderation.yaml"
        try:
            config = yaml.safe_load(path.read_text("utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ModerationConfigError(f"cannot read {path}: {exc}") from exc
        return cls(config)

    def check(self, text: str) -> list[ModerationFlag]:
        """Every R22 finding in reading order; an empty list means the post may be processed."""
        text = text[:MAX_SCAN_CHARS]
        flags: list[ModerationFlag] = []
        disguised = disguised_words(text)
        for word in disguised:
            rule = self._word_rule(word.skeleton)
            if rule is not None:
                flags.append(ModerationFlag(rule=rule, span=(word.start, word.end),
                                            fragment=text[word.start : word.end]))
        flags.extend(self._plain_words(text, disguised))
        flags.extend(self._threats(text))
        if flags and self.safe is not None:
            flags = self._drop_safe(text, flags)
        flags.sort(key=lambda f: f.span)
        return flags

    def _drop_safe(self, text: str, flags: list[ModerationFlag]) -> list[ModerationFlag]:
        assert self.safe is not None
        folded = _lower(text).replace("ё", "е")
        safe = [m.span() for m in self.safe.finditer(folded)]
        return [f for f in flags if not any(a <= f.span[0] and f.span[1] <= b for a, b in safe)]

    def _plain_words(self, text: str, disguised: list[_Word]) -> list[ModerationFlag]:
        low = _lower(text).replace("ё", "е")
        out: list[ModerationFlag] = []
        seen: set[int] = set()
        for rule in self.word_rules:
            for m in rule.scan.finditer(low):
                start = m.start()
                end = _LETTERS_RE.match(low, start).end()  # type: ignore[union-attr]
                word = low[start:end]
                if start in seen or end - start <= 2 or _DOUBLE_RE.search(word):
                    continue
                if any(w.start < end and start < w.end for w in disguised):
                    continue  # part of a disguised chunk: judged as a whole above
                if rule.exceptions is not None and rule.exceptions.match(word):
                    continue
                if rule.patterns.match(word):
                    seen.add(start)
                    out.append(ModerationFlag(rule=rule.rule, span=(start, end), fragment=text[start:end]))
        return out

    def _word_rule(self, skeleton: str) -> str | None:
        masked = "*" in skeleton
        for rule in self.word_rules:
            if masked:
                if _masked_match(skeleton, rule.masked_targets) or self._masked_fill(skeleton, rule):
                    return rule.rule
                continue
            if rule.exceptions is not None and rule.exceptions.match(skeleton):
                continue
            if rule.patterns.match(skeleton):
                return rule.rule
        return None

    @staticmethod
    def _masked_fill(skeleton: str, rule: _WordRule) -> bool:
        """A masked word no target list names ("х*йло"): does some letter per star make it a listed word?

        Forms are endless, the lexicon patterns are not: filling each star with one letter and
        asking the patterns covers every inflection; few stars keep it at most 33² tries.
        """
        stars = skeleton.count("*")
        letters = len(skeleton) - stars
        if stars > MAX_FILLED_STARS or letters < 3 or stars * 2 > letters or skeleton.startswith("*") \
                or len(skeleton) > MAX_MASKED_LEN:
            return False
        for fill in product(_ALPHABET, repeat=stars):
            it = iter(fill)
            word = _collapse("".join(next(it) if c == "*" else c for c in skeleton))
            if (rule.exceptions is None or not rule.exceptions.match(word)) and rule.patterns.match(word):
                return True
        return False

    def _threats(self, text: str) -> list[ModerationFlag]:
        if self.threat is None:
            return []
        folded = _lower(text).replace("ё", "е")
        if self.threat_triggers is not None and self.threat_triggers.isdisjoint(_WORDS_RE.findall(folded)):
            return []
        out: list[ModerationFlag] = []
        for m in self.threat.finditer(folded):
            start, end = m.start(), m.end()
            if start > 0 and "а" <= folded[start - 1] <= "я":
                continue  # inside another word
            subject = _SUBJECT_RE.search(folded, max(0, start - 16), start)
            if subject is not None:
                start = subject.start()
            while start < end and folded[start].isspace():
                start += 1
            while end > start and folded[end - 1].isspace():
                end -= 1
            if start == end:
                continue
            lo, hi = max(0, start - self.window), min(len(folded), end + self.window)
            near = folded[lo:hi]
            official = self.officials.search(near) is not None
            rule = "threat_official" if official else "threat_harm"
            out.append(ModerationFlag(rule=rule, span=(start, end), fragment=text[start:end]))
        return out


def _leading_words(phrases: list[str]) -> frozenset[str] | None:
    """The literal words each phrase must start with, or None if some phrase starts otherwise."""
    words: set[str] = set()
    for phrase in phrases:
        m = re.match(r"\(\?:([а-я|]+)\)(?![?*+{])|([а-я]+)(?![а-я]*[\[(?*+{|])", phrase)
        if m is None:
            return None
        words.update((m.group(1) or m.group(2)).split("|"))
    return frozenset(words)


def _masked_match(skeleton: str, targets: tuple[str, ...]) -> bool:
    letters = sum(1 for c in skeleton if c != "*")
    if letters < 2 or skeleton.startswith("*") or len(skeleton) > MAX_MASKED_LEN:
        return False
    pattern = re.sub(r"\*+", lambda m: f"[а-я]{{1,{len(m.group(0)) + 1}}}", skeleton)
    rx = re.compile(pattern)
    return any(rx.fullmatch(t) for t in targets)
