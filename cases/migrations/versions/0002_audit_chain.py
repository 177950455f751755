"""audit chain: per-case hash links on audit_log, chain heads, unique (chain, seq)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 00:45:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import cases.db
from cases.auditchain import ADMIN_CHAIN, normalize_details, record_hash

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 2000

_audit = sa.table(
    "audit_log",
    sa.column("id", sa.BigInteger()),
    sa.column("case_id", sa.BigInteger()),
    sa.column("actor", sa.String()),
    sa.column("at", cases.db.UtcDateTime(timezone=True)),
    sa.column("action", sa.String()),
    sa.column("from_state", sa.String()),
    sa.column("to_state", sa.String()),
    sa.column("details", sa.JSON()),
    sa.column("seq", sa.Integer()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
_cases = sa.table(
    "cases",
    sa.column("id", sa.BigInteger()),
    sa.column("audit_seq", sa.Integer()),
    sa.column("audit_hash", sa.String()),
)
_heads = sa.table(
    "audit_heads", sa.column("chain", sa.String()), sa.column("seq", sa.Integer()), sa.column("hash", sa.String())
)


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("seq", sa.Integer(), nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("hash", sa.String(length=64), nullable=True))
    op.add_column("cases", sa.Column("audit_seq", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("cases", sa.Column("audit_hash", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_heads",
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_heads")),
    )
    _without_append_only_trigger(_backfill)
    op.create_index("uq_audit_log_case_seq", "audit_log", ["case_id", "seq"], unique=True)
    op.create_index(
        "uq_audit_log_admin_seq",
        "audit_log",
        ["seq"],
        unique=True,
        sqlite_where=sa.text("case_id IS NULL"),
        postgresql_where=sa.text("case_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_audit_log_admin_seq", table_name="audit_log")
    op.drop_index("uq_audit_log_case_seq", table_name="audit_log")
    op.drop_table("audit_heads")
    _without_append_only_trigger(_drop_columns)


def _drop_columns() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("audit_hash")
        batch_op.drop_column("audit_seq")
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")


def _without_append_only_trigger(work: Any) -> None:
    """0001's triggers refuse every UPDATE (rightly); the backfill is the one sanctioned rewrite."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        work()
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        return
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{verb}")
    work()
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


def _backfill() -> None:
    """Chain the existing records in id order: the case-less ones first, then case by case."""
    bind = op.get_bind()
    admin = _chain_rows(bind, _audit.c.case_id.is_(None), None)
    if admin is not None:
        bind.execute(_heads.insert().values(chain=ADMIN_CHAIN, seq=admin[0], hash=admin[1]))
    last_case = 0
    while True:
        case_ids = bind.scalars(
            sa.select(_audit.c.case_id)
            .where(_audit.c.case_id > last_case)
            .group_by(_audit.c.case_id)
            .order_by(_audit.c.case_id)
            .limit(BATCH)
        ).all()
        if not case_ids:
            return
        for case_id in case_ids:
            head = _chain_rows(bind, _audit.c.case_id == case_id, case_id)
            assert head is not None
            bind.execute(_cases.update().where(_cases.c.id == case_id).values(audit_seq=head[0], audit_hash=head[1]))
        last_case = case_ids[-1]


def _chain_rows(bind: Any, chain: Any, case_id: int | None) -> tuple[int, str] | None:
    """Hash one chain in id order, a batch at a time; returns its head."""
    seq, last_id = 0, 0
    prev: str | None = None
    while True:
        rows = (
            bind.execute(sa.select(_audit).where(chain, _audit.c.id > last_id).order_by(_audit.c.id).limit(BATCH))
            .mappings()
            .all()
        )
        if not rows:
            return None if prev is None else (seq, prev)
        updates: list[dict[str, Any]] = []
        for row in rows:
            seq += 1
            digest = record_hash(
                case_id=case_id,
                seq=seq,
                actor=row["actor"],
                at=row["at"],
                action=row["action"],
                from_state=row["from_state"],
                to_state=row["to_state"],
                details=normalize_details(row["details"]),
                prev_hash=prev,
            )
            updates.append({"rid": row["id"], "s": seq, "p": prev, "h": digest})
            prev = digest
        bind.execute(
            _audit.update()
            .where(_audit.c.id == sa.bindparam("rid"))
            .values(seq=sa.bindparam("s"), prev_hash=sa.bindparam("p"), hash=sa.bindparam("h")),
            updates,
        )
        last_id = rows[-1]["id"]
