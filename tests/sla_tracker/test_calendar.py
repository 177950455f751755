"""The working-time calendar on well-known dates of the Russian production calendar and the Kuzbass schedule."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from sla_tracker.calendar import CalendarDataMissing, CalendarError, WorkingCalendar, load_national
from tests.sla_tracker.kuzbass import KEM, REGION_DIR, calendar, local

NATIONAL = REGION_DIR.parent / "calendars" / "ru.yaml"


@pytest.mark.parametrize(
    "day",
    [
        "2024-01-08", "2024-04-29", "2024-04-30", "2024-05-10", "2024-12-30", "2024-12-31",
        "2025-01-02", "2025-05-02", "2025-05-08", "2025-06-13", "2025-11-03", "2025-11-04", "2025-12-31",
        "2026-01-09", "2026-02-23", "2026-03-09", "2026-05-11", "2026-11-04", "2026-12-31",
        "2027-02-22", "2027-05-03", "2027-05-10", "2027-06-14", "2027-11-05", "2027-12-31",
    ],
)
def test_days_off(day: str) -> None:
    assert not calendar().is_working_day(date.fromisoformat(day))


@pytest.mark.parametrize(
    "day",
    ["2024-04-27", "2024-11-02", "2024-12-28", "2025-11-01", "2027-02-20",  # working Saturdays
     "2025-05-05", "2026-01-12", "2026-02-24", "2027-01-11"],
)
def test_working_days(day: str) -> None:
    assert calendar().is_working_day(date.fromisoformat(day))


def test_ordinary_weekend_is_off() -> None:
    assert not calendar().is_working_day(date(2025, 3, 1))
    assert not calendar().is_working_day(date(2025, 3, 2))


def test_regular_day_hours_with_lunch() -> None:
    intervals = calendar().day_intervals(date(2025, 3, 4))
    assert [(a.astimezone(KEM).time().isoformat("minutes"), b.astimezone(KEM).time().isoformat("minutes"))
            for a, b in intervals] == [("09:00", "13:00"), ("14:00", "18:00")]


@pytest.mark.parametrize("day", ["2025-04-30", "2025-11-01", "2024-11-02", "2026-11-03"])
def test_pre_holiday_day_ends_one_hour_earlier(day: str) -> None:
    d = date.fromisoformat(day)
    assert calendar().working_minutes_between(local(d.year, d.month, d.day), local(d.year, d.month, d.day, 23)) == 420
    assert calendar().is_working(local(d.year, d.month, d.day, 16, 59))
    assert not calendar().is_working(local(d.year, d.month, d.day, 17, 0))


def test_is_working_boundaries() -> None:
    cal = calendar()
    assert not cal.is_working(local(2025, 3, 4, 8, 59))
    assert cal.is_working(local(2025, 3, 4, 9, 0))
    assert cal.is_working(local(2025, 3, 4, 12, 59))
    assert not cal.is_working(local(2025, 3, 4, 13, 30))
    assert cal.is_working(local(2025, 3, 4, 14, 0))
    assert not cal.is_working(local(2025, 3, 4, 18, 0))


def test_add_minutes_skips_lunch() -> None:
    assert calendar().add_minutes(local(2025, 3, 4, 12, 30), 60) == local(2025, 3, 4, 14, 30)


def test_add_minutes_ending_exactly_at_close_stays_on_that_day() -> None:
    assert calendar().add_minutes(local(2025, 3, 4, 17, 0), 60) == local(2025, 3, 4, 18, 0)
    assert calendar().add_minutes(local(2025, 3, 4, 12, 0), 60) == local(2025, 3, 4, 13, 0)


def test_add_minutes_over_weekend() -> None:
    assert calendar().add_minutes(local(2025, 3, 14, 17, 30), 60) == local(2025, 3, 17, 9, 30)
    # 2025-03-07 is pre-holiday (8 March is a Saturday holiday): closes at 17:00
    assert calendar().add_minutes(local(2025, 3, 7, 17, 30), 60) == local(2025, 3, 10, 10, 0)


def test_add_minutes_from_non_working_time_starts_at_next_opening() -> None:
    assert calendar().add_minutes(local(2025, 3, 1, 11, 0), 30) == local(2025, 3, 3, 9, 30)
    assert calendar().add_minutes(local(2025, 3, 4, 6, 0), 30) == local(2025, 3, 4, 9, 30)
    assert calendar().add_minutes(local(2025, 3, 4, 13, 10), 30) == local(2025, 3, 4, 14, 30)


def test_add_minutes_over_new_year_holidays() -> None:
    # 2025-12-31 and 2026-01-01..11 are off; 2025-12-30 is a full day (the 31st is a transfer, not a holiday)
    assert calendar().add_minutes(local(2025, 12, 30, 17, 30), 60) == local(2026, 1, 12, 9, 30)


def test_add_minutes_over_may_holidays_2025_and_short_day() -> None:
    # 2025-04-30 is shortened (ends 17:00); May 1–4 off; May 5 working
    assert calendar().add_minutes(local(2025, 4, 30, 16, 30), 60) == local(2025, 5, 5, 9, 30)
    # May 7 full day, May 8–11 off
    assert calendar().add_minutes(local(2025, 5, 7, 17, 0), 120) == local(2025, 5, 12, 10, 0)


def test_working_saturday_counts() -> None:
    assert calendar().add_minutes(local(2024, 12, 27, 17, 30), 60) == local(2024, 12, 28, 9, 30)
    assert calendar().add_minutes(local(2025, 10, 31, 17, 30), 60) == local(2025, 11, 1, 9, 30)


def test_add_hours_is_add_minutes() -> None:
    assert calendar().add_hours(local(2025, 3, 4, 10), 8) == local(2025, 3, 5, 10)


def test_result_is_utc_and_offset_of_input_does_not_matter() -> None:
    moscow = datetime(2025, 3, 4, 6, 0, tzinfo=ZoneInfo("Europe/Moscow"))  # = 10:00 Kemerovo
    out = calendar().add_minutes(moscow, 30)
    assert out.tzinfo == UTC
    assert out == local(2025, 3, 4, 10, 30)
    assert calendar().add_minutes(moscow.astimezone(UTC), 30) == out


def test_add_days_ends_at_close_of_nth_working_day_after_start_date() -> None:
    cal = calendar()
    assert cal.add_days(local(2025, 3, 7, 10), 1) == local(2025, 3, 10, 18)   # Fri -> Mon
    assert cal.add_days(local(2025, 3, 3, 23, 50), 1) == local(2025, 3, 4, 18)
    assert cal.add_days(local(2025, 3, 1, 12), 1) == local(2025, 3, 3, 18)    # from a Saturday
    assert cal.add_days(local(2025, 4, 29, 10), 1) == local(2025, 4, 30, 17)  # short day closes at 17:00
    assert cal.add_days(local(2025, 3, 4, 10), 0) == local(2025, 3, 4, 10)


def test_working_minutes_between() -> None:
    cal = calendar()
    assert cal.working_minutes_between(local(2025, 3, 4, 0), local(2025, 3, 5, 0)) == 480
    assert cal.working_minutes_between(local(2025, 3, 14, 17), local(2025, 3, 17, 10)) == 120
    assert cal.working_minutes_between(local(2025, 3, 5, 0), local(2025, 3, 4, 0)) == -480
    assert cal.working_minutes_between(local(2025, 3, 1, 10), local(2025, 3, 2, 10)) == 0


@pytest.mark.parametrize(("year", "days", "hours"), [(2024, 248, 1979), (2025, 247, 1972)])
def test_year_totals_match_the_official_norms(year: int, days: int, hours: int) -> None:
    """Working days and the 40-hour-week norm of the year, as the published production calendars give them."""
    cal = calendar()
    assert cal.working_minutes_between(local(year, 1, 1), local(year + 1, 1, 1)) / 60 == hours
    n_days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    assert sum(cal.is_working_day(date(year, 1, 1) + timedelta(days=i)) for i in range(n_days)) == days


def test_missing_year_is_an_error_not_a_guess() -> None:
    cal = calendar()
    with pytest.raises(CalendarDataMissing):
        cal.add_minutes(local(2023, 12, 29, 10), 30)
    with pytest.raises(CalendarDataMissing):
        cal.add_minutes(local(2028, 1, 10, 10), 30)
    with pytest.raises(CalendarDataMissing):
        cal.add_minutes(local(2027, 12, 30, 17), 120)  # would run into 2028
    with pytest.raises(CalendarDataMissing):
        cal.add_days(local(2027, 12, 29, 10), 3)
    with pytest.raises(CalendarDataMissing):
        cal.is_working(local(2028, 1, 10, 10))
    with pytest.raises(CalendarDataMissing):
        cal.is_working_day(date(2023, 5, 5))
    with pytest.raises(CalendarDataMissing):
        cal.working_minutes_between(local(2027, 12, 1), local(2028, 2, 1))


def test_last_covered_day_still_works() -> None:
    assert calendar().add_minutes(local(2027, 12, 30, 17), 60) == local(2027, 12, 30, 18)


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        calendar().add_minutes(datetime(2025, 3, 4, 10), 30)


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), 1e12])
def test_bad_amount_is_rejected(bad: float) -> None:
    with pytest.raises(ValueError):
        calendar().add_minutes(local(2025, 3, 4, 10), bad)


def test_bad_days_are_rejected() -> None:
    with pytest.raises(ValueError):
        calendar().add_days(local(2025, 3, 4, 10), -1)
    with pytest.raises(ValueError):
        calendar().add_days(local(2025, 3, 4, 10), 1.5)  # type: ignore[arg-type]


def test_every_year_names_its_decree() -> None:
    years = load_national(NATIONAL)
    assert set(years) >= {2024, 2025, 2026, 2027}
    assert all("Постановление" in y.source for y in years.values())


def _copy_region(tmp_path: Path) -> Path:
    region = tmp_path / "regions" / "test"
    region.mkdir(parents=True)
    shutil.copy(REGION_DIR / "schedule.yaml", region / "schedule.yaml")
    (tmp_path / "regions" / "calendars").mkdir()
    shutil.copy(NATIONAL, tmp_path / "regions" / "calendars" / "ru.yaml")
    return region


def test_calendar_data_updates_without_code_changes(tmp_path: Path) -> None:
    region = _copy_region(tmp_path)
    path = tmp_path / "regions" / "calendars" / "ru.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["years"][2028] = {"source": "Постановление (тестовое)", "holidays": ["2028-01-03"], "days_off": [],
                           "working_days": [], "short_days": []}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    cal = WorkingCalendar.load(region)
    assert cal.add_minutes(local(2027, 12, 30, 17, 30), 60) == local(2028, 1, 4, 9, 30)


def test_schedule_is_data(tmp_path: Path) -> None:
    region = _copy_region(tmp_path)
    path = region / "schedule.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["week"]["mon"] = [["08:00", "17:00"]]
    data["zone"] = "Asia/Yekaterinburg"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    cal = WorkingCalendar.load(region)
    yek = ZoneInfo("Asia/Yekaterinburg")
    assert cal.add_minutes(datetime(2025, 3, 3, 16, 30, tzinfo=yek), 60) == datetime(2025, 3, 4, 9, 30, tzinfo=yek)


@pytest.mark.parametrize(
    ("year_patch", "message"),
    [
        ({"short_days": ["2025-01-01"]}, "not a working day"),
        ({"working_days": ["2025-03-04"]}, "not a weekend day"),
        ({"holidays": ["2026-01-01"]}, "not in 2025"),
        ({"holidays": ["31.12.2025"]}, "not a date"),
        ({"source": ""}, "source"),
    ],
)
def test_bad_calendar_data_is_a_clear_error(tmp_path: Path, year_patch: dict[str, object], message: str) -> None:
    region = _copy_region(tmp_path)
    path = tmp_path / "regions" / "calendars" / "ru.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["years"][2025].update(year_patch)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CalendarError, match=message):
        WorkingCalendar.load(region)


def test_gap_in_years_is_an_error(tmp_path: Path) -> None:
    region = _copy_region(tmp_path)
    path = tmp_path / "regions" / "calendars" / "ru.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["years"][2025]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CalendarError, match="gaps"):
        WorkingCalendar.load(region)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"zone": "Mars/Olympus"}, "zone"),
        ({"week": {"mon": [["18:00", "09:00"]]}}, "ordered"),
        ({"week": {"mon": [["9", "18:00"]]}}, "HH:MM"),
        ({"working_weekend_as": "someday"}, "working_weekend_as"),
    ],
)
def test_bad_schedule_is_a_clear_error(tmp_path: Path, patch: dict[str, object], message: str) -> None:
    region = _copy_region(tmp_path)
    path = region / "schedule.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(patch)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(CalendarError, match=message):
        WorkingCalendar.load(region)


def test_missing_schedule_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="cannot read schedule"):
        WorkingCalendar.load(tmp_path)
