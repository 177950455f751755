"""``otklik backup`` / ``otklik restore``: the workflow DB, the analytics store and the local SQLite ledgers.

One folder per backup with a ``manifest.json`` of SHA-256 checksums; a restore verifies every
checksum before it touches anything and refuses to overwrite data that is already there
unless ``--force`` is given. Stop the pipeline and the console first: chDB allows one process
per folder, and a consistent copy needs the writers quiet.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import typer

from otklik.settings import Settings, get_settings

FORMAT = 1
MANIFEST = "manifest.json"
WORKFLOW_SQLITE = "workflow.sqlite"
WORKFLOW_PGDUMP = "workflow.pgdump"
ANALYTICS_DIR = "analytics"
FILES_DIR = "files"
PG_BIN = Path(os.environ.get("OTKLIK_PG_BIN", "/usr/lib/postgresql/15/bin"))
VIEW_ENGINES = frozenset({"View", "MaterializedView", "LiveView", "WindowView"})


class BackupError(RuntimeError):
    """A backup or restore step failed; the message says which part and why, never a password."""


# ---------------------------------------------------------------- helpers


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sqlite_copy(src: Path, dst: Path) -> None:
    """SQLite's online backup API: a consistent copy even while a WAL-mode writer is open."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def sqlite_counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                           "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {n: int(con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}
    finally:
        con.close()


def _sqlite_path(dsn: str) -> Path | None:
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if dsn.startswith(prefix):
            return Path(dsn.removeprefix(prefix))
    return None


