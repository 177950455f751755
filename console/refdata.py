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


class AgencyNames:
    """Code → Russian name for templates, cached for ``ttl`` seconds so pages don't query the table each time.

    The admin calls ``invalidate`` after re-seeding agencies; other processes see the change within ``ttl``.
    """

    def __init__(self, sessions: Any, clock: Any, ttl: float = 60.0) -> None:
        self._sessions, self._clock, self._ttl = sessions, clock, ttl
        self._names: dict[str, str] = {}
        self._active: list[Choice] = []
        self._loaded_at: float | None = None

    def _fresh(self) -> None:
        now = self._clock()
        if self._loaded_at is not None and now - self._loaded_at < self._ttl:
            return
        with self._sessions() as db:
            rows = list(db.execute(select(Agency.code, Agency.name, Agency.active).order_by(Agency.name)))
        self._names = {code: name for code, name, _ in rows}
        self._active = [Choice(code, name) for code, name, active in rows if active]
        self._loaded_at = now

    def invalidate(self) -> None:
        self._loaded_at = None

    def name(self, code: str | None) -> str:
        if not code:
            return "—"
        self._fresh()
        return self._names.get(code, code)

    def active(self) -> list[Choice]:
        self._fresh()
        return list(self._active)
