"""Region data the router reads: agencies, municipalities and topic groups, loaded once from YAML.

Everything here is a fact about a region, so it comes from ``regions/<name>/`` and never from code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MUNICIPAL_PREFIX = "adm-"


class RegionDataError(ValueError):
    """A region data file is missing or malformed; the message names the file and the problem."""


def read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise RegionDataError(f"{path}: file not found")
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise RegionDataError(f"{path}: invalid YAML: {exc}") from exc


@dataclass(frozen=True)
class TopicGroup:
    code: str
    name: str
    source_group: str | None
    topics: tuple[str, ...]


@dataclass
class Catalog:
    """Names for codes: agencies (regional and ``adm-<municipality>``), municipalities, topic groups."""

    agencies: dict[str, str] = field(default_factory=dict)
    municipalities: dict[str, str] = field(default_factory=dict)
    groups: dict[str, TopicGroup] = field(default_factory=dict)
    topic_group: dict[str, str] = field(default_factory=dict)
    source_group: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, region_dir: Path) -> Catalog:
        region_dir = Path(region_dir)
        cat = cls()
        munis = read_yaml(region_dir / "municipalities.yaml") or []
        for item in munis:
            cat.municipalities[str(item["code"])] = str(item["name"])
        agencies = read_yaml(region_dir / "agencies.yaml") or {}
        for item in agencies.get("regional", []):
            cat.agencies[str(item["code"])] = str(item["name"])
        template = str((agencies.get("municipal") or {}).get("name_template", "Администрация: {municipality}"))
        for code, name in cat.municipalities.items():
            cat.agencies[MUNICIPAL_PREFIX + code] = template.format(municipality=name)
        topics_file = region_dir / "topics.yaml"
        if topics_file.is_file():
            cat._load_topics(topics_file)
        return cat

    def _load_topics(self, path: Path) -> None:
        data = read_yaml(path) or {}
        for item in data.get("groups", []):
            try:
                group = TopicGroup(
                    code=str(item["code"]), name=str(item["name"]),
                    source_group=str(item["source_group"]) if item.get("source_group") is not None else None,
                    topics=tuple(str(t) for t in item.get("topics") or []),
                )
            except KeyError as exc:
                raise RegionDataError(f"{path}: a group lacks {exc}") from exc
            self.groups[group.code] = group
            if group.source_group is not None:
                self.source_group[group.source_group] = group.code
            for topic in group.topics:
                self.topic_group[topic] = group.code

    def group_of(self, topic: str, source_group: str | None = None) -> str | None:
        """Region group code of a topic: by the taxonomy first, else by the training data's group id."""
        if topic in self.topic_group:
            return self.topic_group[topic]
        if source_group is not None:
            return self.source_group.get(source_group, source_group)
        return None

    def group_name(self, code: str | None) -> str:
        if code is None:
            return "без группы"
        group = self.groups.get(code)
        return group.name if group else code

    def municipality_name(self, code: str | None) -> str:
        if code is None:
            return "место не определено"
        return self.municipalities.get(code, code)
