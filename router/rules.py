"""Routing rules from region data: topic group and/or topic x municipality -> agency codes.

Like Open311 service areas, the responsible body is data: a rule names what it matches and
which agencies answer; ``adm-{municipality}`` stands for the administration of the place found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.catalog import Catalog, RegionDataError, read_yaml

ANY_KNOWN = "*"
PLACEHOLDER = "{municipality}"


@dataclass(frozen=True)
class Rule:
    agencies: tuple[str, ...]
    group: str | None = None
    topic: str | None = None
    municipalities: tuple[str, ...] | None = None  # None: any place or none; ("*",): any known place
    note: str = ""

    @property
    def specificity(self) -> int:
        score = 4 if self.topic else 0
        score += 2 if self.group else 0
        if self.municipalities is not None:
            score += 1 if self.municipalities == (ANY_KNOWN,) else 3
        return score

    def matches(self, topic: str | None, group: str | None, municipality: str | None) -> bool:
        if self.topic is not None and self.topic != topic:
            return False
        if self.group is not None and self.group != group:
            return False
        if self.municipalities is None:
            return not (self.needs_place and municipality is None)
        if municipality is None:
            return False
        return self.municipalities == (ANY_KNOWN,) or municipality in self.municipalities

    @property
    def needs_place(self) -> bool:
        return any(PLACEHOLDER in code for code in self.agencies)

    def agencies_for(self, municipality: str | None) -> list[str]:
        out: list[str] = []
        for code in self.agencies:
            resolved = code.replace(PLACEHOLDER, municipality or "")
            if resolved not in out:
                out.append(resolved)
        return out


@dataclass
class RuleSet:
    """``rules`` are tried first (most specific wins); ``fallback`` only after the learned model had nothing."""

    rules: list[Rule]
    fallback: list[Rule]

    @classmethod
    def empty(cls) -> RuleSet:
        return cls([], [])

    @classmethod
    def load(cls, region_dir: Path, catalog: Catalog) -> RuleSet:
        path = Path(region_dir) / "routing.yaml"
        data = read_yaml(path) or {}
        if not isinstance(data, dict):
            raise RegionDataError(f"{path}: expected a mapping with 'rules' and 'fallback'")
        rules = [_parse(path, i, item, catalog) for i, item in enumerate(data.get("rules") or [])]
        fallback = [_parse(path, i, item, catalog) for i, item in enumerate(data.get("fallback") or [])]
        return cls(rules, fallback)

    def match(self, topic: str | None, group: str | None, municipality: str | None) -> Rule | None:
        return _best(self.rules, topic, group, municipality)

    def match_fallback(self, topic: str | None, group: str | None, municipality: str | None) -> Rule | None:
        return _best(self.fallback, topic, group, municipality)


def _best(rules: list[Rule], topic: str | None, group: str | None, municipality: str | None) -> Rule | None:
    best: Rule | None = None
    for rule in rules:
        if rule.matches(topic, group, municipality) and (best is None or rule.specificity > best.specificity):
            best = rule
    return best


def _parse(path: Path, index: int, item: Any, catalog: Catalog) -> Rule:
    where = f"{path}: rule #{index + 1}"
    if not isinstance(item, dict) or not item.get("agencies"):
        raise RegionDataError(f"{where}: needs a non-empty 'agencies' list")
    agencies = tuple(str(a) for a in item["agencies"])
    group = str(item["group"]) if item.get("group") is not None else None
    topic = str(item["topic"]) if item.get("topic") is not None else None
    if group is not None and catalog.groups and group not in catalog.groups:
        raise RegionDataError(f"{where}: unknown topic group {group!r} (see topics.yaml)")
    munis_raw = item.get("municipality")
    municipalities: tuple[str, ...] | None = None
    if munis_raw is not None:
        municipalities = tuple(str(m) for m in (munis_raw if isinstance(munis_raw, list) else [munis_raw]))
        for code in municipalities:
            if code != ANY_KNOWN and catalog.municipalities and code not in catalog.municipalities:
                raise RegionDataError(f"{where}: unknown municipality {code!r} (see municipalities.yaml)")
    for code in agencies:
        probe = code.replace(PLACEHOLDER, next(iter(catalog.municipalities), ""))
        if catalog.agencies and probe not in catalog.agencies:
            raise RegionDataError(f"{where}: unknown agency {code!r} (see agencies.yaml)")
    rule = Rule(agencies, group, topic, municipalities, str(item.get("note", "")))
    if rule.needs_place and municipalities is not None and ANY_KNOWN not in municipalities and len(municipalities) == 0:
        raise RegionDataError(f"{where}: uses {PLACEHOLDER} but matches no municipality")
    return rule
