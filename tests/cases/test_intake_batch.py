"""intake_many over batches leaves the same rows and events as intake() one post at a time (R19.1, R22)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from cases.config import CaseConfig
from cases.db import make_engine, session_factory
from cases.intake import IntakeOutcome, IntakeResult, intake, intake_many
from schemas import ClassifiedPost, ModerationFlag, RepeatCandidate
from tests.cases.conftest import CASE_TABLES, Db
from tests.cases.helpers import TEXTS, classified, local

TABLES = ("posts", "suggestions", "cases", "case_repeats", "clocks", "audit_log", "outbox")
FLAG = ModerationFlag(rule="insult", span=(0, 4), fragment="xxxx")

# One generated post: (slot, version, deleted, excluded, repeat candidates as (slot, case id or None)).
Op = tuple[int, int, bool, bool, list[tuple[int, int | None]]]

ops_strategy = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.integers(1, 3),
        st.booleans(),
        st.booleans(),
        st.lists(st.tuples(st.integers(0, 5), st.one_of(st.none(), st.integers(1, 8))), max_size=2),
    ),
    min_size=1,
    max_size=14,
)


def _post(op: Op) -> ClassifiedPost:
    slot, version, deleted, excluded, repeats = op
    return classified(
        f"vk:-100:{slot}",
        text=list(TEXTS.values())[(slot + version) % len(TEXTS)] + f" (версия {version})",
        version=version,
        deleted=deleted and version > 1,
        moderation=[FLAG] if excluded else None,
        repeats=[RepeatCandidate(uid=f"vk:-100:{s}", case_id=c, similarity=0.9) for s, c in repeats],
    )


def _batches(posts: list[ClassifiedPost], cuts: list[int]) -> list[list[ClassifiedPost]]:
    out: list[list[ClassifiedPost]] = []
    rest = list(posts)
    for cut in cuts:
        if not rest:
            break
        out.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        out.append(rest)
    return out


def _snapshot(session: Session) -> dict[str, list[Any]]:
    """Every row the intake writes, in id order; event ids are random so they are left out."""
    snap: dict[str, list[Any]] = {}
    for table in TABLES:
        order = "case_id, earlier_case_id" if table == "case_repeats" else "id"
        rows = [dict(r._mapping) for r in session.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))]
        for row in rows:
            row.pop("event_id", None)
            if table == "outbox":
                payload = json.loads(row.pop("payload"))
                payload.pop("event_id", None)
                row["payload"] = payload
            for key in ("details", "data", "raw"):
                if isinstance(row.get(key), str):
                    row[key] = json.loads(row[key])
        snap[table] = rows
    return snap


def _run(session: Session, config: CaseConfig, batches: list[list[ClassifiedPost]], start: datetime,
         batched: bool) -> list[IntakeResult]:
    results: list[IntakeResult] = []
    for n, batch in enumerate(batches):
        now = start + timedelta(minutes=7 * n)
        if batched:
            results += intake_many(session, batch, now, config=config)
        else:
            results += [intake(session, post, now, config=config) for post in batch]
        session.commit()
    return results


def _both_ways(sessions: Any, reset: Any, config: CaseConfig,
               batches: list[list[ClassifiedPost]]) -> tuple[Any, Any]:
    start = local(2, 10)
    with sessions() as s:
        one = _run(s, config, batches, start, batched=False), _snapshot(s)
    reset()
    with sessions() as s:
        many = _run(s, config, batches, start, batched=True), _snapshot(s)
    return one, many


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops_strategy, cuts=st.lists(st.integers(1, 6), max_size=6))
def test_r19_r22_batches_match_one_by_one_on_random_sequences(
    ops: list[Op], cuts: list[int], sqlite_template: Path, config: CaseConfig, tmp_path: Path
) -> None:
    path = tmp_path / "prop.sqlite"

    def reset() -> None:
        shutil.copyfile(sqlite_template, path)

    reset()
    engine = make_engine(f"sqlite:///{path}")

    def restart() -> None:
        engine.dispose()
        reset()

    try:
        one, many = _both_ways(session_factory(engine), restart, config, _batches([_post(op) for op in ops], cuts))
    finally:
        engine.dispose()
    assert many[0] == one[0]
    assert many[1] == one[1]


def test_r19_r22_one_batch_with_every_kind_matches_one_by_one(
    db: Db, config: CaseConfig, request: pytest.FixtureRequest
) -> None:
    """Fixed mix on both backends: new, redelivered, newer, older, deleted, excluded, repeats in and out of batch."""
    ops: list[Op] = [
        (0, 1, False, False, []),
        (1, 1, False, True, []),
        (2, 1, False, False, [(0, None), (3, None)]),  # 3 does not exist yet: no link
        (0, 1, False, False, []),  # redelivered
        (0, 2, False, False, []),  # newer version
        (3, 1, False, False, [(2, 3), (0, 99)]),
        (0, 1, False, False, []),  # older version
        (2, 2, True, False, []),  # deletion
        (2, 2, True, False, []),  # deletion again
    ]

    def reset() -> None:
        if db.backend == "sqlite":  # the audit log refuses DELETE: start again from the template
            db.engine.dispose()
            shutil.copyfile(request.getfixturevalue("sqlite_template"), db.dsn.removeprefix("sqlite:///"))
            return
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(CASE_TABLES)} RESTART IDENTITY CASCADE"))

    posts = [_post(op) for op in ops]
    one, many = _both_ways(db.Session, reset, config, [posts[:3], posts[3:]])
    assert [r.outcome for r in many[0]] == [
        IntakeOutcome.OPENED, IntakeOutcome.EXCLUDED, IntakeOutcome.OPENED, IntakeOutcome.DUPLICATE,
        IntakeOutcome.UPDATED, IntakeOutcome.OPENED, IntakeOutcome.DUPLICATE, IntakeOutcome.UPDATED,
        IntakeOutcome.DUPLICATE,
    ]
    assert many == one
    repeats = many[1]["case_repeats"]
    assert [(r["case_id"], r["earlier_case_id"]) for r in repeats] == [(3, 1), (4, 1), (4, 3)]
    # 3 opened (each carrying its 3 clocks) + 1 excluded + 2 updates
    assert len(many[1]["clocks"]) == 9 and len(many[1]["outbox"]) == 3 + 1 + 2


def test_empty_batch_and_statement_count(db: Db, config: CaseConfig) -> None:
    """A batch of 50 new posts costs a constant number of statements on PostgreSQL, not one per post."""
    from sqlalchemy import event

    with db.Session() as s:
        assert intake_many(s, [], local(2, 10), config=config) == []
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(" ".join(statement.split()[:3]))

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            posts = [classified(f"vk:-100:{i}", repeats=[RepeatCandidate(uid="vk:-100:0", similarity=0.9)])
                     for i in range(50)]
            results = intake_many(s, posts, local(2, 10), config=config)
            s.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert {r.outcome for r in results} == {IntakeOutcome.OPENED} and len({r.case_id for r in results}) == 50
    selects = [st for st in statements if st.startswith("SELECT") and "nextval" not in st]
    assert len(selects) <= 3, selects  # known uids, their cases, the repeat candidates' cases
    if db.backend == "postgres":  # SQLite cannot match RETURNING rows to a multi-row INSERT: one per row
        assert len(statements) < 15, statements
        assert sum("nextval" in st for st in statements) == 5  # ids of posts, suggestions, cases, clocks, audit
