"""The analytics store: one clickhouse-connect code path for chDB (``chdb:///folder``) and a server.

Schema changes are numbered SQL files in ``migrations/`` (Snuba style), applied in
order and recorded in ``schema_migrations``; nothing else issues DDL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import clickhouse_connect

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class AnalyticsError(RuntimeError):
    """The analytics store is unreachable or refused a statement."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def load_migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Statements are separated by a line holding only ``;``-terminated SQL; comments are kept out."""
    out: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise AnalyticsError(f"migration file {path.name} must be named NNN_snake_case.sql")
        body = "\n".join(line for line in path.read_text("utf-8").splitlines() if not line.lstrip().startswith("--"))
        statements = tuple(s.strip() for s in body.split(";") if s.strip())
        out.append(Migration(int(match.group(1)), path.stem, statements))
    versions = [m.version for m in out]
    if len(set(versions)) != len(versions):
        raise AnalyticsError(f"duplicate migration numbers in {folder}")
    return out


def redact_dsn(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.password:
        return dsn.replace(f":{parts.password}@", ":***@")
    return dsn


class AnalyticsStore:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        if dsn.startswith("chdb:///"):
            Path(dsn.removeprefix("chdb://")).mkdir(parents=True, exist_ok=True)
        try:
            self.client = clickhouse_connect.get_client(dsn=dsn)
        except Exception as exc:
            raise AnalyticsError(f"analytics store {redact_dsn(dsn)} is not reachable: {exc}") from exc

    def migrate(self, folder: Path = MIGRATIONS_DIR) -> list[str]:
        """Apply pending migrations; returns the names applied now."""
        self.client.command(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String,"
            " applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version"
        )
        done = {int(r[0]) for r in self.client.query("SELECT version FROM schema_migrations").result_rows}
        applied: list[str] = []
        for migration in load_migrations(folder):
            if migration.version in done:
                continue
            for statement in migration.statements:
                try:
                    self.client.command(statement)
                except Exception as exc:
                    raise AnalyticsError(f"migration {migration.name} failed: {exc}") from exc
            self.client.insert("schema_migrations", [[migration.version, migration.name]],
                               column_names=["version", "name"])
            applied.append(migration.name)
        return applied

    def insert_rows(self, table: str, rows: Sequence[dict[str, Any]]) -> int:
        if not rows:
            return 0
        columns = list(rows[0])
        self.client.insert(table, [[row[c] for c in columns] for row in rows], column_names=columns)
        return len(rows)

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.client.query(sql, parameters=parameters or {}).result_rows]

    def count(self, table: str) -> int:
        return int(self.query(f"SELECT count() FROM {_identifier(table)} FINAL")[0][0])

    def check(self) -> str | None:
        try:
            self.query("SELECT 1")
        except Exception as exc:
            return f"analytics store {redact_dsn(self.dsn)} does not answer: {exc}"
        return None

    def close(self) -> None:
        self.client.close()


def _identifier(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise AnalyticsError(f"bad table name {name!r}")
    return name

