"""Read side of the analytics store: the figures the monthly (R25) and deficiencies (R24) reports show.

Every query is plain SQL over the tables and views of the migrations, with
server-side parameters; quantiles interpolate linearly (Excel PERCENTILE.INC),
so an analyst re-computing them elsewhere gets the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo


class _Store(Protocol):
    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]: ...


@dataclass(frozen=True)
class Window:
    """A half-open period [start, end) of local days, carried as UTC instants."""

    start: datetime
    end: datetime
    zone: str = "UTC"

    @classmethod
    def days(cls, first: date, last: date, zone: str) -> Window:
        tz = ZoneInfo(zone)
        start = datetime.combine(first, time(0), tz).astimezone(UTC)
        end = datetime.combine(last + timedelta(days=1), time(0), tz).astimezone(UTC)
        return cls(start, end, zone)

    @classmethod
    def month(cls, year: int, month: int, zone: str) -> Window:
        first = date(year, month, 1)
        nxt = date(year + month // 12, month % 12 + 1, 1)
        return cls.days(first, nxt - timedelta(days=1), zone)

    def previous_month(self, zone: str | None = None) -> Window:
        zone = zone or self.zone
        local = self.start.astimezone(ZoneInfo(zone)).date()
        prev = local.replace(day=1) - timedelta(days=1)
        return Window.month(prev.year, prev.month, zone)


@dataclass(frozen=True)
class Timeliness:
    key: str
    clocks: int
    on_time: int
    breached: int
    median_min: float | None
    p90_min: float | None

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.clocks if self.clocks else None


@dataclass(frozen=True)
class Quality:
    competence_returns: int
    returns_by_agency: dict[str, int]
    drafts_submitted: int
    revisions: int
    cases_opened: int
    repeats: int
    interim_clocks: int
    interim_on_time: int
    acceptance: dict[str, tuple[int, int]] = field(default_factory=dict)
    """field -> (accepted, decided)."""

    @property
    def revisions_per_draft(self) -> float | None:
        return self.revisions / self.drafts_submitted if self.drafts_submitted else None

    @property
    def interim_on_time_share(self) -> float | None:
        return self.interim_on_time / self.interim_clocks if self.interim_clocks else None


@dataclass(frozen=True)
class Breach:
    agency: str
    person: str
    kind: str
    clause: str
    case_id: int
    due_at: datetime | None
    breached_at: datetime | None


def _window(col: str) -> str:
    return (f"{col} >= toDateTime64({{start:String}}, 3, 'UTC') "
            f"AND {col} < toDateTime64({{end:String}}, 3, 'UTC')")


def _p(window: Window) -> dict[str, Any]:
    return {"start": window.start.strftime("%Y-%m-%d %H:%M:%S"), "end": window.end.strftime("%Y-%m-%d %H:%M:%S")}


def _opt(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if number != number else number  # NaN from an empty quantile


def _pair(values: Any) -> tuple[float | None, float | None]:
    values = list(values or [])
    return (_opt(values[0]), _opt(values[1])) if len(values) == 2 else (None, None)


def timeliness_all(store: _Store, window: Window) -> dict[str, list[Timeliness]]:
    """Resolved clocks started in the window (stopped, or breached while open), by agency and by kind.

    One pass over the clocks with GROUPING SETS: the per-clock fold is the expensive part.
    """
    sql = f"""
        SELECT grouping(agency) = 0 AS by_agency, if(by_agency, agency, kind) AS key, count(), sum(on_time),
               sum(breached),
               quantilesExactInclusiveIf(0.5, 0.9)(duration_min, duration_min IS NOT NULL)
        FROM clock_outcomes_v
        WHERE {_window('started_at')} AND (stopped_at IS NOT NULL OR breached = 1)
        GROUP BY GROUPING SETS ((agency), (kind)) ORDER BY by_agency, key"""
    out: dict[str, list[Timeliness]] = {"agency": [], "kind": []}
    for r in store.query(sql, _p(window)):
        out["agency" if r[0] else "kind"].append(
            Timeliness(str(r[1]), int(r[2]), int(r[3]), int(r[4]), *_pair(r[5])))
    return out


def timeliness(store: _Store, window: Window, by: str) -> list[Timeliness]:
    if by not in ("agency", "kind"):
        raise ValueError(f"cannot group timeliness by {by!r}")
    return timeliness_all(store, window)[by]


def quality(store: _Store, window: Window, by_kind: list[Timeliness] | None = None) -> Quality:
    p = _p(window)
    kinds = by_kind if by_kind is not None else timeliness(store, window, "kind")
    interim = next((t for t in kinds if t.key == "final_after_interim"), None)
    days = _days(window)
    transitions = store.query("""
        SELECT to_state, agency, uniqExactMerge(events) FROM case_events_daily
        WHERE type = 'transition' AND to_state IN ('returned', 'revision', 'under_approval')
          AND day >= {first:Date} AND day <= {last:Date}
        GROUP BY to_state, agency""", days)
    returns_by_agency: dict[str, int] = {}
    totals = {"returned": 0, "revision": 0, "under_approval": 0}
    for state, agency, n in transitions:
        totals[state] += int(n)
        if state == "returned":
            returns_by_agency[str(agency)] = returns_by_agency.get(str(agency), 0) + int(n)
    opened, repeats = store.query("""
        SELECT uniqExactMerge(cases), uniqExactMergeIf(cases, is_repeat = 1) FROM case_events_daily
        WHERE type = 'opened' AND day >= {first:Date} AND day <= {last:Date}""", days)[0]
    acceptance = {str(r[0]): (int(r[1]), int(r[2])) for r in store.query(f"""
        SELECT field, sum(accepted), count() FROM suggestion_decisions FINAL
        WHERE {_window('decided_at')} GROUP BY field ORDER BY field""", p)}
    return Quality(
        competence_returns=totals["returned"], returns_by_agency=returns_by_agency,
        drafts_submitted=totals["under_approval"], revisions=totals["revision"],
        cases_opened=int(opened), repeats=int(repeats),
        interim_clocks=interim.clocks if interim else 0, interim_on_time=interim.on_time if interim else 0,
        acceptance=acceptance,
    )


DYNAMIC_DIMENSIONS = ("topic", "municipality", "network", "importance")


def _days(window: Window, zone: str | None = None) -> dict[str, Any]:
    """Local days of the window; the daily aggregates are keyed by the region's local day."""
    tz = ZoneInfo(zone or window.zone)
    return {"first": window.start.astimezone(tz).date(),
            "last": (window.end.astimezone(tz) - timedelta(microseconds=1)).date()}


