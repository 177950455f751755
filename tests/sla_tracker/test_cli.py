"""``otklik sla deadlines`` and ``otklik sla add`` through the real CLI app."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from otklik.cli import app
from otklik.settings import get_settings
from tests.sla_tracker.kuzbass import REGION_DIR

runner = CliRunner()


@pytest.fixture(autouse=True)
def _kuzbass(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OTKLIK_REGIONS_DIR", str(REGION_DIR.parent))
    monkeypatch.setenv("OTKLIK_REGION", "kuzbass")
    monkeypatch.delenv("OTKLIK_SHORT_CLOCKS_WORKING_TIME", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _json(args: list[str]) -> dict[str, str]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_deadlines_normal_case_in_region_zone() -> None:
    out = _json(["sla", "deadlines", "--detected", "2025-03-03T10:00:00+07:00"])
    assert out == {
        "routing": "2025-03-03T10:30:00+07:00",
        "draft": "2025-03-03T15:00:00+07:00",
        "reply": "2025-03-04T10:00:00+07:00",
    }


def test_deadlines_naive_input_is_region_time_and_utc_input_is_converted() -> None:
    naive = _json(["sla", "deadlines", "--detected", "2025-03-03T10:00"])
    utc = _json(["sla", "deadlines", "--detected", "2025-03-03T03:00:00Z"])
    assert naive == utc
    assert naive["routing"].endswith("+07:00")


def test_deadlines_high_and_shortened() -> None:
    high = _json(["sla", "deadlines", "--detected", "2025-03-03T10:00", "--importance", "high"])
    assert (high["draft"], high["reply"]) == ("2025-03-03T12:00:00+07:00", "2025-03-03T15:00:00+07:00")
    short = _json(["sla", "deadlines", "--detected", "2025-03-03T10:00", "--importance", "high", "--shortened"])
    assert (short["draft"], short["reply"]) == ("2025-03-03T11:00:00+07:00", "2025-03-03T12:00:00+07:00")


def test_deadlines_follow_the_calendar_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTKLIK_SHORT_CLOCKS_WORKING_TIME", "false")
    get_settings.cache_clear()
    out = _json(["sla", "deadlines", "--detected", "2025-03-14T17:45"])
    assert out["routing"] == "2025-03-14T18:15:00+07:00"


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--minutes", "60", "2025-03-17T09:30:00+07:00"),
        ("--hours", "1", "2025-03-17T09:30:00+07:00"),
        ("--days", "1", "2025-03-17T18:00:00+07:00"),
    ],
)
def test_add(option: str, value: str, expected: str) -> None:
    result = runner.invoke(app, ["sla", "add", "--start", "2025-03-14T17:30", option, value])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == expected


def test_add_needs_exactly_one_amount() -> None:
    assert runner.invoke(app, ["sla", "add", "--start", "2025-03-14T17:30"]).exit_code == 2
    both = runner.invoke(app, ["sla", "add", "--start", "2025-03-14T17:30", "--minutes", "5", "--hours", "1"])
    assert both.exit_code == 2
    assert "ровно одно" in both.output


def test_bad_instant_is_a_clear_error() -> None:
    result = runner.invoke(app, ["sla", "add", "--start", "<script>", "--minutes", "5"])
    assert result.exit_code == 2
    assert "ISO 8601" in result.output


def test_missing_year_is_a_clear_error() -> None:
    result = runner.invoke(app, ["sla", "deadlines", "--detected", "2031-05-05T10:00"])
    assert result.exit_code == 2
    assert "нет данных за 2031 год" in result.output
