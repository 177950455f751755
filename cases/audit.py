"""Proof that the audit log (R23) is intact: every chain re-hashed, linked, numbered and matched to its head.

Two streamed queries (the admin chain, then every case joined to its records), so memory stays bounded
however long the log is. The report ends with an *anchor*: the list of chain heads and its digest.
Kept outside the database, it exposes even a rewrite that recomputed every hash consistently: a later
``verify`` checks that each anchored record is still there with the same hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from cases.auditchain import ADMIN_CHAIN, chain_name, normalize_details, record_hash
from cases.models import AuditHead, AuditRecord, Case

BATCH = 5000
MAX_FINDINGS = 1000
ANCHOR_HEADER = "# otklik audit anchor v1"

_RECORD_COLUMNS: tuple[Any, ...] = (
    AuditRecord.id,
    AuditRecord.case_id,
    AuditRecord.actor,
    AuditRecord.at,
    AuditRecord.action,
    AuditRecord.from_state,
    AuditRecord.to_state,
    cast(AuditRecord.details, Text).label("details_json"),  # parsed per row: bad JSON is a finding, not a crash
    AuditRecord.seq,
    AuditRecord.prev_hash,
    AuditRecord.hash,
)


class AnchorError(ValueError):
    """The anchor file is not one ``otklik audit verify --save-anchor`` wrote."""


@dataclass(frozen=True)
class Finding:
    chain: str
    seq: int | None
    record_id: int | None
    problem: str  # machine-readable code
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "seq": self.seq,
            "record_id": self.record_id,
            "problem": self.problem,
            "message": self.message,
        }


@dataclass(frozen=True)
class Head:
    chain: str
    seq: int
    hash: str

    def line(self) -> str:
        return f"{self.chain} {self.seq} {self.hash}"


@dataclass
class AuditReport:
    records: int = 0
    chains: int = 0
    findings: list[Finding] = field(default_factory=list)
    findings_total: int = 0
    anchor_checked: int = 0
    _digest: Any = field(default_factory=hashlib.sha256, repr=False)

    @property
    def ok(self) -> bool:
        return self.findings_total == 0

    @property
    def anchor(self) -> str:
        """sha256 of the anchor file (header + head lines in walk order): equal digests, identical heads."""
        return str(self._digest.hexdigest())

    def emit(self, line: str, out: TextIO | None) -> None:
        """One anchor line: into the digest and, when saving, into the anchor file (digest == its sha256)."""
        data = line + "\n"
        self._digest.update(data.encode("ascii"))
        if out is not None:
            out.write(data)

    def add(self, finding: Finding) -> None:
        self.findings_total += 1
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "chains": self.chains,
            "findings_total": self.findings_total,
            "findings": [f.to_dict() for f in self.findings],
            "anchor_checked": self.anchor_checked,
            "anchor": self.anchor,
        }


def _chain_key(chain: str) -> tuple[int, int]:
    """Walk order: the admin chain first, then cases by id."""
    if chain == ADMIN_CHAIN:
        return (0, 0)
    kind, _, number = chain.partition(":")
    if kind != "case" or not number.isdigit() or number != str(int(number)):
        raise AnchorError(f"unknown chain name {chain[:40]!r}")
    return (1, int(number))


def read_anchor(lines: Iterable[str]) -> Iterator[Head]:
    """Parse an anchor file lazily, refusing anything malformed or out of order."""
    previous: tuple[int, int] | None = None
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(" ")
        if len(parts) != 3 or not parts[1].isdigit() or len(parts[2]) != 64:
            raise AnchorError(f"anchor line {number} is malformed")
        key = _chain_key(parts[0])
        if previous is not None and key <= previous:
            raise AnchorError(f"anchor line {number} is out of order")
        previous = key
        yield Head(parts[0], int(parts[1]), parts[2])


class _AnchorCursor:
    """Walks the anchor alongside the chains; both are in the same order, so nothing is held in memory."""

    def __init__(self, report: AuditReport, anchor: Iterable[Head] | None) -> None:
        self._report = report
        self._entries = iter(anchor) if anchor is not None else iter(())
        self._next: Head | None = next(self._entries, None)

    def for_chain(self, chain: str) -> Head | None:
        key = _chain_key(chain)
        while self._next is not None and _chain_key(self._next.chain) < key:
            self._lost(self._next)
            self._next = next(self._entries, None)
        if self._next is not None and self._next.chain == chain:
            found, self._next = self._next, next(self._entries, None)
            self._report.anchor_checked += 1
            return found
        return None

    def finish(self) -> None:
        while self._next is not None:
            self._lost(self._next)
            self._next = next(self._entries, None)

    def _lost(self, head: Head) -> None:
        self._report.anchor_checked += 1
        self._report.add(
            Finding(head.chain, head.seq, None, "anchor_chain_missing", "anchored chain is gone from the log")
        )


class _Walk:
    """One chain's records in seq order, compared link by link and then with the stored head."""

    def __init__(self, report: AuditReport, chain: str, case_id: int | None, anchored: Head | None) -> None:
        self.report, self.chain, self.case_id, self.anchored = report, chain, case_id, anchored
        self.expected, self.last_seq, self.seen, self.anchor_seen = 1, 0, 0, False
        self.prev_hash: str | None = None

    def _find(self, seq: int | None, record_id: int | None, problem: str, message: str) -> None:
        self.report.add(Finding(self.chain, seq, record_id, problem, message))

    def add(self, row: Any) -> None:
        self.report.records += 1
        self.seen += 1
        rid, seq, stored = row.id, row.seq, row.hash
        if seq is None or stored is None:
            self._find(seq, rid, "unchained", "record has no seq/hash: written behind the journal's back")
            return
        if seq < self.expected:
            self._find(seq, rid, "seq_repeated", f"seq {seq} repeats or goes back (expected {self.expected})")
        elif seq > self.expected:
            self._find(seq, rid, "seq_gap", f"records {self.expected}..{seq - 1} are missing")
        elif row.prev_hash != self.prev_hash:
            self._find(seq, rid, "broken_link", "prev_hash does not match the previous record's hash")
        try:
            expected_hash = _rehash(self.case_id, row)
        except ValueError as exc:
            self._find(seq, rid, "unreadable", f"record cannot be hashed: {exc}")
            expected_hash = None
        if expected_hash is not None and expected_hash != stored:
            self._find(seq, rid, "hash_mismatch", "content does not match its hash (edited after writing)")
        if self.anchored is not None and seq == self.anchored.seq:
            self.anchor_seen = True
            if stored != self.anchored.hash:
                self._find(seq, rid, "anchor_mismatch", "record differs from the one in the anchor (rewritten)")
        self.prev_hash, self.last_seq, self.expected = stored, seq, seq + 1

    def close(self, head_seq: int, head_hash: str | None) -> None:
        if self.last_seq == 0 and head_seq == 0 and self.case_id is not None:
            self._find(None, None, "no_records", "case has no audit records (every case starts with one)")
        if head_seq > self.last_seq:
            self._find(head_seq, None, "tail_missing", f"records {self.last_seq + 1}..{head_seq} are missing")
        elif head_seq < self.last_seq:
            self._find(self.last_seq, None, "head_behind", f"records after seq {head_seq} are not in the head")
        elif head_hash != self.prev_hash:
            self._find(head_seq, None, "head_mismatch", "stored head hash differs from the last record's hash")
        if self.anchored is not None and not self.anchor_seen:
            self._find(self.anchored.seq, None, "anchor_missing", "anchored record is gone from the chain")
        if self.case_id is not None or head_seq or self.seen:
            self.report.chains += 1


