"""Every example query in docs/analytics.md runs against the migrated schema and returns rows."""

from __future__ import annotations

import re

import pytest

from otklik.settings import REPO_ROOT
from sla_tracker.analytics.store import AnalyticsStore
from tests.sla_tracker.analytics.month import generate
from tests.sla_tracker.analytics.test_store_queries import load

QUERIES = re.findall(r"```sql\n(.*?)```", (REPO_ROOT / "docs" / "analytics.md").read_text("utf-8"), re.S)


def test_docs_have_example_queries() -> None:
    assert len(QUERIES) >= 5


def test_example_queries_run(store: AnalyticsStore) -> None:
    load(store, generate(cases=80))
    for sql in QUERIES:
        try:
            rows = store.query(sql.strip().rstrip(";"))
        except Exception as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"documented query fails: {exc}\n{sql}")
        if "today()" not in sql:  # the generated month is in 2026; "last 30 days" may legitimately be empty
            assert rows, sql
