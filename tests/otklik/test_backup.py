"""``otklik backup`` / ``otklik restore`` on a populated embedded install: wipe, restore, same counts."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from otklik.commands import backup as bk
from otklik.settings import Settings
from tests.pg import scratch_database


def populate(settings: Settings, posts: int = 12) -> None:
    """The demo's pipeline minus the classifier, fed classified posts: the same stages write every store,
    without depending on a trained model being present (``run_demo`` needs one)."""
    from console.testing import SAMPLE_POSTS, classified
    from otklik.demo import Pipeline
    from otklik.topology import STAGES
    from schemas.topics import Topic

    pipeline = Pipeline(settings, stages=[s for s in STAGES if s != "classifier"])
    try:
        now = datetime.now(UTC)
        for n in range(posts):
            item = classified(SAMPLE_POSTS[n % len(SAMPLE_POSTS)], f"vk:-3000{n}:{700 + n}", now)
            pipeline.producer.publish(Topic.POSTS_CLASSIFIED, item.post.uid, item.to_bytes())
        pipeline.producer.flush()
        pipeline.pump()
        pipeline.watch()
        pipeline.pump()
    finally:
        pipeline.close()


def snapshot(settings: Settings) -> dict[str, Any]:
    """Row counts of every workflow table, analytics table and local SQLite file."""
    store = bk._store(settings)
    try:
        analytics = {n: int(store.query(f"SELECT count() FROM `{n}`")[0][0])
                     for n, e, _ in bk._objects(store) if e not in bk.VIEW_ENGINES}
    finally:
        store.close()
    workflow_path = Path(settings.database_dsn.removeprefix("sqlite:///"))
    return {"workflow": bk.sqlite_counts(workflow_path), "analytics": analytics,
            "files": {p.name: bk.sqlite_counts(p) for p in bk.local_files(settings)}}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("install")
    settings = Settings(data_dir=root / "data")
    populate(settings)
    cursors = settings.data_dir / "collectors" / "collectors.sqlite"  # a collector's cursor store
    cursors.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(cursors) as con:
        con.execute("CREATE TABLE cursors (source TEXT PRIMARY KEY, cursor TEXT)")
        con.execute("INSERT INTO cursors VALUES ('vk:-10001', '4711')")
    con.close()
    before = snapshot(settings)
    bk.backup(settings, root / "backup")
    return settings, root / "backup", before


def test_backup_holds_every_part_with_checksums(installed: tuple[Settings, Path, dict[str, Any]]) -> None:
    _, folder, before = installed
    manifest = bk.verify(folder)
    assert manifest["workflow"]["kind"] == "sqlite"
    assert manifest["workflow"]["counts"]["cases"] == before["workflow"]["cases"] > 0
    assert manifest["analytics"]["tables"]["posts"]["rows"] == before["analytics"]["posts"] > 0
    assert {"publisher-outbox.sqlite", "alerts-ledger.sqlite", "collectors/collectors.sqlite"} <= set(manifest["files"])


def test_wipe_and_restore_gives_the_same_counts(installed: tuple[Settings, Path, dict[str, Any]],
                                                tmp_path: Path) -> None:
    _, folder, before = installed
    target = Settings(data_dir=tmp_path / "wiped")  # a machine with nothing on it
    bk.restore(target, folder)
    assert snapshot(target) == before
    store = bk._store(target)  # the materialized views work again after the restore
    try:
        assert {n for n, e, _ in bk._objects(store) if e == "MaterializedView"} >= {"posts_daily_mv"}
    finally:
        store.close()


def test_restore_refuses_to_overwrite_data_without_force(installed: tuple[Settings, Path, dict[str, Any]],
                                                         tmp_path: Path) -> None:
    _, folder, before = installed
    target = Settings(data_dir=tmp_path / "busy")
    bk.restore(target, folder)
    with pytest.raises(bk.BackupError, match="--force"):
        bk.restore(target, folder)
    bk.restore(target, folder, force=True)
    assert snapshot(target) == before  # replaced, not added twice


def test_damaged_backup_is_refused_before_anything_changes(installed: tuple[Settings, Path, dict[str, Any]],
                                                           tmp_path: Path) -> None:
    _, folder, _ = installed
    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged)
    with (damaged / "analytics" / "posts.native").open("ab") as f:
        f.write(b"x")
    target = Settings(data_dir=tmp_path / "target")
    with pytest.raises(bk.BackupError, match="контрольная сумма"):
        bk.restore(target, damaged)
    assert not (tmp_path / "target").exists()


def test_manifest_paths_cannot_escape_the_backup(installed: tuple[Settings, Path, dict[str, Any]],
                                                 tmp_path: Path) -> None:
    _, folder, _ = installed
    evil = tmp_path / "evil"
    shutil.copytree(folder, evil)
    manifest = json.loads((evil / "manifest.json").read_text(encoding="utf-8"))
    manifest["workflow"]["file"] = "../../etc/passwd"
    (evil / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(bk.BackupError, match="за пределы"):
        bk.verify(evil)
    manifest["workflow"]["file"] = "workflow.sqlite"
    manifest["files"]["../../outside.sqlite"] = manifest["files"].pop("alerts-ledger.sqlite")
    (evil / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(bk.BackupError, match="за пределы"):
        bk.verify(evil)


def test_backup_refuses_a_non_empty_folder(installed: tuple[Settings, Path, dict[str, Any]]) -> None:
    settings, folder, _ = installed
    with pytest.raises(bk.BackupError, match="не пуста"):
        bk.backup(settings, folder)


def test_cli_backup_and_restore(installed: tuple[Settings, Path, dict[str, Any]], tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from otklik.cli import app
    from otklik.settings import get_settings

    settings, _, before = installed
    runner = CliRunner()
    monkeypatch.setenv("OTKLIK_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        made = runner.invoke(app, ["backup", "--out", str(tmp_path / "cli-backup")])
        assert made.exit_code == 0, made.output
        assert json.loads(made.output)["workflow"]["cases"] == before["workflow"]["cases"]
        monkeypatch.setenv("OTKLIK_DATA_DIR", str(tmp_path / "fresh"))
        get_settings.cache_clear()
        done = runner.invoke(app, ["restore", "--from", str(tmp_path / "cli-backup")])
        assert done.exit_code == 0, done.output
        again = runner.invoke(app, ["restore", "--from", str(tmp_path / "cli-backup")])
        assert again.exit_code == 1 and "--force" in again.output
    finally:
        get_settings.cache_clear()
    assert snapshot(Settings(data_dir=tmp_path / "fresh")) == before


def test_postgres_password_goes_to_the_environment_not_the_command_line() -> None:
    url, env = bk._pg_target("postgresql+psycopg://otklik:s3cret-pw@db.example:5432/otklik")
    assert "s3cret-pw" not in url and url == "postgresql://otklik@db.example:5432/otklik"
    assert env["PGPASSWORD"] == "s3cret-pw"


def _postgres_or_skip() -> str:
    url = os.environ.get("OTKLIK_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but OTKLIK_TEST_POSTGRES_URL is not set: PostgreSQL is missing")
        pytest.skip("no PostgreSQL (set OTKLIK_TEST_POSTGRES_URL)")
    return url


@pytest.mark.integration
@pytest.mark.postgres
def test_postgres_backup_and_restore(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = _postgres_or_skip()
    with scratch_database(server, "otklik_bk") as source_dsn, scratch_database(server, "otklik_bk") as target_dsn:
        source = Settings(data_dir=tmp_path / "src", database_url=SecretStr(source_dsn))
        populate(source)
        engine = create_engine(source.database_dsn)
        with engine.connect() as con:
            cases = con.execute(text("SELECT count(*) FROM cases")).scalar()
            audit = con.execute(text("SELECT count(*) FROM audit_log")).scalar()
        engine.dispose()
        assert cases
        manifest = bk.backup(source, tmp_path / "backup")
        assert manifest["workflow"]["kind"] == "postgresql"
        assert (make_url(server).password or "\0") not in (tmp_path / "backup" / "manifest.json").read_text()
        target = Settings(data_dir=tmp_path / "dst", database_url=SecretStr(target_dsn))
        bk.restore(target, tmp_path / "backup")
        engine = create_engine(target.database_dsn)
        with engine.connect() as con:
            assert con.execute(text("SELECT count(*) FROM cases")).scalar() == cases
            assert con.execute(text("SELECT count(*) FROM audit_log")).scalar() == audit
        engine.dispose()
        assert snapshot_analytics(target) == snapshot_analytics(source)


def snapshot_analytics(settings: Settings) -> dict[str, int]:
    store = bk._store(settings)
    try:
        return {n: int(store.query(f"SELECT count() FROM `{n}`")[0][0])
                for n, e, _ in bk._objects(store) if e not in bk.VIEW_ENGINES}
    finally:
        store.close()
