"""Property tests of working-time arithmetic, checked also against a naive minute-stepping oracle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sla_tracker.kuzbass import KEM, calendar

# starts anywhere in the covered years, leaving room for the deadline before the data ends
starts = st.datetimes(
    min_value=datetime(2024, 1, 1, 0, 0), max_value=datetime(2027, 10, 31, 23, 59), timezones=st.just(UTC)
)
amounts = st.floats(min_value=0.001, max_value=7 * 480, allow_nan=False, allow_infinity=False)

TOLERANCE = 1e-6  # minutes; results are rounded to the microsecond


def _on_boundary(at: datetime) -> bool:
    day = at.astimezone(KEM).date()
    return any(at == end for _, end in calendar().day_intervals(day))


@given(starts, amounts)
def test_adding_then_measuring_gives_back_the_amount(start: datetime, minutes: float) -> None:
    end = calendar().add_minutes(start, minutes)
    assert abs(calendar().working_minutes_between(start, end) - minutes) < TOLERANCE


@given(starts, amounts)
def test_result_is_in_working_time_or_exactly_at_a_closing_boundary(start: datetime, minutes: float) -> None:
    end = calendar().add_minutes(start, minutes)
    assert calendar().is_working(end) or _on_boundary(end)
    assert end > start


@given(starts, st.integers(min_value=0, max_value=5 * 24 * 60 * 60), amounts)
def test_monotonic_in_the_start(start: datetime, shift_s: int, minutes: float) -> None:
    later = start + timedelta(seconds=shift_s)
    assert calendar().add_minutes(start, minutes) <= calendar().add_minutes(later, minutes)


@given(starts, amounts, amounts)
def test_monotonic_and_additive_in_the_amount(start: datetime, a: float, b: float) -> None:
    cal = calendar()
    once = cal.add_minutes(start, a + b)
    twice = cal.add_minutes(cal.add_minutes(start, a), b)
    assert abs((once - twice).total_seconds()) < 1e-3
    assert cal.add_minutes(start, min(a, b)) <= cal.add_minutes(start, max(a, b))


@given(starts, st.integers(min_value=1, max_value=7))
def test_add_days_lands_on_a_closing_time(start: datetime, days: int) -> None:
    cal = calendar()
    due = cal.add_days(start, days)
    assert _on_boundary(due)
    first = start.astimezone(KEM).date()
    span = (due.astimezone(KEM).date() - first).days
    assert sum(cal.is_working_day(first + timedelta(days=i)) for i in range(1, span + 1)) == days


def _naive(start: datetime, minutes: int) -> datetime:
    """Oracle: walk minute by minute, asking only ``is_working`` at each minute."""
    cal = calendar()
    at = start
    while minutes > 0:
        if cal.is_working(at):
            minutes -= 1
        at += timedelta(minutes=1)
    return at


@settings(max_examples=60)
@given(starts, st.sampled_from([1, 30, 60, 120, 240, 480]))
def test_agrees_with_naive_minute_stepping(start: datetime, minutes: int) -> None:
    start = start.replace(second=0, microsecond=0)
    assert calendar().add_minutes(start, minutes) == _naive(start, minutes)
