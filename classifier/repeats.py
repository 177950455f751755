"""R19 repeats: earlier posts/cases on the same issue (near-duplicate text, same place, recent).

In-memory and incremental: an inverted index from word stems to recent posts gives the
candidates, set cosine over stems scores them; entries older than the window expire.
Stems (a word's first letters) stand in for lemmas so that inflection does not hide a
repeat, without paying for morphology on the hot path.
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from schemas import RepeatCandidate

STEM_LEN = 5
RAREST_STEMS = 8
MAX_CANDIDATES = 100
SIMILAR_THRESHOLD = 0.4
"""Mass-ness (R12) counts looser matches than R19 repeat links."""
MAX_SCAN_CHARS = 5_000
_WORD_RE = re.compile(r"[а-яa-z0-9]{3,}")
_STOP = frozenset(
    "это как так что или для его она они оно все всё уже еще ещё нет был была были быть будет "
    "который которая которые только очень когда тоже также даже где там тут вот при про над под "
    "без через после перед между чтобы если кто чем нам вам нас вас них мне меня себя свой свои "
    "наш наша наши ваш ваша ваши этот эта эти того этого этом всех всем весь вся сегодня снова опять "
    "почему просто можно нужно надо может")


def stems(text: str) -> frozenset[str]:
    """Order-free fingerprint of a text: stems of its content words."""
    words = _WORD_RE.findall(text[:MAX_SCAN_CHARS].lower().replace("ё", "е"))
    return frozenset(w[:STEM_LEN] for w in words if w not in _STOP)


@dataclass(slots=True)
class _Entry:
    """A remembered post; stems are a tuple of interned strings (shared with the postings' keys),
    a third of the memory of a frozenset of private copies."""

    uid: str
    case_id: int | None
    stems: tuple[str, ...]
    location: str | None
    at: datetime


class RepeatIndex:
    """Recent posts for R19 look-ups. Not thread-safe: one index per classifier worker."""

    def __init__(self, window_days: int = 30, threshold: float = 0.5, recent_per_stem: int = 200,
                 max_entries: int = 500_000) -> None:
        """``max_entries`` bounds memory whatever the post rate: past it the oldest posts are forgotten
        before their window ends (about 1 GB of index at the default)."""
        if window_days <= 0 or max_entries <= 0:
            raise ValueError("window_days and max_entries must be positive")
        self.window = timedelta(days=window_days)
        self.threshold = threshold
        self.recent_per_stem = recent_per_stem
        self.max_entries = max_entries
        self._entries: dict[int, _Entry] = {}
        self._by_uid: dict[str, int] = {}
        # stem -> entry ids in insertion order (ids grow with time): the newest are at the end
        self._postings: dict[str, dict[int, None]] = {}
        self._order: deque[tuple[datetime, int]] = deque()
        self._next_id = 0
        self._latest: datetime | None = None
        self._floor = min(threshold, SIMILAR_THRESHOLD)
        self._version = 0
        self._memo: tuple[tuple[str, datetime, int], list[tuple[_Entry, float]]] | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, uid: str, case_id: int | None, text: str, location_code: str | None, at: datetime) -> None:
        """Remember a post; a new version of a known uid replaces the old one."""
        _require_aware(at)
        if uid in self._by_uid:
            self._remove(self._by_uid[uid])
        entry_id = self._next_id
        self._next_id += 1
        self._version += 1
        entry = _Entry(uid, case_id, tuple(map(sys.intern, stems(text))), location_code, at)
        self._entries[entry_id] = entry
        self._by_uid[uid] = entry_id
        for s in entry.stems:
            self._postings.setdefault(s, {})[entry_id] = None
        self._order.append((at, entry_id))
        if self._latest is None or at > self._latest:
            self._latest = at
        self._expire()

    def find(self, text: str, location_code: str | None, at: datetime, limit: int = 5) -> list[RepeatCandidate]:
        """Earlier posts on the same issue within the window, most similar first."""
        _require_aware(at)
        out: list[tuple[float, _Entry, bool]] = []
        for entry, sim in self._scan(text, at):
            if sim < self.threshold:
                continue
            same_place = location_code is not None and entry.location == location_code
            if location_code is not None and entry.location is not None and not same_place:
                continue
            # Without a shared place only a near-verbatim repeat counts.
            if not same_place and sim < max(0.75, self.threshold):
                continue
            out.append((sim, entry, same_place))
        out.sort(key=lambda t: (-t[0], -t[1].at.timestamp()))
        return [RepeatCandidate(uid=e.uid, case_id=e.case_id, similarity=round(min(s, 1.0), 4),
                                reason=_reason(s, same_place, location_code, (at - e.at).total_seconds() / 86400))
                for s, e, same_place in out[:limit]]

    def similar_count(self, text: str, at: datetime, hours: int = 24, threshold: float = SIMILAR_THRESHOLD) -> int:
        """How many posts of the last ``hours`` talk about the same thing (R12 mass-ness), any place."""
        _require_aware(at)
        since = at - timedelta(hours=hours)
        if since >= at - self.window and threshold >= self._floor:
            return sum(1 for entry, sim in self._scan(text, at) if sim >= threshold and entry.at >= since)
        return len(self._similar(stems(text), since, at, threshold))

    def _scan(self, text: str, at: datetime) -> list[tuple[_Entry, float]]:
        """Everything similar enough for ``find`` or ``similar_count``, memoised for one text.

        The pipeline asks both questions about the same post in a row; one candidate pass
        serves both.
        """
        key = (text, at, self._version)
        if self._memo is not None and self._memo[0] == key:
            return self._memo[1]
        found = self._similar(stems(text), at - self.window, at, self._floor)
        self._memo = (key, found)
        return found

    # -- internals ----------------------------------------------------------------------------
    def _similar(
        self, query: frozenset[str], since: datetime, until: datetime, threshold: float | None = None
    ) -> list[tuple[_Entry, float]]:
        if not query:
            return []
        threshold = self.threshold if threshold is None else threshold
        # Candidates come from the query's rarest stems only: a near-duplicate shares most
        # stems, so it shares some rare ones too, and frequent stems ("воды", "дом") would
        # drag in half the window.
        # A mass issue makes every stem frequent; its newest posts are the ones worth linking,
        # so a long posting contributes only its ``recent_per_stem`` newest ids. That keeps a
        # look-up's cost flat however many posts the window holds.
        get = self._postings.get
        postings = [p for p in map(get, query) if p is not None]
        postings.sort(key=len)
        del postings[RAREST_STEMS:]
        if not postings:
            return []
        shared: Counter[int] = Counter()
        cap = self.recent_per_stem
        for posting in postings:
            shared.update(posting.keys() if len(posting) <= cap else islice(reversed(posting), cap))
        need = max(1 if len(postings) < 3 else 2, int(threshold * len(postings)))
        out: list[tuple[_Entry, float]] = []
        # Filter first: most ids share one stem only, and sorting all of them was the cost.
        # (-shared stems, id) sorts natively: most shared first, then oldest, as before.
        enough = [(-n, entry_id) for entry_id, n in shared.items() if n >= need]
        if len(enough) > MAX_CANDIDATES:
            enough.sort()
            del enough[MAX_CANDIDATES:]
        for _, entry_id in enough:
            entry = self._entries[entry_id]
            if not since <= entry.at <= until:
                continue
            sim = len(query.intersection(entry.stems)) / math.sqrt(len(query) * len(entry.stems))
            if sim >= threshold:
                out.append((entry, sim))
        return out

    def _remove(self, entry_id: int) -> None:
        entry = self._entries.pop(entry_id, None)
        if entry is None:
            return
        self._version += 1
        if self._by_uid.get(entry.uid) == entry_id:
            del self._by_uid[entry.uid]
        for s in entry.stems:
            posting = self._postings.get(s)
            if posting is not None:
                posting.pop(entry_id, None)
                if not posting:
                    del self._postings[s]

    def _expire(self) -> None:
        assert self._latest is not None
        horizon = self._latest - self.window
        order = self._order
        while order and (order[0][0] < horizon or len(self._entries) > self.max_entries):
            _, entry_id = order.popleft()
            self._remove(entry_id)


def _reason(sim: float, same_place: bool, location_code: str | None, days: float) -> str:
    place = f"то же место ({location_code})" if same_place else "место не определено"
    return f"похожий текст (сходство {sim:.2f}), {place}, {_ago(days)}"


def _ago(days: float) -> str:
    if days < 1:
        return f"{max(1, round(days * 24))} ч. назад"
    return f"{round(days)} дн. назад"


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("timestamps must carry a time zone (stored in UTC)")
