"""`make test` plumbing: pytest's "no test collected" must not pass as green."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pytest_sh(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(ROOT / "scripts" / "pytest.sh"), *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={**os.environ, **env}, stdin=subprocess.DEVNULL, check=False)


def _empty_suite(tmp_path: Path) -> list[str]:
    (tmp_path / "test_nothing.py").write_text('"""Kemerovo: no tests here."""\n')
    return [str(tmp_path / "test_nothing.py"), "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path)]


def test_no_tests_collected_fails(tmp_path: Path) -> None:
    result = _pytest_sh(_empty_suite(tmp_path), ALLOW_NO_TESTS="0")
    assert result.returncode == 5
    assert "treating that as a failure" in result.stderr


def test_no_tests_collected_allowed_for_narrowed_runs(tmp_path: Path) -> None:
    result = _pytest_sh(_empty_suite(tmp_path), ALLOW_NO_TESTS="1")
    assert result.returncode == 0
    assert "ALLOW_NO_TESTS=1" in result.stderr


def test_failing_test_keeps_its_exit_code(tmp_path: Path) -> None:
    (tmp_path / "test_fails.py").write_text("def test_fails():\n    assert 'Новокузнецк' == 'Прокопьевск'\n")
    result = _pytest_sh([str(tmp_path / "test_fails.py"), "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path)])
    assert result.returncode == 1
    assert "1 failed" in result.stdout


def test_make_knows_every_documented_target() -> None:
    result = subprocess.run(["make", "-n", "-p"], capture_output=True, text=True, timeout=60, cwd=ROOT,
                            stdin=subprocess.DEVNULL, check=False)
    targets = {line.split(":", 1)[0] for line in result.stdout.splitlines() if ":" in line and not line.startswith("#")}
    expected = {"install", "demo", "test", "lint", "services-up", "services-down"}
    assert expected <= targets