def posts_dynamics(store: _Store, window: Window, zone: str) -> dict[str, dict[str, int]]:
    """Posts (not excluded under R22) per value of every dimension, in one pass over the daily aggregate."""
    keys = ", ".join(f"({d})" for d in DYNAMIC_DIMENSIONS)
    picks = ", ".join(f"grouping({d}) = 0, {d}" for d in DYNAMIC_DIMENSIONS)
    rows = store.query(f"""
        SELECT {picks}, uniqExactMerge(posts) FROM posts_daily
        WHERE day >= {{first:Date}} AND day <= {{last:Date}}
        GROUP BY GROUPING SETS ({keys})""", _days(window, zone))
    out: dict[str, dict[str, int]] = {d: {} for d in DYNAMIC_DIMENSIONS}
    for row in rows:
        for i, dimension in enumerate(DYNAMIC_DIMENSIONS):
            if row[2 * i]:
                out[dimension][str(row[2 * i + 1])] = int(row[-1])
    for dimension in out:
        out[dimension] = dict(sorted(out[dimension].items()))
    return out


def posts_by(store: _Store, window: Window, dimension: str, zone: str) -> dict[str, int]:
    if dimension not in DYNAMIC_DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    return posts_dynamics(store, window, zone)[dimension]


def cases_by_agency(store: _Store, window: Window) -> dict[str, int]:
    """Cases routed to each agency (R7.3), counted once per case and agency."""
    rows = store.query("""
        SELECT agency, uniqExactMerge(cases) FROM case_events_daily
        WHERE type = 'transition' AND to_state = 'routed' AND agency != ''
          AND day >= {first:Date} AND day <= {last:Date}
        GROUP BY agency ORDER BY agency""", _days(window))
    return {str(r[0]): int(r[1]) for r in rows}


def detection_delay(store: _Store, window: Window) -> list[tuple[str, int, float | None, float | None]]:
    """Minutes from publication (by the network) to detection (case opened), per network, for cases opened
    in the window: (network, cases, median, p90)."""
    rows = store.query(f"""
        SELECT p.network, count(),
               quantilesExactInclusive(0.5, 0.9)(dateDiff('second', p.created_at, o.opened_at) / 60.0)
        FROM (SELECT case_id, min(e.at) AS opened_at, any(JSONExtractString(e.data, 'post_uid')) AS uid
              FROM case_events AS e WHERE e.type = 'opened' AND {_window('e.at')} GROUP BY case_id) AS o
        INNER JOIN (SELECT uid, network, min(created_at) AS created_at FROM posts GROUP BY uid, network) AS p
            ON p.uid = o.uid
        GROUP BY p.network ORDER BY p.network""", _p(window))
    return [(str(r[0]), int(r[1]), *_pair(r[2])) for r in rows]


def breaches(store: _Store, window: Window) -> list[Breach]:
    """R24: every breached clock whose breach (or, if unrecorded, deadline) falls in the window."""
    rows = store.query(f"""
        SELECT agency, person, kind, clause, case_id, due_at, coalesce(breached_at, stopped_at)
        FROM clock_outcomes_v
        WHERE breached = 1 AND {_window('coalesce(breached_at, due_at, started_at)')}
        ORDER BY agency, person, kind, case_id""", _p(window))
    return [Breach(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), r[5], r[6]) for r in rows]
