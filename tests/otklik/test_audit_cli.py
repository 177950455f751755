"""``otklik audit verify``: exit 0 intact, 1 tampered, 2 usage/connection/anchor errors; anchors kept outside."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from cases.db import make_engine, migrate, session_factory
from cases.intake import intake
from cases.journal import record_admin
from otklik.cli import app
from otklik.settings import get_settings
from tests.cases.helpers import classified
from tests.pg import scratch_database

T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=[pytest.mark.integration, pytest.mark.postgres])])
def dsn(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated workflow database holding one case and two admin records, configured for the CLI."""
    for var in ("OTKLIK_KAFKA_BOOTSTRAP", "OTKLIK_DATABASE_URL", "OTKLIK_CLICKHOUSE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OTKLIK_DATA_DIR", str(tmp_path / "var"))
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'workflow.sqlite'}"
        else:
            url = stack.enter_context(scratch_database(request.getfixturevalue("postgres_url"), "otklik_auditcli"))
        monkeypatch.setenv("OTKLIK_DATABASE_URL", url)
        get_settings.cache_clear()
        stack.callback(get_settings.cache_clear)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        migrate(engine)
        with session_factory(engine)() as s:
            intake(s, classified("vk:-1:77"), T0)
            record_admin(s, "admin", "role_changed", T0 + timedelta(minutes=1), details={"login": "kem-exec1"})
            record_admin(s, "admin", "region_data_edited", T0 + timedelta(minutes=2), details={"file": "topics.yaml"})
            s.commit()
        yield url


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify", *args])
    return result.exit_code, result.output


def _tamper(url: str, statement: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
                conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
            conn.execute(text(statement))
    finally:
        engine.dispose()


def test_r23_intact_log_exits_0_with_counts_and_digest(dsn: str) -> None:
    code, out = _run()
    assert code == 0, out
    assert "INTACT: 3 records in 2 chains checked" in out
    assert "anchor digest: " in out
    code, out = _run("--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert (report["records"], report["chains"], report["findings"]) == (3, 2, [])


def test_r23_tampering_exits_1_and_names_the_record(dsn: str) -> None:
    _tamper(dsn, "UPDATE audit_log SET actor = 'intruder' WHERE case_id IS NULL AND seq = 2")
    code, out = _run()
    assert code == 1
    assert "TAMPERING FOUND" in out and "admin seq=2" in out and "hash_mismatch" in out
    code, out = _run("--json")
    assert code == 1
    findings = json.loads(out)["findings"]
    assert [(f["chain"], f["seq"], f["problem"]) for f in findings] == [("admin", 2, "hash_mismatch")]


def test_r23_saved_anchor_catches_a_consistent_rewrite(dsn: str, tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.txt"
    code, out = _run("--save-anchor", str(anchor))
    assert code == 0, out
    digest = hashlib.sha256(anchor.read_bytes()).hexdigest()
    assert f"anchor digest: {digest}" in out
    assert not anchor.with_name("anchor.txt.part").exists()
    assert _run("--anchor", str(anchor))[0] == 0
    # Rewrite the whole admin chain consistently: the chain verifies, only the anchor can tell.
    _tamper(dsn, "DELETE FROM audit_log WHERE case_id IS NULL")
    engine = make_engine(dsn)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_heads"))
    with session_factory(engine)() as s:
        record_admin(s, "admin", "role_changed", T0, details={"login": "someone"})
        record_admin(s, "admin", "region_data_edited", T0, details={"file": "topics.yaml"})
        s.commit()
    engine.dispose()
    assert _run()[0] == 0
    code, out = _run("--anchor", str(anchor))
    assert code == 1 and "anchor_mismatch" in out


def test_r23_anchor_is_not_saved_over_an_old_one_nor_from_a_tampered_log(dsn: str, tmp_path: Path) -> None:
    existing = tmp_path / "old-anchor.txt"
    existing.write_text("keep me")
    code, out = _run("--save-anchor", str(existing))
    assert code == 2 and existing.read_text() == "keep me"
    _tamper(dsn, "UPDATE audit_log SET details = '{}' WHERE case_id IS NOT NULL")
    fresh = tmp_path / "new-anchor.txt"
    code, out = _run("--save-anchor", str(fresh))
    assert code == 1 and "NOT saved" in out
    assert not fresh.exists() and not fresh.with_name("new-anchor.txt.part").exists()


def test_bad_anchor_file_and_usage_errors_exit_2(dsn: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("case:1 one " + "x" * 5000 + "\n")
    code, out = _run("--anchor", str(bad))
    assert code == 2 and "malformed" in out
    assert _run("--anchor", str(tmp_path / "absent.txt"))[0] == 2
    assert _run("--no-such-option")[0] == 2


def test_unreachable_or_unmigrated_database_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTKLIK_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("OTKLIK_DATABASE_URL", "postgresql+psycopg://postgres:secret-pw@127.0.0.1:1/none")
    get_settings.cache_clear()
    try:
        code, out = _run()
        assert code == 2 and "secret-pw" not in out
        empty = tmp_path / "empty.sqlite"
        make_engine(f"sqlite:///{empty}").connect().close()
        monkeypatch.setenv("OTKLIK_DATABASE_URL", f"sqlite:///{empty}")
        get_settings.cache_clear()
        code, out = _run()
        assert code == 2 and "otklik migrate" in out
    finally:
        get_settings.cache_clear()


def test_r23_unreadable_values_are_tampering_not_a_crash(dsn: str) -> None:
    if not dsn.startswith("sqlite"):
        pytest.skip("PostgreSQL's typed columns cannot hold unreadable values")
    _tamper(dsn, "UPDATE audit_log SET details = '{not json' WHERE case_id IS NULL AND seq = 1")
    code, out = _run("--json")
    assert code == 1
    assert [(f["chain"], f["seq"], f["problem"]) for f in json.loads(out)["findings"]] == [("admin", 1, "unreadable")]
    _tamper(dsn, "UPDATE audit_log SET at = 'yesterday' WHERE case_id IS NOT NULL")
    code, out = _run()
    assert code == 1 and "cannot be read" in out
