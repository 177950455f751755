"""The shared fixtures in tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from otklik.settings import get_settings
from tests.conftest import require_service


def test_tmp_data_dir_reaches_settings(tmp_data_dir: Path) -> None:
    assert tmp_data_dir.is_dir()
    assert get_settings().data_dir == tmp_data_dir
    assert get_settings().database_dsn == f"sqlite:///{tmp_data_dir / 'otklik.sqlite'}"


def test_settings_are_back_to_default_after_tmp_data_dir() -> None:
    assert "otklik-data" not in str(get_settings().data_dir)


def test_missing_service_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTKLIK_TEST_NOWHERE", raising=False)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="OTKLIK_TEST_NOWHERE"):
        require_service("OTKLIK_TEST_NOWHERE", "a service in Междуреченск")


def test_missing_service_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTKLIK_TEST_NOWHERE", raising=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_service("OTKLIK_TEST_NOWHERE", "a service in Междуреченск")
    with pytest.raises(pytest.skip.Exception):
        require_service("OTKLIK_TEST_NOWHERE", "an optional server", required_in_ci=False)


def test_configured_service_is_returned_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTKLIK_TEST_NOWHERE", " 127.0.0.1:9092 \n")
    assert require_service("OTKLIK_TEST_NOWHERE", "Kafka") == "127.0.0.1:9092"
