"""R23: the audit log is hash-chained per case, and ``cases.audit.verify`` finds every kind of tampering.

Tampering is done the way a database superuser could: raw SQL with the append-only trigger switched off.
"""

from __future__ import annotations

import io
import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from cases import audit, people
from cases.audit import AnchorError, AuditReport, read_anchor, verify
from cases.auditchain import ADMIN_CHAIN, record_hash
from cases.db import _alembic_config, make_engine, migrate
from cases.journal import record, record_admin
from cases.models import AuditHead, AuditRecord, AuditRecordNotChained, Case
from tests.cases.conftest import Db
from tests.cases.flow import Flow
from tests.cases.helpers import local
from tests.pg import scratch_database

T0 = local(2, 10)


@dataclass
class Log:
    db: Db
    cases: list[int]


def _clear_heads(db: Db) -> None:
    """The shared fixture truncates the case tables but not ``audit_heads`` (PostgreSQL reuses the database)."""
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_heads"))


@pytest.fixture
def log(db: Db, flow: Flow) -> Log:
    """Two cases with three records each (opened, triaged, routed), plus two admin records."""
    _clear_heads(db)
    cases = []
    for n, uid in enumerate(("vk:-1:901", "vk:-1:902")):
        case_id = flow.open(uid, T0 + timedelta(minutes=n))
        flow.triage(case_id, local(2, 10, 5))
        flow.route(case_id, local(2, 10, 10))
        cases.append(case_id)
    with db.Session() as s:
        record_admin(s, "admin", "role_changed", local(2, 11), details={"login": "kem-exec1", "role": "executor"})
        record_admin(s, "admin", "region_data_edited", local(2, 11, 1), details={"file": "agencies.yaml"})
        s.commit()
    return Log(db, cases)


def _check(db: Db, **kw: object) -> AuditReport:
    with db.Session() as s:
        return verify(s, **kw)  # type: ignore[arg-type]


def _problems(report: AuditReport) -> set[tuple[str, int | None, str]]:
    return {(f.chain, f.seq, f.problem) for f in report.findings}


def _raw(db: Db, *statements: str, **params: object) -> None:
    """Run SQL on audit_log as a superuser would: trigger off, change, trigger back on."""
    with db.engine.begin() as conn:
        _triggers(conn, enabled=False)
        for statement in statements:
            conn.execute(text(statement), params)
        _triggers(conn, enabled=True)


