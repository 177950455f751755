"""The regulation's clocks (CLAUSES.md): limits from ``clocks.yaml``, due and warning instants on the calendar.

Importance (R12) and the shortened term (R7.2) change only the clocks whose limit is given
per importance; the 30-minute / 1-hour / 2-hour clocks count working time unless the setting
``short_clocks_working_time`` turns them into calendar time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml

from sla_tracker.calendar import WorkingCalendar

Unit = Literal["working_minutes", "calendar_minutes", "working_days"]
UNITS: tuple[str, ...] = ("working_minutes", "calendar_minutes", "working_days")
IMPORTANCES: tuple[str, ...] = ("normal", "high")


class ClockKind(StrEnum):
    ROUTING = "routing"
    COMPETENCE_RETURN = "competence_return"
    REROUTING = "rerouting"
    DRAFT = "draft"
    APPROVAL = "approval"
    REVISION = "revision"
    POSTING = "posting"
    REPLY = "reply"
    FINAL_AFTER_INTERIM = "final_after_interim"
    CONTRIBUTION = "contribution"


# the clocks that start at detection (the CLI and intake start these together)
DETECTION_CLOCKS: tuple[ClockKind, ...] = (ClockKind.ROUTING, ClockKind.DRAFT, ClockKind.REPLY)


class ClockConfigError(ValueError):
    """clocks.yaml is malformed or lacks a clock."""


@dataclass(frozen=True)
class ClockSpec:
    """One clock as it applies to one case: the limit already resolved for importance and term."""

    kind: ClockKind
    clause: str
    amount: float
    unit: Unit
    starts_at: str


@dataclass(frozen=True)
class ClockLimits:
    """A clocks.yaml row before importance is applied."""

    kind: ClockKind
    clause: Mapping[str, str]
    amount: Mapping[str, float]
    unit: Unit
    starts_at: str
    short: bool
    by_importance: bool


@dataclass(frozen=True)
class Limits:
    """All of clocks.yaml."""

    clocks: Mapping[ClockKind, ClockLimits]
    warn_fraction: float = 0.75
    shortened_normal_as: str = "high"
    shortened_high_factor: float = 0.5

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str = "clocks.yaml") -> Limits:
        rows = raw.get("clocks") or {}
        clocks: dict[ClockKind, ClockLimits] = {}
        for name, row in rows.items():
            try:
                kind = ClockKind(str(name))
            except ValueError as exc:
                raise ClockConfigError(f"{where}: unknown clock {name!r}") from exc
            clocks[kind] = _row(kind, row, f"{where}: {name}")
        missing = [k.value for k in ClockKind if k not in clocks]
        if missing:
            raise ClockConfigError(f"{where}: clocks missing: {missing}")
        warn = float(raw.get("warn_fraction", 0.75))
        if not 0 < warn < 1:
            raise ClockConfigError(f"{where}: warn_fraction must be between 0 and 1")
        short = raw.get("shortened") or {}
        normal_as = str(short.get("normal", "high"))
        if normal_as not in IMPORTANCES:
            raise ClockConfigError(f"{where}: shortened.normal must be one of {IMPORTANCES}")
        factor = float(short.get("high_factor", 0.5))
        if not 0 < factor <= 1:
            raise ClockConfigError(f"{where}: shortened.high_factor must be in (0, 1]")
        return cls(clocks, warn, normal_as, factor)

    @classmethod
    def load(cls, path: Path) -> Limits:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ClockConfigError(f"cannot read {path}: {exc}") from exc
        return cls.from_mapping(raw, str(path))


def _row(kind: ClockKind, row: Any, where: str) -> ClockLimits:
    if not isinstance(row, Mapping):
        raise ClockConfigError(f"{where}: expected a mapping")
    unit = str(row.get("unit", ""))
    if unit not in UNITS:
        raise ClockConfigError(f"{where}: unit must be one of {UNITS}")
    raw_limit = row.get("limit")
    by_importance = isinstance(raw_limit, Mapping)
    amount = _per_importance(raw_limit, where, "limit")
    for value in amount.values():
        if float(value) <= 0:
            raise ClockConfigError(f"{where}: limit must be positive")
        if unit == "working_days" and float(value) != int(value):
            raise ClockConfigError(f"{where}: working_days limit must be whole")
    clause = _per_importance(row.get("clause"), where, "clause")
    return ClockLimits(
        kind=kind,
        clause={k: str(v) for k, v in clause.items()},
        amount={k: float(v) for k, v in amount.items()},
        unit=unit,  # type: ignore[arg-type]
        starts_at=str(row.get("starts_at", "")),
        short=bool(row.get("short", False)),
        by_importance=by_importance,
    )


def _per_importance(value: Any, where: str, key: str) -> dict[str, Any]:
    if value is None:
        raise ClockConfigError(f"{where}: {key} is required")
    if isinstance(value, Mapping):
        missing = [i for i in IMPORTANCES if i not in value]
        if missing:
            raise ClockConfigError(f"{where}: {key} lacks {missing}")
        return {i: value[i] for i in IMPORTANCES}
    return dict.fromkeys(IMPORTANCES, value)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: pass an aware datetime")
    return at.astimezone(UTC)


class ClockPolicy:
    """Resolves a clock for a case (importance, shortened term) and computes its instants."""

    def __init__(self, calendar: WorkingCalendar, short_clocks_working_time: bool = True,
                 limits: Limits | None = None) -> None:
        if limits is None:
            raise ClockConfigError("limits (clocks.yaml) are required; use ClockPolicy.load(region_dir)")
        self.calendar = calendar
        self.short_clocks_working_time = short_clocks_working_time
        self.limits = limits
        self._specs: dict[tuple[str, str, bool], ClockSpec] = {}

    @classmethod
    def load(cls, region_dir: Path, short_clocks_working_time: bool = True) -> ClockPolicy:
        region_dir = Path(region_dir)
        return cls(
            WorkingCalendar.load(region_dir),
            short_clocks_working_time=short_clocks_working_time,
            limits=Limits.load(region_dir / "clocks.yaml"),
        )

    def spec(self, kind: ClockKind | str, importance: str = "normal", shortened: bool = False) -> ClockSpec:
        key = (kind, importance, bool(shortened))
        cached = self._specs.get(key)
        if cached is None:
            cached = self._specs[key] = self._resolve(ClockKind(kind), importance, bool(shortened))
        return cached

    def _resolve(self, kind: ClockKind, importance: str, shortened: bool) -> ClockSpec:
        if importance not in IMPORTANCES:
            raise ValueError(f"importance must be one of {IMPORTANCES}, got {importance!r}")
        row = self.limits.clocks[kind]
        level = importance
        factor = 1.0
        if shortened and row.by_importance:
            if importance == "normal":
                level = self.limits.shortened_normal_as
            else:
                factor = self.limits.shortened_high_factor
        unit: Unit = row.unit
        if row.short and not self.short_clocks_working_time and unit == "working_minutes":
            unit = "calendar_minutes"
        return ClockSpec(
            kind=kind,
            clause=row.clause[importance],
            amount=row.amount[level] * factor,
            unit=unit,
            starts_at=row.starts_at,
        )

    def due(self, kind: ClockKind | str, start: datetime, importance: str = "normal",
            shortened: bool = False) -> datetime:
        return self._at(self.spec(kind, importance, shortened), start, 1.0)

    def warn_at(self, kind: ClockKind | str, start: datetime, importance: str = "normal",
                shortened: bool = False) -> datetime:
        """Warning instant: ``warn_fraction`` of the limit, in working or calendar time as the clock counts."""
        return self._at(self.spec(kind, importance, shortened), start, self.limits.warn_fraction)

    def detection_deadlines(self, detected: datetime, importance: str = "normal",
                            shortened: bool = False) -> dict[ClockKind, datetime]:
        """Due instants of the clocks that start at detection (routing, draft, reply)."""
        return {k: self.due(k, detected, importance, shortened) for k in DETECTION_CLOCKS}

    def _at(self, spec: ClockSpec, start: datetime, fraction: float) -> datetime:
        start = _utc(start)
        if spec.unit == "calendar_minutes":
            return start + timedelta(minutes=spec.amount * fraction)
        if spec.unit == "working_minutes":
            return self.calendar.add_minutes(start, spec.amount * fraction)
        due = self.calendar.add_days(start, int(spec.amount))
        if fraction == 1.0:
            return due
        return self.calendar.add_minutes(start, self.calendar.working_minutes_between(start, due) * fraction)

