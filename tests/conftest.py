"""Shared fixtures: real services chosen by ``OTKLIK_TEST_*`` variables, and an isolated data folder.

Tests pick their backends through these variables, never through ``OTKLIK_DATABASE_URL`` /
``OTKLIK_KAFKA_BOOTSTRAP``, so the embedded defaults stay the default for every other test.
A missing service skips the test on a developer machine but FAILS it when ``CI=true``:
CI starts PostgreSQL and Kafka, so a missing variable there means broken plumbing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_ENV = "OTKLIK_TEST_POSTGRES_URL"
KAFKA_ENV = "OTKLIK_TEST_KAFKA_BOOTSTRAP"
CLICKHOUSE_ENV = "OTKLIK_TEST_CLICKHOUSE_URL"


def pytest_configure(config: pytest.Config) -> None:
    # kafka-python 3 loads its protocol schemas with a deprecated importlib API: noise, not our bug.
    config.addinivalue_line("filterwarnings", "ignore:read_text is deprecated:DeprecationWarning")
    config.addinivalue_line("filterwarnings", "ignore:open_text is deprecated:DeprecationWarning")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def require_service(env_var: str, what: str, *, required_in_ci: bool = True) -> str:
    """Return the service address from ``env_var``; skip without it, or fail when CI must have it."""
    value = os.environ.get(env_var, "").strip()
    if value:
        return value
    message = f"{what} is not configured: set {env_var} (`make services-up` starts it)"
    if required_in_ci and in_ci():
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """SQLAlchemy URL of a real PostgreSQL, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/otklik_test``."""
    return require_service(POSTGRES_ENV, "PostgreSQL")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """``host:port[,host:port]`` of a real Kafka broker."""
    return require_service(KAFKA_ENV, "the Kafka broker")


@pytest.fixture(scope="session")
def clickhouse_url() -> str:
    """A ClickHouse server DSN (``http://host:8123``). Optional even in CI: chDB covers the same code path."""
    return require_service(CLICKHOUSE_ENV, "a ClickHouse server", required_in_ci=False)


@pytest.fixture
def tmp_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point ``OTKLIK_DATA_DIR`` at a fresh folder, with the settings cache cleared on both sides."""
    from otklik.settings import get_settings

    data_dir = tmp_path / "otklik-data"
    data_dir.mkdir()
    monkeypatch.setenv("OTKLIK_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    try:
        yield data_dir
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.fixture(params=["embedded", pytest.param("kafka", marks=[pytest.mark.integration, pytest.mark.kafka])])
def bus_dsn(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each bus test runs on the embedded SQLite log and on the real Kafka broker."""
    if request.param == "kafka":
        return f"kafka://{request.getfixturevalue('kafka_bootstrap')}"
    return f"sqlite:///{tmp_path / 'bus.sqlite'}"
