"""Lists for form choices, read from the region's data files and the agencies table."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Agency


@dataclass(frozen=True)
class Choice:
    code: str
    name: str


def _yaml(path: Path) -> Any:
    if not path.exists():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=8)
def municipalities(region_dir: Path) -> tuple[Choice, ...]:
    data = _yaml(region_dir / "municipalities.yaml") or []
    return tuple(Choice(str(m["code"]), str(m["name"])) for m in data if isinstance(m, dict) and m.get("code"))


@lru_cache(maxsize=8)
def topics(region_dir: Path) -> tuple[str, ...]:
    """Topic names from ``topics.yaml`` (``groups: [{name, topics: [...]}]``), when the region has one."""
    data = _yaml(region_dir / "topics.yaml")
    found: list[str] = []
    groups = data.get("groups") if isinstance(data, dict) else None
    for group in groups or []:
        if isinstance(group, dict):
            found.extend(" ".join(str(t).split()) for t in group.get("topics") or [])
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=8)
def networks(region_dir: Path) -> tuple[str, ...]:
    data = _yaml(region_dir / "networks.yaml") or {}
    return tuple(str(k) for k in (data.get("networks") or {}) if isinstance(data, dict))


def agencies(db: Session) -> list[Choice]:
    return [Choice(a.code, a.name) for a in db.scalars(select(Agency).where(Agency.active).order_by(Agency.name))]