def _pg_target(dsn: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and an environment carrying it (never on the command line)."""
    from sqlalchemy.engine import URL, make_url

    url = make_url(dsn)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = URL.create("postgresql", username=url.username, host=url.host, port=url.port, database=url.database,
                       query=url.query).render_as_string(hide_password=False)  # .set(password=None) keeps it
    return plain, env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"{what}: не найден {args[0]} (укажите папку программ PostgreSQL в OTKLIK_PG_BIN)") from exc
    if result.returncode != 0:
        message = result.stderr.strip().replace(env.get("PGPASSWORD", "\0"), "***")[-800:]
        raise BackupError(f"{what} завершился с ошибкой (код {result.returncode}): {message}")


def _entry(root: Path, path: Path, **extra: Any) -> dict[str, Any]:
    return {"file": str(path.relative_to(root)), "sha256": sha256(path), "bytes": path.stat().st_size, **extra}


# ---------------------------------------------------------------- workflow database


def backup_workflow(settings: Settings, out: Path) -> dict[str, Any]:
    dsn = settings.database_dsn
    path = _sqlite_path(dsn)
    if path is not None:
        if not path.exists():
            raise BackupError(f"база данных дел {path} не найдена")
        target = out / WORKFLOW_SQLITE
        sqlite_copy(path, target)
        return _entry(out, target, kind="sqlite", counts=sqlite_counts(target))
    if dsn.startswith("postgresql"):
        url, env = _pg_target(dsn)
        target = out / WORKFLOW_PGDUMP
        _run([str(PG_BIN / "pg_dump"), "--format=custom", "--no-owner", "--file", str(target), "--dbname", url],
             env, "pg_dump")
        return _entry(out, target, kind="postgresql")
    raise BackupError("база данных дел: поддерживаются только адреса sqlite:/// и postgresql")


def workflow_has_data(settings: Settings) -> bool:
    path = _sqlite_path(settings.database_dsn)
    if path is not None:
        return path.exists() and sum(sqlite_counts(path).get(t, 0) for t in ("cases", "posts")) > 0
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(settings.database_dsn)
    try:
        with engine.connect() as con:
            return "cases" in inspect(con).get_table_names() and bool(
                con.execute(text("SELECT EXISTS (SELECT 1 FROM cases)")).scalar())
    finally:
        engine.dispose()


def restore_workflow(settings: Settings, src: Path, entry: dict[str, Any]) -> None:
    dsn = settings.database_dsn
    if entry["kind"] == "sqlite":
        path = _sqlite_path(dsn)
        if path is None:
            raise BackupError("в копии база дел SQLite, а OTKLIK_DATABASE_URL указывает на другую СУБД")
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        sqlite_copy(src / entry["file"], path)
        return
    if not dsn.startswith("postgresql"):
        raise BackupError("в копии дамп PostgreSQL: укажите в OTKLIK_DATABASE_URL базу PostgreSQL")
    url, env = _pg_target(dsn)
    _run([str(PG_BIN / "pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--dbname", url, str(src / entry["file"])], env, "pg_restore")


# ---------------------------------------------------------------- analytics store


def _store(settings: Settings) -> Any:
    from sla_tracker.analytics.store import AnalyticsStore

    return AnalyticsStore(settings.clickhouse_dsn)


def _objects(store: Any) -> list[tuple[str, str, str]]:
    """(name, engine, CREATE statement) of every table and view, in creation order."""
    rows = store.query("SELECT name, engine, create_table_query FROM system.tables "
                       "WHERE database = currentDatabase() ORDER BY metadata_modification_time, name")
    return [(str(n), str(e), str(q)) for n, e, q in rows]


def _export(store: Any, table: str, path: Path) -> None:
    """Streamed in blocks, so a large table never sits in memory whole."""
    stream = store.client.raw_stream(f"SELECT * FROM `{table}`", fmt="Native")
    try:
        with path.open("wb") as f:
            for block in stream:
                f.write(block)
    finally:
        stream.close()


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            yield block


def backup_analytics(settings: Settings, out: Path) -> dict[str, Any]:
    """chDB has no BACKUP engine without server config, so every table is exported as Native + its DDL."""
    folder = out / ANALYTICS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    store = _store(settings)
    try:
        objects = _objects(store)
        tables: dict[str, Any] = {}
        for name, engine, _ in objects:
            if engine in VIEW_ENGINES:
                continue
            path = folder / f"{name}.native"
            _export(store, name, path)
            rows = int(store.query(f"SELECT count() FROM `{name}`")[0][0])
            tables[name] = _entry(out, path, rows=rows)
        schema = folder / "schema.json"
        schema.write_text(json.dumps([{"name": n, "engine": e, "create": q} for n, e, q in objects],
                                     ensure_ascii=False, indent=1), encoding="utf-8")
        return {"schema": _entry(out, schema), "tables": tables}
    finally:
        store.close()


def analytics_has_data(settings: Settings) -> bool:
    store = _store(settings)
    try:
        return any(int(store.query(f"SELECT count() FROM `{n}`")[0][0]) for n, e, _ in _objects(store)
                   if e not in VIEW_ENGINES and n != "schema_migrations")
    finally:
        store.close()


def restore_analytics(settings: Settings, src: Path, entry: dict[str, Any]) -> None:
    """Migrate, drop the views (so reimported rows are not aggregated twice), load every table, recreate views."""
    schema = json.loads((src / entry["schema"]["file"]).read_text(encoding="utf-8"))
    store = _store(settings)
    try:
        store.migrate()
        existing = {n: e for n, e, _ in _objects(store)}
        for name, engine in existing.items():
            if engine in VIEW_ENGINES:
                store.client.command(f"DROP VIEW IF EXISTS `{name}`")
        for obj in schema:
            if obj["engine"] in VIEW_ENGINES or obj["name"] not in entry["tables"]:
                continue
            if obj["name"] not in existing:
                store.client.command(obj["create"])
            store.client.command(f"TRUNCATE TABLE `{obj['name']}`")
            path = src / entry["tables"][obj["name"]]["file"]
            if path.stat().st_size:
                store.client.raw_insert(obj["name"], insert_block=_chunks(path), fmt="Native")
        for obj in schema:
            if obj["engine"] in VIEW_ENGINES:
                store.client.command(obj["create"])
    finally:
        store.close()


# ---------------------------------------------------------------- local SQLite files (outbox, ledgers, bus)


def local_files(settings: Settings) -> list[Path]:
    """SQLite files in the data folder and one level below (collector cursors), except the workflow DB."""
    workflow = _sqlite_path(settings.database_dsn)
    root = settings.data_dir
    if not root.is_dir():
        return []
    found = sorted([*root.glob("*.sqlite"), *root.glob("*/*.sqlite")])
    return [p for p in found if workflow is None or p.resolve() != workflow.resolve()]


def backup_files(settings: Settings, out: Path) -> dict[str, Any]:
    entries = {}
    for path in local_files(settings):
        name = path.relative_to(settings.data_dir).as_posix()
        target = out / FILES_DIR / name
        sqlite_copy(path, target)
        entries[name] = _entry(out, target, counts=sqlite_counts(target))
    return entries


def restore_files(settings: Settings, src: Path, entries: dict[str, Any]) -> None:
    root = settings.data_dir.resolve()
    for name, entry in entries.items():
        target = (root / name).resolve()
        if root not in target.parents:
            raise BackupError(f"файл {name!r} из манифеста указывает за пределы папки данных")
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        sqlite_copy(src / entry["file"], target)


# ---------------------------------------------------------------- whole backup


def backup(settings: Settings, out: Path) -> dict[str, Any]:
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"папка {out} не пуста: для каждой копии нужна новая папка")
    out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "region": settings.region,
        "workflow": backup_workflow(settings, out),
        "analytics": backup_analytics(settings, out),
        "files": backup_files(settings, out),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def _entries(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    found = [manifest["workflow"], manifest["analytics"]["schema"], *manifest["analytics"]["tables"].values(),
             *manifest["files"].values()]
    return found


def verify(src: Path) -> dict[str, Any]:
    """The manifest, after every file it lists matched its checksum."""
    try:
        manifest: dict[str, Any] = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src / MANIFEST} отсутствует или не читается: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"неизвестный формат копии {manifest.get('format')!r}")
    for name in manifest["files"]:
        parts = PurePosixPath(name)
        if parts.is_absolute() or ".." in parts.parts:
            raise BackupError(f"файл {name!r} из манифеста указывает за пределы папки данных")
    root = src.resolve()
    for entry in _entries(manifest):
        path = (src / entry["file"]).resolve()
        if root not in path.parents:
            raise BackupError(f"запись манифеста {entry['file']!r} указывает за пределы папки копии")
        if not path.is_file() or sha256(path) != entry["sha256"]:
            raise BackupError(f"{entry['file']}: файл отсутствует или контрольная сумма не совпадает — "
                              "копия повреждена")
    return manifest


def restore(settings: Settings, src: Path, *, force: bool = False) -> dict[str, Any]:
    manifest = verify(src)
    if not force:
        busy = [name for name, check in (("база дел", workflow_has_data),
                                         ("аналитическое хранилище", analytics_has_data)) if check(settings)]
        if busy:
            raise BackupError(f"{' и '.join(busy)}: уже есть данные; чтобы заменить их, укажите --force")
    restore_workflow(settings, src, manifest["workflow"])
    restore_analytics(settings, src, manifest["analytics"])
    restore_files(settings, src, manifest["files"])
    return manifest


def summary(manifest: dict[str, Any]) -> dict[str, Any]:
    workflow = manifest["workflow"]
    return {
        "workflow": {"kind": workflow["kind"], "cases": workflow.get("counts", {}).get("cases")},
        "analytics_rows": {n: t["rows"] for n, t in manifest["analytics"]["tables"].items()},
        "files": sorted(manifest["files"]),
        "created_at": manifest["created_at"],
    }


# ---------------------------------------------------------------- CLI


def backup_command(out: Annotated[Path, typer.Option("--out", help="new, empty folder for this backup")]) -> None:
    """Back up the workflow DB, the analytics store and the local ledgers into one folder."""
    try:
        manifest = backup(get_settings(), out)
    except BackupError as exc:
        typer.echo(f"Ошибка резервного копирования: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps({"backup": str(out), **summary(manifest)}, ensure_ascii=False))


def restore_command(
    src: Annotated[Path, typer.Option("--from", help="a folder made by `otklik backup`")],
    force: Annotated[bool, typer.Option("--force", help="replace data that is already there")] = False,
) -> None:
    """Restore from a backup folder after checking every checksum."""
    try:
        manifest = restore(get_settings(), src, force=force)
    except BackupError as exc:
        typer.echo(f"Ошибка восстановления: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps({"restored_from": str(src), **summary(manifest)}, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)

