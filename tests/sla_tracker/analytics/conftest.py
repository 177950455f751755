from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sla_tracker.analytics.store import AnalyticsStore
from tests.conftest import require_service


def _server_or_skip() -> str:
    """Optional even in CI (no ClickHouse server runs there): chDB covers the same code path."""
    return require_service("OTKLIK_TEST_CLICKHOUSE_URL", "a ClickHouse server", required_in_ci=False)


def open_store(kind: str, tmp_path: Path) -> AnalyticsStore:
    if kind == "server":
        import clickhouse_connect

        url = _server_or_skip().rstrip("/")
        database = f"otklik_test_{uuid.uuid4().hex[:10]}"
        admin = clickhouse_connect.get_client(dsn=url)
        admin.command(f"CREATE DATABASE {database}")
        admin.close()
        store = AnalyticsStore(f"{url}/{database}")
    else:
        store = AnalyticsStore(f"chdb:///{tmp_path / 'chdb'}")
    store.migrate()
    return store


@pytest.fixture(params=["chdb", pytest.param("server", marks=[pytest.mark.integration])])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnalyticsStore]:
    s = open_store(request.param, tmp_path)
    yield s
    if request.param == "server":
        s.client.command(f"DROP DATABASE IF EXISTS {s.client.database}")
    s.close()