def _rehash(case_id: int | None, row: Any) -> str:
    at: datetime = row.at
    return record_hash(
        case_id=case_id,
        seq=row.seq,
        actor=row.actor,
        at=at,
        action=row.action,
        from_state=row.from_state,
        to_state=row.to_state,
        details=normalize_details(json.loads(row.details_json) if row.details_json is not None else None),
        prev_hash=row.prev_hash,
    )


def verify(
    session: Session,
    *,
    anchor: Iterable[Head] | None = None,
    heads_out: TextIO | None = None,
) -> AuditReport:
    """Walk every chain. ``anchor`` (from ``read_anchor``) is checked on the way; ``heads_out`` receives
    a new anchor file. Run it in one REPEATABLE READ transaction on PostgreSQL for a consistent view."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    report = AuditReport()
    cursor = _AnchorCursor(report, anchor)
    report.emit(ANCHOR_HEADER, heads_out)
    # The head rides along in every row so records and head come from one statement, one snapshot.
    head_of = select(AuditHead).where(AuditHead.chain == ADMIN_CHAIN)
    admin_rows = (
        select(
            *_RECORD_COLUMNS,
            head_of.with_only_columns(AuditHead.seq).scalar_subquery().label("head_seq"),
            head_of.with_only_columns(AuditHead.hash).scalar_subquery().label("head_hash"),
        )
        .where(AuditRecord.case_id.is_(None))
        .order_by(AuditRecord.seq, AuditRecord.id)
        .execution_options(yield_per=BATCH)
    )
    walk = _Walk(report, ADMIN_CHAIN, None, cursor.for_chain(ADMIN_CHAIN))
    admin_head: tuple[int, str | None] | None = None
    for row in session.execute(admin_rows):
        admin_head = (row.head_seq or 0, row.head_hash)
        walk.add(row)
    if admin_head is None:  # no admin records: the head alone must say so too
        only = session.execute(head_of.with_only_columns(AuditHead.seq, AuditHead.hash)).first()
        admin_head = (only.seq, only.hash) if only is not None else (0, None)
    _close(walk, *admin_head, heads_out)

    joined = (
        select(Case.id.label("cid"), Case.audit_seq, Case.audit_hash, *_RECORD_COLUMNS)
        .outerjoin(AuditRecord, AuditRecord.case_id == Case.id)
        .order_by(Case.id, AuditRecord.seq, AuditRecord.id)
        .execution_options(yield_per=BATCH)
    )
    current: _Walk | None = None
    head: tuple[int, str | None] = (0, None)
    for row in session.execute(joined):
        if current is None or current.case_id != row.cid:
            if current is not None:
                _close(current, *head, heads_out)
            name = chain_name(row.cid)
            current = _Walk(report, name, row.cid, cursor.for_chain(name))
            head = (row.audit_seq or 0, row.audit_hash)
        if row.id is not None:
            current.add(row)
    if current is not None:
        _close(current, *head, heads_out)
    cursor.finish()

    orphans = session.scalar(
        select(func.count())
        .select_from(AuditRecord)
        .where(AuditRecord.case_id.is_not(None), ~select(Case.id).where(Case.id == AuditRecord.case_id).exists())
    )
    if orphans:
        report.records += int(orphans)
        report.add(Finding("-", None, None, "orphan_records", f"{orphans} record(s) belong to no existing case"))
    return report


def _close(walk: _Walk, head_seq: int, head_hash: str | None, heads_out: TextIO | None) -> None:
    walk.close(head_seq, head_hash)
    if walk.prev_hash is not None:
        walk.report.emit(Head(walk.chain, walk.last_seq, walk.prev_hash).line(), heads_out)
