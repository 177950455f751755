"""Database fixtures for the case engine: every DB test runs on SQLite and on a real PostgreSQL.

One migrated and seeded database per backend per session; each test gets it clean (SQLite: a copy of
the template file; PostgreSQL: TRUNCATE of the case tables), so tests never see each other's cases.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from cases.config import CaseConfig
from cases.db import make_engine, migrate, session_factory
from cases.seed import load_region
from tests.cases.flow import Flow
from tests.pg import scratch_database

REGION_DIR = Path(__file__).resolve().parents[2] / "regions" / "kuzbass"
CASE_TABLES = (
    "outbox",
    "breaches",
    "clocks",
    "drafts",
    "audit_log",
    "audit_heads",
    "case_repeats",
    "assignments",
    "cases",
    "suggestions",
    "posts",
    "absences",
)


@dataclass
class Db:
    backend: str
    dsn: str
    engine: Engine
    Session: sessionmaker[Session]


def _seed(dsn: str) -> None:
    migrate(dsn)
    engine = make_engine(dsn)
    with session_factory(engine)() as s:
        load_region(s, REGION_DIR)
        s.commit()
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cases-db") / "template.sqlite"
    _seed(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database(postgres_url: str) -> Iterator[str]:
    """A fresh database on the configured server, dropped at the end of the session."""
    with scratch_database(postgres_url, "otklik_cases") as dsn:
        _seed(dsn)
        yield dsn


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=[pytest.mark.integration, pytest.mark.postgres]),
    ]
)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    if request.param == "sqlite":
        path = tmp_path / "cases.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        dsn = f"sqlite:///{path}"
        engine = make_engine(dsn)
    else:
        dsn = request.getfixturevalue("pg_database")
        engine = make_engine(dsn)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(CASE_TABLES)} RESTART IDENTITY CASCADE"))
    try:
        yield Db(request.param, dsn, engine, session_factory(engine))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def config() -> CaseConfig:
    return CaseConfig.load(REGION_DIR)


@pytest.fixture
def session(db: Db) -> Iterator[Session]:
    with db.Session() as s:
        yield s


@pytest.fixture
def flow(session: Session, config: CaseConfig) -> Flow:
    return Flow(session, config)
