"""``insert_rows`` (COPY on PostgreSQL) stores what an executemany would: order, UTC instants, JSON, NULLs."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from cases.intake import _bulk_insert
from cases.models import OutboxMessage, PostRow, SuggestionRow
from cases.outbox import insert_rows
from tests.cases.conftest import Db
from tests.cases.helpers import local

OUTBOX = cast(Table, OutboxMessage.__table__)
SUGGESTIONS = cast(Table, SuggestionRow.__table__)
NOVOKUZNETSK = timezone(timedelta(hours=7))


def _post(s: Any, uid: str) -> int:
    row = PostRow(uid=uid, network="vk", url=f"https://vk.com/{uid}", author_id="u1", text="Кемерово, ул. Мира",
                  created_at=local(2, 8), collected_at=local(2, 8), surfaced_at=local(2, 8), version=1,
                  deleted=False, raw={})
    s.add(row)
    s.flush()
    return int(row.id)


def _suggestion_rows(post_id: int) -> list[dict[str, Any]]:
    hostile = "'); DROP TABLE posts; --\t\\N\nПрокопьевск \"кавычки\" \\ обратная черта"
    return [
        {"post_id": post_id, "post_version": 1, "model_version": "m1",
         "data": {"text": hostile, "n": [1, 2.5, None], "ok": True}, "created_at": local(2, 9)},
        {"post_id": post_id, "post_version": 2, "model_version": hostile,
         "data": None, "created_at": local(2, 9).astimezone(NOVOKUZNETSK)},
    ]


def _stored(s: Any) -> list[dict[str, Any]]:
    rows = s.execute(select(SuggestionRow.post_version, SuggestionRow.model_version, SuggestionRow.data,
                            SuggestionRow.created_at).order_by(SuggestionRow.id))
    return [dict(r._mapping) for r in rows]


def test_insert_rows_matches_a_plain_executemany(db: Db) -> None:
    with db.Session() as s:
        post_id = _post(s, "vk:1:1")
        s.connection().execute(insert(SUGGESTIONS), _suggestion_rows(post_id))
        expected = _stored(s)
        s.execute(text("DELETE FROM suggestions"))
        insert_rows(s, SUGGESTIONS, _suggestion_rows(post_id))
        got = _stored(s)
        s.rollback()
    assert got == expected
    assert got[0]["data"]["text"].startswith("');") and got[1]["created_at"] == local(2, 9)
    assert got[1]["created_at"].utcoffset() == timedelta(0)


def test_insert_rows_keeps_order_and_refuses_mixed_or_naive_rows(db: Db) -> None:
    rows = [{"event_id": f"e{i}", "topic": "cases.events", "key": "1", "payload": "{}", "created_at": local(2, 10)}
            for i in range(30)]
    with db.Session() as s:
        insert_rows(s, OUTBOX, rows)
        assert [r for (r,) in s.execute(select(OutboxMessage.event_id).order_by(OutboxMessage.id))] == [
            f"e{i}" for i in range(30)
        ]
        s.rollback()
    with db.Session() as s, pytest.raises(ValueError, match="must all have"):
        insert_rows(s, OUTBOX, [rows[0], {"event_id": "x", "topic": "t", "key": "k", "payload": "{}"}])
    with db.Session() as s, pytest.raises((ValueError, StatementError), match="naive"):  # as an executemany does
        insert_rows(s, OUTBOX, [{**rows[0], "created_at": local(2, 10).replace(tzinfo=None)}])


def test_bulk_insert_refuses_a_row_whose_default_would_be_lost(db: Db) -> None:
    with db.Session() as s:
        row = PostRow(id=10**6, uid="vk:1:2", network="vk", url="https://vk.com/x", author_id="u1", text="т",
                      created_at=local(2, 8), collected_at=local(2, 8), surfaced_at=local(2, 8), version=None,
                      deleted=False, raw={})
        with pytest.raises(ValueError, match=r"posts\.version"):
            _bulk_insert(s, [row])


def test_insert_rows_reports_a_constraint_violation_as_sqlalchemy_does(db: Db) -> None:
    """Callers (console actions) turn SQLAlchemy errors into a clear answer; COPY must raise the same kind."""
    row = {"event_id": "same", "topic": "alerts", "key": "1", "payload": "{}", "created_at": local(2, 10)}
    with db.Session() as s:
        with pytest.raises(IntegrityError):
            insert_rows(s, OUTBOX, [row, dict(row)])
        s.rollback()
        insert_rows(s, OUTBOX, [row])  # the session is usable again after the rollback
        s.commit()
        assert s.scalar(select(func.count()).select_from(OUTBOX)) == 1
