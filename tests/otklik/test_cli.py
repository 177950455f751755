"""``otklik migrate`` and ``otklik doctor`` on embedded defaults and on broken settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from otklik.cli import app
from otklik.settings import get_settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for var in ("OTKLIK_KAFKA_BOOTSTRAP", "OTKLIK_DATABASE_URL", "OTKLIK_CLICKHOUSE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OTKLIK_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_migrate_twice_is_harmless(env: pytest.MonkeyPatch) -> None:
    first = CliRunner().invoke(app, ["migrate"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["analytics_applied"]
    second = CliRunner().invoke(app, ["migrate"])
    assert second.exit_code == 0 and json.loads(second.output)["analytics_applied"] == []


def test_doctor_all_ok_on_embedded_defaults(env: pytest.MonkeyPatch) -> None:
    before = CliRunner().invoke(app, ["doctor"])
    assert before.exit_code == 1 and "otklik migrate" in before.output, "an unmigrated database is named"
    assert CliRunner().invoke(app, ["migrate"]).exit_code == 0
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "PROBLEM" not in result.output


def test_doctor_names_each_broken_part_in_plain_words(env: pytest.MonkeyPatch) -> None:
    env.setenv("OTKLIK_DATABASE_URL", "postgresql+psycopg://nobody:secret-pw@127.0.0.1:1/none")
    env.setenv("OTKLIK_REGION", "atlantis")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "workflow database" in result.output and "region data" in result.output
    assert "secret-pw" not in result.output, "passwords never reach the output"
    assert "message bus" in result.output.split("PROBLEM")[0], "the bus itself is fine"
