"""R12 importance: a score with human-readable reasons from content, social signals and mass-ness."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from schemas import Importance, ImportanceSuggestion, Post

MAX_SCAN_CHARS = 20_000


class ImportanceConfigError(ValueError):
    """importance.yaml is missing or malformed."""


@dataclass(frozen=True)
class _Cue:
    id: str
    label: str
    weight: float
    pattern: re.Pattern[str]
    cold_weight: float | None = None
    cold_label: str | None = None


def _num(section: dict[str, Any], key: str, default: float) -> float:
    return float(section.get(key, default))


class ImportanceScorer:
    """Scores one post. Load once per process; ``score`` is pure.

    Content cues count only at a word start, so a stem cannot fire inside another word
    ("умер" in "умеренный").
    """

    def __init__(self, config: dict[str, Any], zone: str = "Asia/Novokuznetsk") -> None:
        try:
            self.threshold = float(config["threshold"])
            self.cues = [
                _Cue(
                    id=str(c["id"]), label=str(c["label"]), weight=float(c["weight"]),
                    pattern=re.compile("|".join(f"(?:{p})" for p in c["patterns"])),
                    cold_weight=float(c["cold_weight"]) if "cold_weight" in c else None,
                    cold_label=c.get("cold_label"),
                )
                for c in config.get("content", [])
            ]
        except (KeyError, TypeError, ValueError, re.error) as exc:
            raise ImportanceConfigError(f"bad importance config: {exc!r}") from exc
        self.cold_months = frozenset(int(m) for m in config.get("cold_season_months", []))
        self.social: dict[str, Any] = dict(config.get("social") or {})
        self.author: dict[str, Any] = dict(config.get("author") or {})
        self.mass: dict[str, Any] = dict(config.get("mass") or {})
        self.topics: dict[str, float] = {str(k): float(v) for k, v in (config.get("topics") or {}).items()}
        self.zone = ZoneInfo(zone)

    @classmethod
    def load(cls, region_dir: Path) -> ImportanceScorer:
        region_dir = Path(region_dir)
        try:
            config = yaml.safe_load((region_dir / "importance.yaml").read_text("utf-8")) or {}
            region = yaml.safe_load((region_dir / "region.yaml").read_text("utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ImportanceConfigError(f"cannot read importance config in {region_dir}: {exc}") from exc
        return cls(config, zone=str(region.get("zone", "Asia/Novokuznetsk")))

    def is_cold_season(self, post: Post) -> bool:
        return post.created_at.astimezone(self.zone).month in self.cold_months

    def mass_saturation(self) -> int | None:
        """The similar-post count past which mass-ness adds nothing (its cap is reached); None if
        it never is within reach. Counting similar posts beyond it changes no score."""
        weight, cap = _num(self.mass, "weight", 0.3), _num(self.mass, "cap", 1.0)
        if weight <= 0 or cap <= 0 or cap / weight > 20:
            return None
        n = max(1, math.ceil(2 ** (cap / weight)) - 1)
        while weight * math.log2(1 + n) < cap:  # float rounding at the boundary
            n += 1
        return max(n, math.ceil(_num(self.mass, "min_similar", 2)))

    def score(
        self, post: Post, text: str, topic: str | None = None, similar_count: int = 0,
        previous: Post | None = None, similar_at_least: bool = False,
    ) -> ImportanceSuggestion:
        """``previous`` is an earlier version of the same post, for the engagement growth rate;
        ``similar_at_least``: counting stopped at ``similar_count``, there may be more."""
        folded = text[:MAX_SCAN_CHARS].lower().replace("ё", "е")
        total = 0.0
        reasons: list[str] = []
        cold = self.is_cold_season(post)
        for cue in self.cues:
            m = _at_word_start(cue.pattern, folded)
            if m is None:
                continue
            weight, label = cue.weight, cue.label
            if cold and cue.cold_weight is not None:
                weight, label = cue.cold_weight, cue.cold_label or cue.label
            total += weight
            reasons.append(f"{label}: «{text[m.start():m.end()]}»")
        total += self._social(post, previous, reasons)
        total += self._author(post, reasons)
        total += self._mass(similar_count, similar_at_least, reasons)
        if topic is not None and topic in self.topics:
            total += self.topics[topic]
            reasons.append(f"тема «{topic}»")
        total = round(total, 4)
        label = Importance.HIGH if total >= self.threshold else Importance.NORMAL
        return ImportanceSuggestion(label=label, score=total, reasons=reasons)

    def _social(self, post: Post, previous: Post | None, reasons: list[str]) -> float:
        m = post.metrics
        reactions = m.likes + m.reposts + m.comments
        part = 0.0
        if reactions >= _num(self.social, "min_total", 30):
            part = sum(_num(self.social, k, 0.0) * math.log10(1 + getattr(m, k))
                       for k in ("likes", "reposts", "comments", "views"))
            part = min(part, _num(self.social, "cap", 1.0))
            reasons.append(f"активность: {m.likes} отметок, {m.reposts} репостов, {m.comments} комментариев")
        if previous is not None:
            hours = (post.collected_at - previous.collected_at).total_seconds() / 3600
            pm = previous.metrics
            gained = reactions - (pm.likes + pm.reposts + pm.comments)
            if hours > 0 and gained > 0:
                rate = gained / hours
                high = _num(self.social, "growth_per_hour_high", 50)
                if rate >= high / 4:
                    part += _num(self.social, "growth_weight", 0.4) * min(1.0, rate / high)
                    reasons.append(f"быстрый рост активности: +{rate:.0f} в час")
        return part

    def _author(self, post: Post, reasons: list[str]) -> float:
        followers = post.author.followers or 0
        if followers < _num(self.author, "followers_min", 5000):
            return 0.0
        reasons.append(f"широкий охват автора: {followers} подписчиков")
        return min(_num(self.author, "followers_weight", 0.1) * math.log10(1 + followers),
                   _num(self.author, "cap", 0.5))

    def _mass(self, similar_count: int, at_least: bool, reasons: list[str]) -> float:
        if similar_count < _num(self.mass, "min_similar", 2):
            return 0.0
        reasons.append(f"массовость: {'не менее ' if at_least else ''}{similar_count} похожих сообщений за сутки")
        return min(_num(self.mass, "weight", 0.3) * math.log2(1 + similar_count), _num(self.mass, "cap", 1.0))


def _at_word_start(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    # Checked in code, not with a look-behind: a leading assertion makes the regex engine
    # try every position and costs ~3x on typical posts.
    for m in pattern.finditer(text):
        if m.start() == 0 or not ("а" <= text[m.start() - 1] <= "я"):
            return m
    return None


def tune_threshold(decisions: list[tuple[float, bool]]) -> float:
    """The threshold that best reproduces the curators' high/normal decisions (max F1, then higher).

    Candidates sit midway between neighbouring distinct scores, so a small change in a
    score does not flip a decision the curators already made.
    """
    if not decisions:
        raise ValueError("tune_threshold needs at least one curator decision")
    scores = sorted({s for s, _ in decisions})
    positives = sum(1 for _, high in decisions if high)
    if positives == 0:
        return scores[-1] + 1e-6
    candidates = [scores[0]] + [(a + b) / 2 for a, b in itertools.pairwise(scores)]
    best_t, best_f1 = scores[0], -1.0
    for t in candidates:
        tp = sum(1 for s, high in decisions if high and s >= t)
        fp = sum(1 for s, high in decisions if not high and s >= t)
        fn = positives - tp
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 >= best_f1:
            best_t, best_f1 = t, f1
    return round(best_t, 6)