def _triggers(conn: Connection, *, enabled: bool) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ALTER TABLE audit_log {'ENABLE' if enabled else 'DISABLE'} TRIGGER audit_log_append_only"))
        return
    for verb in ("update", "delete"):
        if enabled:
            conn.execute(
                text(
                    f"CREATE TRIGGER audit_log_no_{verb} BEFORE {verb.upper()} ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                )
            )
        else:
            conn.execute(text(f"DROP TRIGGER audit_log_no_{verb}"))


def _chain_len(db: Db, case_id: int) -> int:
    with db.Session() as s:
        return len(s.scalars(select(AuditRecord.id).where(AuditRecord.case_id == case_id)).all())


def test_r23_intact_log_verifies_and_every_record_is_linked(log: Log) -> None:
    report = _check(log.db)
    assert report.ok, report.findings
    with log.db.Session() as s:
        total = len(s.scalars(select(AuditRecord.id)).all())
        assert report.records == total >= 8
        assert report.chains == len(log.cases) + 1
        rows = s.scalars(select(AuditRecord).where(AuditRecord.case_id == log.cases[0]).order_by(AuditRecord.seq))
        chain = list(rows)
        assert [r.seq for r in chain] == list(range(1, len(chain) + 1))
        assert chain[0].prev_hash is None
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
        case = s.get(Case, log.cases[0])
        assert case is not None and (case.audit_seq, case.audit_hash) == (chain[-1].seq, chain[-1].hash)
        head = s.get(AuditHead, ADMIN_CHAIN)
        assert head is not None and head.seq == 2


def test_r23_verify_streams_in_small_batches(log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "BATCH", 2)
    assert _check(log.db).ok


def test_r23_changed_details_are_detected(log: Log) -> None:
    case_id = log.cases[0]
    _raw(log.db, "UPDATE audit_log SET details = '{\"forged\": true}' WHERE case_id = :c AND seq = 2", c=case_id)
    report = _check(log.db)
    assert not report.ok
    assert _problems(report) == {(f"case:{case_id}", 2, "hash_mismatch")}
    assert report.findings[0].record_id is not None


def test_r23_changed_actor_is_detected(log: Log) -> None:
    _raw(log.db, "UPDATE audit_log SET actor = 'someone-else' WHERE case_id IS NULL AND seq = 1")
    assert _problems(_check(log.db)) == {(ADMIN_CHAIN, 1, "hash_mismatch")}


def test_r23_deleted_middle_record_is_detected(log: Log) -> None:
    case_id = log.cases[1]
    assert _chain_len(log.db, case_id) >= 3
    _raw(log.db, "DELETE FROM audit_log WHERE case_id = :c AND seq = 2", c=case_id)
    assert _problems(_check(log.db)) == {(f"case:{case_id}", 3, "seq_gap")}


def test_r23_deleted_tail_is_detected(log: Log) -> None:
    case_id = log.cases[0]
    last = _chain_len(log.db, case_id)
    _raw(log.db, "DELETE FROM audit_log WHERE case_id = :c AND seq = :s", c=case_id, s=last)
    assert _problems(_check(log.db)) == {(f"case:{case_id}", last, "tail_missing")}


def test_r23_whole_chain_deleted_is_detected(log: Log) -> None:
    case_id = log.cases[0]
    _raw(log.db, "DELETE FROM audit_log WHERE case_id = :c", c=case_id)
    assert (f"case:{case_id}", _chain_len_before(log), "tail_missing") in _problems(_check(log.db))


def _chain_len_before(log: Log) -> int:
    with log.db.Session() as s:
        case = s.get(Case, log.cases[0])
        assert case is not None
        return case.audit_seq


def test_r23_admin_chain_tail_and_head_are_checked(log: Log) -> None:
    _raw(log.db, "DELETE FROM audit_log WHERE case_id IS NULL")
    assert _problems(_check(log.db)) == {(ADMIN_CHAIN, 2, "tail_missing")}
    _clear_heads(log.db)
    assert _check(log.db).ok
    with log.db.Session() as s:
        record_admin(s, "admin", "role_changed", local(2, 12))
        s.commit()
    _clear_heads(log.db)
    assert _problems(_check(log.db)) == {(ADMIN_CHAIN, 1, "head_behind")}


def test_r23_every_case_chain_starts_at_seq_1(log: Log) -> None:
    first, second = log.cases
    _raw(log.db, "DELETE FROM audit_log WHERE case_id = :c AND seq = 1", c=first)
    _raw(
        log.db,
        "DELETE FROM audit_log WHERE case_id = :c",
        "UPDATE cases SET audit_seq = 0, audit_hash = NULL WHERE id = :c",
        c=second,
    )
    assert _problems(_check(log.db)) == {(f"case:{first}", 2, "seq_gap"), (f"case:{second}", None, "no_records")}


def test_r23_inserted_forged_records_are_detected(log: Log) -> None:
    case_id = log.cases[0]
    with log.db.Session() as s:
        case = s.get(Case, case_id)
        assert case is not None
        head_seq, head_hash = case.audit_seq, case.audit_hash
    insert = (
        "INSERT INTO audit_log (case_id, actor, at, action, details, seq, prev_hash, hash) "
        "VALUES (:c, 'curator', :at, 'approved', '{}', :s, :p, :h)"
    )
    at = datetime(2026, 3, 2, 8, tzinfo=UTC).replace(tzinfo=None)  # SQLite stores naive UTC; PG reads it as UTC
    forged = "0" * 64
    _raw(log.db, insert, c=case_id, at=at, s=head_seq + 1, p=head_hash, h=forged)
    _raw(log.db, insert, c=log.cases[1], at=at, s=None, p=None, h=None)
    problems = _problems(_check(log.db))
    assert (f"case:{case_id}", head_seq + 1, "hash_mismatch") in problems
    assert (f"case:{case_id}", head_seq + 1, "head_behind") in problems
    assert (f"case:{log.cases[1]}", None, "unchained") in problems


def test_r23_reordered_seq_is_detected(log: Log) -> None:
    case_id = log.cases[0]
    _raw(
        log.db,
        "UPDATE audit_log SET seq = -1 WHERE case_id = :c AND seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE case_id = :c AND seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE case_id = :c AND seq = -1",
        c=case_id,
    )
    problems = _problems(_check(log.db))
    chain = f"case:{case_id}"
    assert {(chain, 2, "broken_link"), (chain, 2, "hash_mismatch"), (chain, 3, "hash_mismatch")} <= problems


def test_r23_consistent_rewrite_passes_the_chain_but_not_the_anchor(log: Log) -> None:
    """A superuser who recomputes hash and head defeats the chain alone; the anchor kept outside does not."""
    saved = io.StringIO()
    before = _check(log.db, heads_out=saved)
    assert before.ok and before.anchor_checked == 0
    case_id = log.cases[0]
    with log.db.Session() as s:
        last = s.scalars(
            select(AuditRecord).where(AuditRecord.case_id == case_id).order_by(AuditRecord.seq.desc())
        ).first()
        assert last is not None
        new_hash = record_hash(
            case_id=case_id,
            seq=last.seq or 0,
            actor="curator",
            at=last.at,
            action=last.action,
            from_state=last.from_state,
            to_state=last.to_state,
            details={},
            prev_hash=last.prev_hash,
        )
        rid = last.id
    _raw(
        log.db,
        "UPDATE audit_log SET actor = 'curator', details = '{}', hash = :h WHERE id = :i",
        "UPDATE cases SET audit_hash = :h WHERE id = :c",
        h=new_hash,
        i=rid,
        c=case_id,
    )
    assert _check(log.db).ok, "the chain alone cannot see a consistent rewrite"
    anchored = _check(log.db, anchor=read_anchor(saved.getvalue().splitlines()))
    assert _problems(anchored) == {(f"case:{case_id}", last.seq, "anchor_mismatch")}
    assert anchored.anchor_checked == len(log.cases) + 1


def test_r23_anchor_digest_is_the_sha256_of_the_anchor_file_and_survives_appends(log: Log, flow: Flow) -> None:
    import hashlib

    saved = io.StringIO()
    report = _check(log.db, heads_out=saved)
    assert report.anchor == hashlib.sha256(saved.getvalue().encode()).hexdigest()
    flow.triage(flow.open("vk:-1:903", local(2, 12)), local(2, 12, 5))
    later = _check(log.db, anchor=read_anchor(saved.getvalue().splitlines()))
    assert later.ok and later.anchor != report.anchor


def test_anchor_file_must_be_well_formed() -> None:
    with pytest.raises(AnchorError, match="malformed"):
        list(read_anchor(["case:1 x deadbeef"]))
    with pytest.raises(AnchorError, match="out of order"):
        list(read_anchor([f"case:2 1 {'a' * 64}", f"case:1 1 {'a' * 64}"]))
    with pytest.raises(AnchorError, match="unknown chain"):
        list(read_anchor([f"robert'); 1 {'a' * 64}"]))


def test_r23_anchored_chain_that_vanished_is_reported(log: Log) -> None:
    anchor = read_anchor([f"case:999999 3 {'b' * 64}"])
    assert _problems(_check(log.db, anchor=anchor)) == {("case:999999", 3, "anchor_chain_missing")}


def test_r23_triggers_refuse_update_and_delete_of_chain_columns(log: Log) -> None:
    for statement in ("UPDATE audit_log SET hash = 'x'", "UPDATE audit_log SET seq = seq + 1", "DELETE FROM audit_log"):
        with log.db.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
    assert _check(log.db).ok


def test_r23_records_not_written_through_the_journal_are_refused(db: Db) -> None:
    with db.Session() as s:
        s.add(AuditRecord(actor="curator", at=T0, action="forged", details={}))
        with pytest.raises(AuditRecordNotChained):
            s.flush()


def test_r23_two_writers_of_one_case_conflict_instead_of_forking(log: Log) -> None:
    case_id = log.cases[0]
    with log.db.Session() as first, log.db.Session() as second:
        a, b = first.get(Case, case_id), second.get(Case, case_id)
        assert a is not None and b is not None
        first.commit()
        second.commit()  # both loaded the same head and hold no lock now
        record(first, a, "curator", "comment", local(2, 12), details={"n": 1})
        first.commit()
        record(second, b, "curator", "comment", local(2, 12), details={"n": 2})
        with pytest.raises(IntegrityError):
            second.commit()
    assert _check(log.db).ok


def test_r23_admin_chain_takes_people_records(log: Log) -> None:
    with log.db.Session() as s:
        people.add_absence(s, "admin", "kem-exec1", local(10, 9), local(12, 18), "vacation", "kem-exec2", T0)
        s.commit()
        rows = s.scalars(select(AuditRecord).where(AuditRecord.case_id.is_(None)).order_by(AuditRecord.seq)).all()
        assert [r.action for r in rows] == ["role_changed", "region_data_edited", "absence_added"]
        assert [r.seq for r in rows] == [1, 2, 3]
    assert _check(log.db).ok


def test_audit_details_must_be_plain_json(db: Db) -> None:
    with db.Session() as s, pytest.raises(ValueError, match="plain JSON"):
        record_admin(s, "admin", "x", T0, details={"n": float("nan")})


# ---------------------------------------------------------------- migration 0002 on a log written before it


def _old_log(dsn: str) -> None:
    """A database at revision 0001 holding records from before the chain existed."""
    engine = make_engine(dsn)
    try:
        command.upgrade(_alembic_config(engine), "0001")
        now = datetime(2026, 3, 2, 3, tzinfo=UTC).replace(tzinfo=None)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO posts (uid, network, author_id, text, created_at, collected_at, surfaced_at, "
                    "version, deleted, raw) VALUES ('vk:-1:1', 'vk', 'a1', 'Яма на Советском проспекте', "
                    ":t, :t, :t, 1, false, '{}')"
                ),
                {"t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO cases (post_id, state, importance, shortened, opened_at, updated_at) "
                    "VALUES (1, 'detected', 'normal', false, :t, :t)"
                ),
                {"t": now},
            )
            for n, case_id in enumerate((1, None, 1, None, 1)):
                conn.execute(
                    text(
                        "INSERT INTO audit_log (case_id, actor, at, action, details) VALUES (:c, 'system', :t, :a, :d)"
                    ),
                    {"c": case_id, "t": now + timedelta(minutes=n), "a": f"step{n}", "d": json.dumps({"n": n})},
                )
        migrate(engine)
    finally:
        engine.dispose()


