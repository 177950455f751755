"""Working time of a region: its weekly schedule laid over the national production calendar.

All working intervals of the covered years are flattened once into sorted arrays of UTC
epoch seconds with a running total of working seconds, so adding or measuring working time
is two binary searches (O(log n)) whatever the distance, instead of stepping minute by minute.
A year absent from the data raises ``CalendarDataMissing``: a deadline is never guessed.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_MINUTES = 60.0 * 24 * 366 * 10  # far beyond any clock; bounds hostile input


class CalendarError(ValueError):
    """Calendar or schedule data is malformed."""


class CalendarDataMissing(LookupError):
    """The computation needs a year the production calendar does not cover."""


@dataclass(frozen=True)
class YearData:
    """One year of the national production calendar."""

    year: int
    source: str
    holidays: frozenset[date]
    days_off: frozenset[date]
    working_days: frozenset[date]
    short_days: frozenset[date]

    def is_working_date(self, day: date) -> bool:
        if day in self.holidays or day in self.days_off:
            return False
        return day.weekday() < 5 or day in self.working_days


def _parse_date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise CalendarError(f"{where}: not a date: {value!r}") from exc


def _dates(raw: Mapping[str, Any], key: str, year: int, where: str) -> frozenset[date]:
    values = raw.get(key) or []
    if not isinstance(values, list):
        raise CalendarError(f"{where}: {key} must be a list of dates")
    out = frozenset(_parse_date(v, f"{where}.{key}") for v in values)
    for d in out:
        if d.year != year:
            raise CalendarError(f"{where}.{key}: {d} is not in {year}")
    return out


def load_national(path: Path) -> dict[int, YearData]:
    """Read and check a production calendar file (see ``regions/calendars/ru.yaml``)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CalendarError(f"cannot read production calendar {path}: {exc}") from exc
    years: dict[int, YearData] = {}
    for key, raw in (data.get("years") or {}).items():
        year = int(key)
        where = f"{path.name}:{year}"
        if not isinstance(raw, Mapping):
            raise CalendarError(f"{where}: expected a mapping")
        yd = YearData(
            year=year,
            source=str(raw.get("source") or ""),
            holidays=_dates(raw, "holidays", year, where),
            days_off=_dates(raw, "days_off", year, where),
            working_days=_dates(raw, "working_days", year, where),
            short_days=_dates(raw, "short_days", year, where),
        )
        for d in yd.working_days:
            if d.weekday() < 5:
                raise CalendarError(f"{where}: working_days {d} is not a weekend day")
            if d in yd.holidays or d in yd.days_off:
                raise CalendarError(f"{where}: {d} is both working and a day off")
        for d in yd.short_days:
            if not yd.is_working_date(d):
                raise CalendarError(f"{where}: short day {d} is not a working day")
        if not yd.source:
            raise CalendarError(f"{where}: source (the decree) is required")
        years[year] = yd
    if not years:
        raise CalendarError(f"{path}: no years")
    return years


def _parse_hhmm(value: Any, where: str) -> int:
    """Minutes after midnight; '24:00' allowed as the end of a day."""
    text = str(value)
    try:
        hh, mm = text.split(":")
        minutes = int(hh) * 60 + int(mm)
    except ValueError as exc:
        raise CalendarError(f"{where}: not HH:MM: {value!r}") from exc
    if not 0 <= minutes <= 24 * 60 or not 0 <= int(mm) < 60:
        raise CalendarError(f"{where}: out of range: {value!r}")
    return minutes


