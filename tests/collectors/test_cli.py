"""``otklik collect``: replay into the embedded bus twice (the second run adds nothing), health."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from otklik.bus import open_bus
from otklik.cli import app

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "regions" / "kuzbass" / "demo-posts.jsonl"


def test_replay_demo_into_the_bus_is_idempotent_and_health_is_reported(tmp_path: Path) -> None:
    runner = CliRunner()
    bus, state = f"sqlite:///{tmp_path / 'bus.sqlite'}", str(tmp_path / "state")
    args = ["collect", "replay", str(DEMO), "--bus", bus, "--state-dir", state]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output.strip().splitlines()[-1])["posts"] == 242
    second = runner.invoke(app, args)
    assert json.loads(second.output.strip().splitlines()[-1])["posts"] == 0
    b = open_bus(bus)
    assert sum(b.end_offsets("posts.raw").values()) == 242
    b.close()
    health = runner.invoke(app, ["collect", "health", "--state-dir", state])
    assert '"статус": "ok"' in health.output and "replay:demo-posts" in health.output


def test_replay_of_a_missing_file_fails_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["collect", "replay", str(tmp_path / "nope.jsonl"),
                                      "--bus", f"sqlite:///{tmp_path / 'b.sqlite'}"])
    assert result.exit_code == 2 and "does not exist" in result.output
