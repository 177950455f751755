"""``otklik report monthly|deficiencies`` read the DSN from settings and write HTML, PDF and XLSX."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from otklik.cli import app
from otklik.settings import get_settings
from sla_tracker.analytics.store import AnalyticsStore
from tests.sla_tracker.analytics.month import generate
from tests.sla_tracker.analytics.test_store_queries import load


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("OTKLIK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OTKLIK_CLICKHOUSE_URL", raising=False)
    get_settings.cache_clear()
    store = AnalyticsStore(get_settings().clickhouse_dsn)
    store.migrate()
    load(store, generate(seed=3, cases=60))
    store.close()
    yield tmp_path
    get_settings.cache_clear()


def test_r25_cli_monthly_report(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["report", "monthly", "--month", "2026-03", "--out", str(data_dir / "out")])
    assert result.exit_code == 0, result.output
    paths = json.loads(result.output)
    assert sorted(paths) == ["html", "pdf", "xlsx"] and all(Path(p).stat().st_size > 1000 for p in paths.values())


def test_r24_cli_deficiencies_report(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["report", "deficiencies", "--from", "2026-03-01", "--to", "2026-03-31",
                                      "--out", str(data_dir / "out")])
    assert result.exit_code == 0, result.output
    assert (data_dir / "out" / "deficiencies-20260301-20260331.pdf").exists()


@pytest.mark.parametrize("args", [["monthly", "--month", "2026-13"], ["monthly", "--month", "март"],
                                  ["deficiencies", "--from", "2026-03-31", "--to", "2026-03-01"],
                                  ["deficiencies", "--from", "вчера", "--to", "2026-03-01"]])
def test_cli_refuses_bad_periods_clearly(data_dir: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, ["report", *args, "--out", str(data_dir / "out")])
    assert result.exit_code == 2 and ("ГГГГ" in result.output or "раньше" in result.output)
    assert not (data_dir / "out").exists()
