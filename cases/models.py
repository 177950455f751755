"""Tables of the workflow database. Migrations in ``cases/migrations`` create exactly these."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, configure_mappers, mapped_column, relationship
from sqlalchemy.orm.instrumentation import manager_of_class

from cases.db import UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger ids that still autoincrement on SQLite (which only does so for INTEGER).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}  # noqa: RUF012


class Role(StrEnum):
    CURATOR = "curator"
    AGENCY_LEAD = "agency_lead"
    EXECUTOR = "executor"
    ANALYST = "analyst"
    ADMIN = "admin"


class AbsenceReason(StrEnum):
    SICK = "sick"
    VACATION = "vacation"
    TRIP = "trip"
    STUDY = "study"
    OTHER = "other"


class CaseState(StrEnum):
    DETECTED = "detected"
    EXCLUDED = "excluded"
    TRIAGED = "triaged"
    ROUTED = "routed"
    RETURNED = "returned"
    IN_WORK = "in_work"
    UNDER_APPROVAL = "under_approval"
    REVISION = "revision"
    APPROVED = "approved"
    AWAITING_FINAL = "awaiting_final"
    PUBLISHED = "published"


OPEN_STATES = frozenset(CaseState) - {CaseState.EXCLUDED, CaseState.PUBLISHED}


class AssignmentState(StrEnum):
    ROUTED = "routed"
    RECEIVED = "received"
    RETURNED = "returned"
    CONTRIBUTED = "contributed"
    CLOSED = "closed"


class DraftKind(StrEnum):
    FINAL = "final"
    INTERIM = "interim"
    CLARIFICATION = "clarification"
    CONTRIBUTION = "contribution"
    JOINT = "joint"


class Decision(StrEnum):
    APPROVED = "approved"
    RETURNED = "returned"


class Agency(Base):
    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))  # regional | municipal
    municipality: Mapped[str | None] = mapped_column(String(64))
    sphere: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    agency: Mapped[Agency | None] = relationship()


class Absence(Base):
    """R8.2: while a person is absent, their cases go to ``substitute``."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(16))
    substitute_id: Mapped[int] = mapped_column(ForeignKey("people.id"))

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    substitute: Mapped[Person] = relationship(foreign_keys=[substitute_id])


class PostRow(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(255), unique=True)
    network: Mapped[str] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(String(1000))
    author_id: Mapped[str] = mapped_column(String(255))
    author_name: Mapped[str | None] = mapped_column(String(300))
    author_url: Mapped[str | None] = mapped_column(String(1000))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    collected_at: Mapped[datetime]
    surfaced_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SuggestionRow(Base):
    """What the classifier suggested for one post version, kept beside the curator's decision (R7.1)."""

    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    post_version: Mapped[int] = mapped_column(Integer)
    model_version: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


case_repeats = Table(
    "case_repeats",
    Base.metadata,
    Column("case_id", ForeignKey("cases.id"), primary_key=True),
    Column("earlier_case_id", ForeignKey("cases.id"), primary_key=True),
)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), unique=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    topic: Mapped[str | None] = mapped_column(String(100))
    topic_group: Mapped[str | None] = mapped_column(String(100))
    municipality: Mapped[str | None] = mapped_column(String(64))
    settlement: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    importance: Mapped[str] = mapped_column(String(16), default="normal")
    shortened: Mapped[bool] = mapped_column(Boolean, default=False)
    detected_at: Mapped[datetime | None]
    excluded_reason: Mapped[str | None] = mapped_column(Text)
    triaged_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    triaged_at: Mapped[datetime | None]
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # Head of this case's audit chain (R23): kept here so appending needs no query and a cut tail shows.
    audit_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    audit_hash: Mapped[str | None] = mapped_column(String(64))

    post: Mapped[PostRow] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="case", order_by="Assignment.order_no, Assignment.id"
    )
    drafts: Mapped[list[Draft]] = relationship(back_populates="case", order_by="Draft.id")
    clocks: Mapped[list[Clock]] = relationship(back_populates="case", order_by="Clock.id")
    repeat_of: Mapped[list[Case]] = relationship(
        secondary=case_repeats,
        primaryjoin=lambda: Case.id == case_repeats.c.case_id,
        secondaryjoin=lambda: Case.id == case_repeats.c.earlier_case_id,
    )

    @property
    def is_repeat(self) -> bool:
        return bool(self.repeat_of)