@dataclass(frozen=True)
class Schedule:
    """A region's weekly hours; intervals are (start, end) minutes after local midnight."""

    zone: ZoneInfo
    week: tuple[tuple[tuple[int, int], ...], ...]  # index = weekday()
    working_weekend_as: int
    pre_holiday_shortening: int

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str) -> Schedule:
        try:
            zone = ZoneInfo(str(raw["zone"]))
        except (KeyError, ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError(f"{where}: zone missing or unknown") from exc
        week_raw = raw.get("week") or {}
        week: list[tuple[tuple[int, int], ...]] = []
        for name in WEEKDAYS:
            intervals: list[tuple[int, int]] = []
            for pair in week_raw.get(name) or []:
                if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
                    raise CalendarError(f"{where}: week.{name}: each interval is [start, end]")
                start, end = (_parse_hhmm(p, f"{where}: week.{name}") for p in pair)
                if end <= start or (intervals and start < intervals[-1][1]):
                    raise CalendarError(f"{where}: week.{name}: intervals must be ordered and not overlap")
                intervals.append((start, end))
            week.append(tuple(intervals))
        as_name = str(raw.get("working_weekend_as", "mon"))
        if as_name not in WEEKDAYS:
            raise CalendarError(f"{where}: working_weekend_as must be one of {WEEKDAYS}")
        shortening = int(raw.get("pre_holiday_shortening_minutes", 60))
        if shortening < 0:
            raise CalendarError(f"{where}: pre_holiday_shortening_minutes must be >= 0")
        return cls(zone, tuple(week), WEEKDAYS.index(as_name), shortening)

    def day_intervals(self, day: date, year: YearData) -> tuple[tuple[int, int], ...]:
        """Local working intervals of one date, after holidays, transfers and the pre-holiday cut."""
        if not year.is_working_date(day):
            return ()
        weekday = day.weekday()
        intervals = self.week[self.working_weekend_as if day in year.working_days else weekday]
        if day in year.short_days and self.pre_holiday_shortening:
            intervals = _cut_end(intervals, self.pre_holiday_shortening)
        return intervals


def _cut_end(intervals: tuple[tuple[int, int], ...], minutes: int) -> tuple[tuple[int, int], ...]:
    out = list(intervals)
    while minutes > 0 and out:
        start, end = out[-1]
        if end - start > minutes:
            out[-1] = (start, end - minutes)
            break
        minutes -= end - start
        out.pop()
    return tuple(out)


def _missing(year: int, cal: WorkingCalendar) -> str:
    return (f"в производственном календаре нет данных за {year} год "
            f"(есть {cal.first_year}–{cal.last_year}); срок не вычисляется наугад")


def _utc_ts(at: datetime) -> float:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: pass an aware datetime (UTC or with offset)")
    return at.timestamp()


def _from_ts(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class WorkingCalendar:
    """Working-time arithmetic in one region; instants in are aware, instants out are aware UTC."""

    def __init__(self, schedule: Schedule, years: Mapping[int, YearData]) -> None:
        if not years:
            raise CalendarError("no production calendar years")
        self.schedule = schedule
        self.zone: ZoneInfo = schedule.zone
        self.years: dict[int, YearData] = dict(sorted(years.items()))
        first, last = min(self.years), max(self.years)
        missing = [y for y in range(first, last + 1) if y not in self.years]
        if missing:
            raise CalendarError(f"production calendar has gaps: {missing}")
        self.first_year, self.last_year = first, last
        self._lo = datetime.combine(date(first, 1, 1), time(), self.zone).timestamp()
        self._hi = datetime.combine(date(last + 1, 1, 1), time(), self.zone).timestamp()
        self._build()

    @classmethod
    def load(cls, region_dir: Path) -> WorkingCalendar:
        """Read ``<region_dir>/schedule.yaml`` and the national calendar it names."""
        path = Path(region_dir) / "schedule.yaml"
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise CalendarError(f"cannot read schedule {path}: {exc}") from exc
        if not isinstance(raw, Mapping) or "national_calendar" not in raw:
            raise CalendarError(f"{path}: national_calendar is required")
        schedule = Schedule.from_mapping(raw, str(path))
        national = (path.parent / str(raw["national_calendar"])).resolve()
        return cls(schedule, load_national(national))

    def _build(self) -> None:
        starts: list[float] = []
        ends: list[float] = []
        cum_end: list[float] = []
        total = 0.0
        day = date(self.first_year, 1, 1)
        one = timedelta(days=1)
        while day.year <= self.last_year:
            year = self.years[day.year]
            for s, e in self.schedule.day_intervals(day, year):
                a = self._local_ts(day, s)
                b = self._local_ts(day, e)
                if starts and a <= ends[-1]:  # touching intervals merge
                    total += b - ends[-1]
                    ends[-1] = b
                    cum_end[-1] = total
                    continue
                total += b - a
                starts.append(a)
                ends.append(b)
                cum_end.append(total)
            day += one
        if not starts:
            raise CalendarError("the calendar has no working time at all")
        self._starts = starts
        self._ends = ends
        self._cum_end = cum_end

    def _local_ts(self, day: date, minutes: int) -> float:
        # aware + timedelta is wall-clock arithmetic; timestamp() applies the offset at that wall time
        return (datetime.combine(day, time(), self.zone) + timedelta(minutes=minutes)).timestamp()

    def _check(self, ts: float) -> None:
        if not self._lo <= ts < self._hi:
            year = _from_ts(ts).astimezone(self.zone).year
            raise CalendarDataMissing(_missing(year, self))

    def _cum(self, ts: float) -> float:
        """Working seconds from the start of the covered range up to ``ts``."""
        i = bisect_right(self._starts, ts) - 1
        if i < 0:
            return 0.0
        end = self._ends[i]
        if ts >= end:
            return self._cum_end[i]
        return self._cum_end[i] - (end - ts)

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        """The instant when ``minutes`` of working time have passed since ``start``.

        A result that completes exactly at the end of a working interval is that end (18:00),
        not the start of the next one; ``minutes == 0`` returns ``start`` itself.
        """
        # the hot path of every deadline: inlined on purpose (bench/calendar.py)
        if start.tzinfo is None:
            raise ValueError(f"naive datetime {start.isoformat()}: pass an aware datetime (UTC or with offset)")
        ts = start.timestamp()
        if not self._lo <= ts < self._hi:
            self._check(ts)
        if not 0 <= minutes <= _MAX_MINUTES:
            raise ValueError(f"minutes must be between 0 and {_MAX_MINUTES:.0f}, got {minutes!r}")
        if minutes == 0:
            return datetime.fromtimestamp(ts, UTC)
        cum_end = self._cum_end
        i = bisect_right(self._starts, ts) - 1
        if i < 0:
            done = 0.0
        else:
            end = self._ends[i]
            done = cum_end[i] if ts >= end else cum_end[i] - (end - ts)
        target = done + minutes * 60.0
        j = bisect_left(cum_end, target)
        if j >= len(cum_end):
            raise CalendarDataMissing(_missing(self.last_year + 1, self))
        result = self._ends[j] - (cum_end[j] - target)
        return datetime.fromtimestamp(result if result > ts else ts, UTC)

    def add_hours(self, start: datetime, hours: float) -> datetime:
        return self.add_minutes(start, hours * 60.0)

    def add_days(self, start: datetime, days: int) -> datetime:
        """End of the working day of the ``days``-th working day after the local date of ``start``.

        The term runs from the next day (as terms in Russian law do): an event on Monday with
        ``days=1`` is due at the end of Tuesday's working hours (the last interval's end),
        whatever hour on Monday it happened. ``days == 0`` returns ``start``.
        """
        ts = _utc_ts(start)
        self._check(ts)
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3660:
            raise ValueError(f"days must be a whole number between 0 and 3660, got {days!r}")
        if days == 0:
            return _from_ts(ts)
        day = _from_ts(ts).astimezone(self.zone).date()
        one = timedelta(days=1)
        left = days
        while True:
            day += one
            year = self.years.get(day.year)
            if year is None:
                raise CalendarDataMissing(_missing(day.year, self))
            intervals = self.schedule.day_intervals(day, year)
            if intervals:
                left -= 1
                if left == 0:
                    return _from_ts(self._local_ts(day, intervals[-1][1]))

    def working_minutes_between(self, a: datetime, b: datetime) -> float:
        """Working minutes from ``a`` to ``b``; negative when ``b`` is before ``a``."""
        ta, tb = _utc_ts(a), _utc_ts(b)
        self._check(ta)
        self._check(tb)
        return (self._cum(tb) - self._cum(ta)) / 60.0

    def is_working(self, at: datetime) -> bool:
        """True inside a working interval (start inclusive, end exclusive)."""
        ts = _utc_ts(at)
        self._check(ts)
        i = bisect_right(self._starts, ts) - 1
        return i >= 0 and ts < self._ends[i]

    def is_working_day(self, day: date) -> bool:
        year = self.years.get(day.year)
        if year is None:
            raise CalendarDataMissing(_missing(day.year, self))
        return bool(self.schedule.day_intervals(day, year))

    def day_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of one local date, as aware UTC instants (for display and checks)."""
        year = self.years.get(day.year)
        if year is None:
            raise CalendarDataMissing(_missing(day.year, self))
        return [
            (_from_ts(self._local_ts(day, s)), _from_ts(self._local_ts(day, e)))
            for s, e in self.schedule.day_intervals(day, year)
        ]