def _assert_backfilled(dsn: str) -> None:
    engine = make_engine(dsn)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT case_id, seq FROM audit_log ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [(1, 1), (None, 1), (1, 2), (None, 2), (1, 3)]
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text("UPDATE audit_log SET actor = 'x'"))
        from cases.db import session_factory

        with session_factory(engine)() as s:
            report = verify(s)
            assert report.ok, report.findings
            assert (report.records, report.chains) == (5, 2)
            record_admin(s, "admin", "after_migration", datetime(2026, 3, 3, tzinfo=UTC))
            s.commit()
            assert verify(s).ok
    finally:
        engine.dispose()


def test_r23_migration_chains_existing_records_sqlite(tmp_path: Path) -> None:
    dsn = f"sqlite:///{tmp_path / 'old.sqlite'}"
    _old_log(dsn)
    _assert_backfilled(dsn)


@pytest.mark.integration
@pytest.mark.postgres
def test_r23_migration_chains_existing_records_postgres(postgres_url: str) -> None:
    with scratch_database(postgres_url, "otklik_audit") as dsn:
        _old_log(dsn)
        _assert_backfilled(dsn)


def test_migration_0002_downgrades_and_keeps_the_append_only_triggers(tmp_path: Path) -> None:
    dsn = f"sqlite:///{tmp_path / 'down.sqlite'}"
    engine = make_engine(dsn)
    try:
        migrate(engine)
        command.downgrade(_alembic_config(engine), "0001")
        with engine.connect() as conn:
            columns = {row[1] for row in conn.execute(text("PRAGMA table_info(audit_log)"))}
            assert not {"seq", "prev_hash", "hash"} & columns
            triggers = {row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))}
            assert {"audit_log_no_update", "audit_log_no_delete"} <= triggers
        migrate(engine)
    finally:
        engine.dispose()
