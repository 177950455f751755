"""What a batch costs the database: no second pass over new cases, SQL text that does not vary with size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select, text

from cases import outbox
from cases.audit import verify
from cases.config import CaseConfig
from cases.intake import IntakeOutcome, intake_many
from cases.models import AuditRecord, Case
from schemas import RepeatCandidate
from tests.cases.conftest import Db
from tests.cases.helpers import classified, local


@contextmanager
def _statements(db: Db) -> Iterator[list[tuple[str, bool]]]:
    """Every statement the engine sends, with whether it went as one executemany."""
    seen: list[tuple[str, bool]] = []

    def count(_conn: Any, _cursor: Any, statement: str, _params: Any, _ctx: Any, executemany: bool) -> None:
        seen.append((" ".join(statement.split()), executemany))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _batch(prefix: str, n: int) -> list[Any]:
    return [classified(f"vk:-7:{prefix}{i}", repeats=[RepeatCandidate(uid=f"vk:-7:{prefix}0", similarity=0.9)])
            for i in range(n)]


def test_r23_new_cases_carry_their_audit_head_and_the_chain_verifies(db: Db, config: CaseConfig) -> None:
    """A case opened by a batch holds the seq/hash of its first audit record, and ``audit verify`` agrees."""
    with db.Session() as s:
        results = intake_many(s, _batch("a", 6), local(2, 10), config=config)
        s.commit()
        assert {r.outcome for r in results} == {IntakeOutcome.OPENED}
        for case in s.scalars(select(Case)):
            audit = s.scalars(select(AuditRecord).where(AuditRecord.case_id == case.id)).one()
            assert (case.audit_seq, case.audit_hash) == (1, audit.hash)
        assert verify(s).ok


def test_r23_postgres_batch_writes_new_cases_once(db: Db, config: CaseConfig) -> None:
    """On PostgreSQL new cases are inserted already carrying their audit head (no UPDATE of them after),
    and the batch's rows go in by COPY, not by a statement per row (the server's own counters say so)."""
    if db.backend != "postgres":
        pytest.skip("PostgreSQL only: SQLite gets its ids from the flush")
    tables = ("posts", "suggestions", "cases", "clocks", "case_repeats", "audit_log", "outbox")
    with db.Session() as s, _statements(db) as seen:
        intake_many(s, _batch("b", 8), local(2, 10), config=config)
        s.flush()
        counts = {
            name: (ins, upd)
            for name, ins, upd in s.execute(
                text("SELECT relname, n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = ANY(:t)"),
                {"t": list(tables)},
            )
        }
        s.commit()
    assert counts["cases"] == (8, 0) and counts["audit_log"] == (8, 0), counts
    assert counts["posts"] == (8, 0) and counts["clocks"] == (24, 0) and counts["case_repeats"] == (7, 0)
    assert counts["outbox"] == (8, 0)  # one opened event per case, carrying its three clocks
    row_statements = [st for st, _ in seen if st.startswith(("INSERT", "UPDATE"))]
    assert row_statements == [], row_statements


def test_postgres_lookups_have_the_same_sql_whatever_the_batch_size(db: Db, config: CaseConfig) -> None:
    """Known uids, their cases and repeat targets are looked up with one array parameter each, so the
    driver and the server see one statement text (parsed once) instead of one per batch size."""
    if db.backend != "postgres":
        pytest.skip("PostgreSQL only: SQLite gets its ids from the flush")
    texts: list[set[str]] = []
    for prefix, n in (("c", 3), ("d", 11)):
        with db.Session() as s:
            intake_many(s, _batch(prefix, 2), local(2, 10), config=config)  # known uids and repeat targets
            s.commit()
            again = _batch(prefix, n)  # the first two are known, the rest new, all name a repeat target
            with _statements(db) as seen:
                intake_many(s, again, local(2, 11), config=config)
                s.commit()
            texts.append({st for st, _ in seen if st.startswith("SELECT") and "nextval" not in st})
    assert texts[0] == texts[1] and len(texts[0]) >= 2, texts


def test_postgres_mark_published_has_the_same_sql_whatever_the_count(db: Db) -> None:
    if db.backend != "postgres":
        pytest.skip("PostgreSQL only: SQLite gets its ids from the flush")
    from schemas import CaseEvent, CaseEventType

    with db.Session() as s:
        for i in range(5):
            event_ = CaseEvent(event_id=f"e{i}", case_id=1, type=CaseEventType.TRANSITION, at=local(2, 10))
            outbox.put(s, "cases.events", "1", event_, event_.event_id, local(2, 10))
        s.commit()
        ids = [r.id for r in outbox.pending(s)]
        s.commit()
        with _statements(db) as seen:
            assert outbox.mark_published(s, ids[:2], local(2, 11)) == 2
            assert outbox.mark_published(s, ids, local(2, 11)) == 3  # two were already marked
            s.commit()
        assert outbox.pending(s) == []
    updates = {st for st, _ in seen if st.startswith("UPDATE outbox")}
    assert len(updates) == 1, updates
