"""Topic x place -> agencies: region rules first, then the model learned from past routings, then fallbacks.

Every suggestion carries its reason, so the curator sees why an agency was proposed.
A learned agency is offered only if the region knows it (a model trained elsewhere
must not route a Kuzbass post to another region's body).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from router.catalog import Catalog
from router.rules import RuleSet
from schemas import RouteSuggestion

MODEL_MIN_CONFIDENCE = 0.15


@dataclass
class Router:
    catalog: Catalog
    rules: RuleSet
    restrict_to_catalog: bool = True
    min_confidence: float = MODEL_MIN_CONFIDENCE

    @classmethod
    def load(cls, region_dir: Path) -> Router:
        catalog = Catalog.load(region_dir)
        rules_file = Path(region_dir) / "routing.yaml"
        rules = RuleSet.load(region_dir, catalog) if rules_file.is_file() else RuleSet.empty()
        return cls(catalog, rules)

    @classmethod
    def learned_only(cls) -> Router:
        """For evaluation on another region's data: no rules, any agency the model learned."""
        return cls(Catalog(), RuleSet.empty(), restrict_to_catalog=False, min_confidence=0.0)

    def route(self, topic: str | None, municipality: str | None,
              learned: Sequence[tuple[str, float]] = (), topic_confidence: float = 1.0) -> list[RouteSuggestion]:
        group = self.catalog.group_of(topic) if topic else None
        rule = self.rules.match(topic, group, municipality)
        if rule is not None:
            where = self.catalog.municipality_name(municipality) if municipality else "любая территория"
            reason = f"правило: {self.catalog.group_name(group)} × {where}" + (f" ({rule.note})" if rule.note else "")
            return [RouteSuggestion(agency=a, confidence=round(min(1.0, topic_confidence), 3), reason=reason)
                    for a in rule.agencies_for(municipality)]
        usable = [(a, p) for a, p in learned
                  if p >= self.min_confidence and (not self.restrict_to_catalog or a in self.catalog.agencies)]
        if usable:
            return [RouteSuggestion(agency=a, confidence=round(p, 3),
                                    reason=f"модель прошлых направлений: {p:.0%}") for a, p in usable[:2]]
        fallback = self.rules.match_fallback(topic, group, municipality)
        if fallback is not None:
            reason = f"запасное правило: {self.catalog.group_name(group)}"
            agencies = fallback.agencies_for(municipality)
            return [RouteSuggestion(agency=a, confidence=0.3, reason=reason) for a in agencies]
        return []
