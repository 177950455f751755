"""The demo runs every stage in one process and its counts reconcile (issue 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from otklik.cli import app
from otklik.demo import run_demo
from otklik.settings import Settings


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var")


@pytest.mark.slow
def test_demo_exit_after_reconciles(tmp_path: Path) -> None:
    summary = run_demo(_settings(tmp_path), exit_after=40)
    assert summary["posts_ingested"] == 40
    assert summary["posts_classified"] == 40
    handled = (summary["cases_opened"] + summary["posts_excluded"] + summary["posts_updated"]
               + summary["posts_duplicate"])
    assert handled == 40, summary
    assert summary["cases_opened"] > 0
    assert summary["analytics_rows_written"] >= 40


@pytest.mark.slow
def test_demo_cli_prints_one_json_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from otklik.settings import get_settings

    monkeypatch.setenv("OTKLIK_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["demo", "--exit-after", "10"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["posts_ingested"] == summary["posts_classified"] == 10


def test_demo_survives_bad_rows(tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    good = {"network": "vk", "owner_id": "-1", "post_id": "1", "author": {"id": "5"},
            "text": "В Новокузнецке на ул. Кирова нет света", "created_at": "2026-11-26T03:00:00Z"}
    posts.write_text(json.dumps(good, ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    summary = run_demo(_settings(tmp_path), exit_after=None, posts_path=posts)
    assert summary["posts_ingested"] == 1 and summary["posts_rejected"] == 1
