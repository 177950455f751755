"""R19 repeats: earlier posts/cases on the same issue (near-duplicate text, same place, recent).

In-memory and incremental: an inverted index from word stems to recent posts gives the
candidates, set cosine over stems scores them; entries older than the window expire.
Stems (a word's first letters) stand in for lemmas so that inflection does not hide a
repeat, without paying for morphology on the hot path.

Posts with the very same stems (similarity 1.0, the best any candidate can score) are also
chained, most recently indexed first. On a mass-issue day most posts repeat an earlier one
word for word; when that chain alone fills the answer (``limit`` links for ``find``, ``cap``
similar posts for ``similar_count``) the inverted index is not consulted at all, since
nothing it could add would rank higher. The chain also finds word-for-word repeats that
the inverted index's recency bound per stem had cut off.
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import Final

from schemas import RepeatCandidate

STEM_LEN = 5
RAREST_STEMS = 8
MAX_CANDIDATES = 100
"""Also how far the chain of identical posts is walked (its most recently indexed posts)."""
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


_Entry = tuple[str, int | None, tuple[str, ...], str | None, datetime]
"""A remembered post: uid, case id, stems, place, instant (indexes below). Stems are a sorted tuple of
interned strings (shared with the postings' keys), a third of the memory of a frozenset of private
copies, and equal for equal stem sets.

A plain tuple of atomic values, which the garbage collector stops tracking after one pass: an index
of half a million tracked entries made every full collection walk them all (0.47 -> 0.37 ms per post
with 500k entries, ``bench.classifier --load-like``)."""
UID: Final = 0
CASE: Final = 1
STEMS: Final = 2
PLACE: Final = 3
AT: Final = 4


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
        # hash of the stems tuple -> newest entry id with those stems; the chain runs through ``_older``
        # (entry id -> the next older id with that hash) and back through ``_newer``; no key: chain end
        self._same: dict[int, int] = {}
        self._older: dict[int, int] = {}
        self._newer: dict[int, int] = {}
        self._order: deque[tuple[datetime, int]] = deque()
        self._next_id = 0
        self._latest: datetime | None = None
        self._floor = min(threshold, SIMILAR_THRESHOLD)
        self._version = 0
        self._memo: tuple[tuple[str, datetime, int], list[tuple[_Entry, float]]] | None = None
        # The pipeline asks find, similar_count and add about one text in a row: stems once.
        self._stems_memo: tuple[str, tuple[str, ...], frozenset[str]] = ("", (), frozenset())

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
        key, _ = self._stems(text)
        entry: _Entry = (uid, case_id, key, location_code, at)
        self._entries[entry_id] = entry
        self._by_uid[uid] = entry_id
        for s in key:
            self._postings.setdefault(s, {})[entry_id] = None
        if key:
            sig = hash(key)
            newest = self._same.get(sig)
            if newest is not None:
                self._older[entry_id] = newest
                self._newer[newest] = entry_id
            self._same[sig] = entry_id
        self._order.append((at, entry_id))
        if self._latest is None or at > self._latest:
            self._latest = at
        self._expire()

    def find(self, text: str, location_code: str | None, at: datetime, limit: int = 5) -> list[RepeatCandidate]:
        """Earlier posts on the same issue within the window, most similar first, then newest.

        Word-for-word repeats (similarity 1.0) come first from their chain; only when fewer
        than ``limit`` of them qualify is the inverted index searched for looser ones.
        """
        _require_aware(at)
        if limit <= 0:
            return []
        key = self._stems(text)[0]
        out: list[tuple[float, _Entry, bool]] = []
        walked: set[str] = set()
        for entry in self._same_stems(key, at - self.window, at):
            walked.add(entry[UID])
            out.extend(self._links(((entry, 1.0),), location_code))
            if len(out) >= limit:
                break
        else:
            found = self._scan(text, at)
            out.extend(self._links([(e, sim) for e, sim in found if e[UID] not in walked] if walked else found,
                                   location_code))
        out.sort(key=lambda t: (-t[0], -t[1][AT].timestamp()))
        return [RepeatCandidate(uid=e[UID], case_id=e[CASE], similarity=round(min(s, 1.0), 4),
                                reason=_reason(s, same_place, location_code, (at - e[AT]).total_seconds() / 86400))
                for s, e, same_place in out[:limit]]

    def similar_count(self, text: str, at: datetime, hours: int = 24, threshold: float = SIMILAR_THRESHOLD,
                      cap: int | None = None) -> int:
        """How many posts of the last ``hours`` talk about the same thing (R12 mass-ness), any place.

        With ``cap`` counting stops there, so ``cap`` means "at least ``cap``": mass-ness
        saturates long before the candidates run out, and word-for-word repeats alone often
        reach it without a search of the inverted index.
        """
        _require_aware(at)
        if cap is not None and cap < 1:
            raise ValueError("cap must be positive")
        since = at - timedelta(hours=hours)
        exact: set[str] = set()
        if threshold <= 1.0:
            for entry in self._same_stems(self._stems(text)[0], max(since, at - self.window), at):
                exact.add(entry[UID])
                if cap is not None and len(exact) >= cap:
                    return cap
        if since >= at - self.window and threshold >= self._floor:
            found = (entry for entry, sim in self._scan(text, at) if sim >= threshold and entry[AT] >= since)
        else:
            found = (entry for entry, _ in self._similar(self._stems(text)[1], since, at, threshold))
        n = len(exact.union(entry[UID] for entry in found)) if exact else sum(1 for _ in found)
        return n if cap is None else min(n, cap)

    def _links(self, found: Iterable[tuple[_Entry, float]],
               location_code: str | None) -> Iterator[tuple[float, _Entry, bool]]:
        """The R19 rules: similar enough, no other known place, and without a shared place near-verbatim."""
        threshold = self.threshold
        loose = max(0.75, threshold)
        for entry, sim in found:
            if sim < threshold:
                continue
            same_place = location_code is not None and entry[PLACE] == location_code
            if location_code is not None and entry[PLACE] is not None and not same_place:
                continue
            # Without a shared place only a near-verbatim repeat counts.
            if not same_place and sim < loose:
                continue
            yield sim, entry, same_place

    def _scan(self, text: str, at: datetime) -> list[tuple[_Entry, float]]:
        """Everything similar enough for ``find`` or ``similar_count``, memoised for one text.

        The pipeline asks both questions about the same post in a row; one candidate pass
        serves both.
        """
        key = (text, at, self._version)
        if self._memo is not None and self._memo[0] == key:
            return self._memo[1]
        found = self._similar(self._stems(text)[1], at - self.window, at, self._floor)
        self._memo = (key, found)
        return found

    def _same_stems(self, key: tuple[str, ...], since: datetime, until: datetime) -> Iterator[_Entry]:
        """Posts in [since, until] with exactly these stems, most recently indexed first.

        Walks at most ``recent_per_stem`` (and ``MAX_CANDIDATES``) links of the chain: the same
        recency bound as a posting of the inverted index.
        """
        if not key:
            return
        entries = self._entries
        entry_id = self._same.get(hash(key), -1)
        steps = min(MAX_CANDIDATES, self.recent_per_stem)
        while entry_id >= 0 and steps > 0:
            entry = entries[entry_id]
            if entry[STEMS] == key and since <= entry[AT] <= until:  # a hash collision is skipped
                yield entry
            entry_id = self._older.get(entry_id, -1)
            steps -= 1

    def _stems(self, text: str) -> tuple[tuple[str, ...], frozenset[str]]:
        """Stems of ``text`` as the sorted interned key and as a set; the last text's are remembered."""
        memo = self._stems_memo
        if memo[0] is text or memo[0] == text:
            return memo[1], memo[2]
        found = stems(text)
        key = tuple(sorted(map(sys.intern, found)))
        self._stems_memo = (text, key, found)
        return key, found

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
        # Filter first: most ids share one stem only, and sorting all of them was the cost.
        # (-shared stems, id) sorts natively: most shared first, then oldest, as before.
        enough = [(-n, entry_id) for entry_id, n in shared.items() if n >= need]
        if len(enough) > MAX_CANDIDATES:
            enough.sort()
            del enough[MAX_CANDIDATES:]
        out: list[tuple[_Entry, float]] = []
        entries = self._entries
        common = query.intersection
        size = len(query)
        for _, entry_id in enough:
            entry = entries[entry_id]
            if since <= entry[AT] <= until:
                sim = len(common(entry[STEMS])) / math.sqrt(size * len(entry[STEMS]))
                if sim >= threshold:
                    out.append((entry, sim))
        return out

    def _remove(self, entry_id: int) -> None:
        entry = self._entries.pop(entry_id, None)
        if entry is None:
            return
        self._version += 1
        if self._by_uid.get(entry[UID]) == entry_id:
            del self._by_uid[entry[UID]]
        older, newer = self._older.pop(entry_id, -1), self._newer.pop(entry_id, -1)
        if older >= 0:
            if newer >= 0:
                self._newer[older] = newer
            else:
                del self._newer[older]
        if newer >= 0:
            if older >= 0:
                self._older[newer] = older
            else:
                del self._older[newer]
        elif entry[STEMS]:
            sig = hash(entry[STEMS])
            if older >= 0:
                self._same[sig] = older
            else:
                del self._same[sig]
        for s in entry[STEMS]:
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
