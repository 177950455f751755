"""The workflow database itself: migrations, UTC storage, append-only audit, region seeding, doctor check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError, StatementError

from cases.db import check, make_engine, migrate
from cases.journal import record_admin
from cases.models import Agency, AuditLogIsAppendOnly, AuditRecord, OutboxMessage, Person, PostRow, new_row
from cases.seed import RegionDataError, load_region
from tests.cases.conftest import REGION_DIR, Db


def test_migrate_is_idempotent_and_check_passes(db: Db) -> None:
    migrate(db.dsn)
    assert check(db.dsn) is None
    tables = set(inspect(db.engine).get_table_names())
    assert {
        "agencies",
        "people",
        "absences",
        "posts",
        "suggestions",
        "cases",
        "case_repeats",
        "assignments",
        "drafts",
        "clocks",
        "breaches",
        "audit_log",
        "outbox",
    } <= tables


def test_check_explains_problems_in_plain_words(tmp_path: Path) -> None:
    missing = check(f"sqlite:///{tmp_path / 'absent.sqlite'}")
    assert missing is not None and "не найден" in missing
    empty = tmp_path / "empty.sqlite"
    make_engine(f"sqlite:///{empty}").connect().close()
    problem = check(f"sqlite:///{empty}")
    assert problem is not None and "otklik migrate" in problem
    refused = check("postgresql+psycopg://postgres@127.0.0.1:1/none")
    assert refused is not None and "подключиться" in refused


def test_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_timestamps_round_trip_as_aware_utc(db: Db) -> None:
    at = datetime(2026, 3, 2, 10, 15, tzinfo=timezone(timedelta(hours=7)))
    with db.Session() as s:
        s.add(OutboxMessage(event_id="e1", topic="t", key="k", payload="{}", created_at=at))
        s.commit()
    with db.Session() as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert row.created_at == at
        assert row.created_at.tzinfo is not None and row.created_at.utcoffset() == timedelta(0)
        assert row.created_at.hour == 3


def _post_values(uid: str) -> dict[str, object]:
    at = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    return {"uid": uid, "network": "vk", "author_id": "1", "text": "Нет воды на ул. Кирова", "created_at": at,
            "collected_at": at, "surfaced_at": at, "version": 1, "deleted": False,
            "raw": {"автор": "Иван", 7: [1, 2], "tags": ["вода"]}}


def test_new_row_is_written_as_the_constructor_writes_it(db: Db) -> None:
    with db.Session() as s:
        s.add_all([PostRow(**_post_values("vk:1:a")), new_row(PostRow, **_post_values("vk:1:b"))])
        s.commit()
    with db.Session() as s:
        rows = {r.uid: r for r in s.scalars(select(PostRow))}
    columns = [c.key for c in inspect(PostRow).column_attrs if c.key not in ("id", "uid")]
    assert {k: getattr(rows["vk:1:b"], k) for k in columns} == {k: getattr(rows["vk:1:a"], k) for k in columns}
    # JSON keeps Cyrillic as text and makes non-string keys strings, as json.dumps does
    assert rows["vk:1:b"].raw == {"автор": "Иван", "7": [1, 2], "tags": ["вода"]}
    if db.backend == "sqlite":  # stored as text: Cyrillic unescaped (half the bytes of \u escapes)
        with db.Session() as s:
            assert "Иван" in s.execute(text("SELECT raw FROM posts WHERE uid = 'vk:1:b'")).scalar_one()
    with pytest.raises(TypeError, match="nope"):
        new_row(PostRow, nope=1)


def test_naive_timestamp_is_refused(db: Db) -> None:
    with db.Session() as s:
        s.add(OutboxMessage(event_id="e1", topic="t", key="k", payload="{}", created_at=datetime(2026, 3, 2, 10)))
        with pytest.raises(StatementError, match="naive"):
            s.flush()


def test_r23_audit_log_is_append_only_in_orm_and_database(db: Db) -> None:
    with db.Session() as s:
        record_admin(s, "curator", "test", datetime.now(UTC))
        s.commit()
        record = s.scalars(select(AuditRecord)).one()
        record.action = "forged"
        with pytest.raises(AuditLogIsAppendOnly):
            s.flush()
        s.rollback()
    for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
        with db.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
    with db.Session() as s:
        assert s.scalars(select(AuditRecord.action)).all() == ["test"]


def test_r8_1_seed_is_idempotent_and_every_listed_agency_has_lead_and_executors(db: Db) -> None:
    with db.Session() as s:
        first = load_region(s, REGION_DIR)
        s.commit()
        second = load_region(s, REGION_DIR)
        s.commit()
        assert first == second
        assert s.scalar(select(func.count(Agency.code))) == first.agencies
        assert s.scalar(select(func.count(Person.id))) == first.people
        assert s.get(Agency, "adm-novokuznetsk") is not None
        assert s.get(Agency, "adm-novokuznetsk").kind == "municipal"  # type: ignore[union-attr]
        assert s.get(Agency, "min-health").kind == "regional"  # type: ignore[union-attr]
        staffed = {p.agency_code for p in s.scalars(select(Person).where(Person.agency_code.is_not(None)))}
        for code in staffed:
            roles = [p.role for p in s.scalars(select(Person).where(Person.agency_code == code))]
            assert roles.count("agency_lead") >= 1 and roles.count("executor") >= 1, code
        all_roles = set(s.scalars(select(Person.role)))
        assert {"curator", "analyst", "admin"} <= all_roles
        assert all(p.password_hash is None for p in s.scalars(select(Person)))


def test_seed_refuses_unknown_agency_with_a_clear_error(db: Db, tmp_path: Path) -> None:
    for name in ("agencies.yaml", "municipalities.yaml"):
        (tmp_path / name).write_text((REGION_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "people.yaml").write_text(
        "people:\n  - {login: x, full_name: Тестов Тест, role: executor, agency: min-nowhere}\n", encoding="utf-8"
    )
    with db.Session() as s, pytest.raises(RegionDataError, match="min-nowhere"):
        load_region(s, tmp_path)