class Assignment(Base):
    """One agency's part in a case; ``order_no`` is the curator's order for joint cases (R18.1)."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    order_no: Mapped[int] = mapped_column(Integer, default=1)
    round_no: Mapped[int] = mapped_column(Integer, default=1)
    executor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    routed_at: Mapped[datetime]
    received_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    returned_reason: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="assignments")
    agency: Mapped[Agency] = relationship()
    executor: Mapped[Person | None] = relationship()


class Draft(Base):
    """A text on its way to the author; its approval and publication outcome live on it too."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    measures: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)
    reply_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    published_url: Mapped[str | None] = mapped_column(String(1000))
    published_at: Mapped[datetime | None]
    publish_error: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="drafts")
    author: Mapped[Person] = relationship(foreign_keys=[author_id])


class Clock(Base):
    __tablename__ = "clocks"
    __table_args__ = (Index("ix_clocks_open", "stopped_at", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    kind: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    warn_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="clocks")
    assignment: Mapped[Assignment | None] = relationship()


class Breach(Base):
    """A missed deadline, kept as a fact for the R24 deficiencies report."""

    __tablename__ = "breaches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime]
    breached_at: Mapped[datetime]


class AuditRecord(Base):
    """Append-only (R23): the ORM refuses updates/deletes and a database trigger does too.

    Records are hash-chained per case (``cases.auditchain``); the unique (chain, seq) indexes make two
    concurrent writers of one chain conflict instead of forking it. ``seq``/``hash`` are nullable only
    so that a row slipped in behind the journal's back is stored and then reported by ``otklik audit
    verify`` rather than lost.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("uq_audit_log_case_seq", "case_id", "seq", unique=True),
        Index(
            "uq_audit_log_admin_seq",
            "seq",
            unique=True,
            sqlite_where=text("case_id IS NULL"),
            postgresql_where=text("case_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """Head of an audit chain that has no case row to carry it (the ``admin`` chain)."""

    __tablename__ = "audit_heads"

    chain: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str | None] = mapped_column(String(64))


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("topic", "event_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None] = mapped_column(index=True)


_Row = TypeVar("_Row", bound=Base)


def new_row(cls: type[_Row], **values: Any) -> _Row:
    """A new row object with ``values`` put straight into its state, as a load from the database does.

    The constructor fires an attribute event per value, and nothing listens on a new object (a flush
    inserts what its state holds): at intake's six rows per post that was a tenth of its CPU. Names
    that are not attributes of ``cls`` are refused, as the constructor refuses them."""
    manager = manager_of_class(cls)
    if not manager.mapper.configured:  # the constructor would configure them on first use
        configure_mappers()
    unknown = values.keys() - manager.keys()
    if unknown:
        raise TypeError(f"{cls.__name__} has no attribute(s) {sorted(unknown)}")
    row = manager.new_instance()
    row.__dict__.update(values)
    return row


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or remove an audit record."""


class AuditRecordNotChained(RuntimeError):
    """Raised when an audit record is added without going through ``cases.journal``."""


def _refuse(_mapper: Mapper[Any], _conn: Any, target: AuditRecord) -> None:
    raise AuditLogIsAppendOnly(f"audit record {target.id} cannot be changed or deleted")


def _require_chained(_mapper: Mapper[Any], _conn: Any, target: AuditRecord) -> None:
    if target.seq is None or target.hash is None:
        raise AuditRecordNotChained("write audit records through cases.journal.record/record_admin")


event.listen(AuditRecord, "before_update", _refuse)
event.listen(AuditRecord, "before_delete", _refuse)
event.listen(AuditRecord, "before_insert", _require_chained)
