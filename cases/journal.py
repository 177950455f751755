"""Every action leaves two traces in one transaction: an audit record (R23) and a case event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cases import outbox
from cases.auditchain import ADMIN_CHAIN, normalize_details, record_hash
from cases.models import AuditHead, AuditRecord, Case, new_row
from schemas import CaseEvent, CaseEventType, Topic

SYSTEM = "system"


def emit(
    session: Session,
    case: Case,
    type_: CaseEventType,
    now: datetime,
    *,
    actor: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    agency: str | None = None,
    clock: str | None = None,
    due_at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent(
        event_id=outbox.new_event_id(),
        case_id=case.id,
        type=type_,
        at=now,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        agency=agency,
        clock=clock,
        due_at=due_at,
        data=data or {},
    )
    outbox.put(session, Topic.CASES_EVENTS, str(case.id), event, event.event_id, now)
    return event


def record(
    session: Session,
    case: Case,
    actor: str,
    action: str,
    now: datetime,
    *,
    to_state: str | None = None,
    agency: str | None = None,
    details: dict[str, Any] | None = None,
    event_type: CaseEventType = CaseEventType.TRANSITION,
    event_data: dict[str, Any] | None = None,
    attach: bool = True,
) -> AuditRecord:
    """Audit + event; moves the case to ``to_state`` when given. Returns the audit record it added.

    ``event_data`` goes on the event only (facts the audit trail keeps elsewhere, e.g. started clocks).
    ``attach=False`` leaves the record out of the session: the caller writes it (intake's COPY)."""
    from_state = None if event_type == CaseEventType.OPENED else case.state
    if to_state is not None:
        case.state = to_state
    case.updated_at = now
    details = normalize_details(details)
    if case.id is None:
        raise ValueError("flush a new case before auditing it: its id is part of the audit chain")
    seq = (case.audit_seq or 0) + 1
    audit = _chained(case.id, seq, case.audit_hash, actor, now, action, from_state, case.state, details)
    case.audit_seq, case.audit_hash = seq, audit.hash
    if attach:
        session.add(audit)
    emit(
        session,
        case,
        event_type,
        now,
        actor=actor,
        from_state=from_state,
        to_state=case.state,
        agency=agency,
        data={"action": action, **details, **(event_data or {})},
    )
    return audit


def record_admin(
    session: Session,
    actor: str,
    action: str,
    now: datetime,
    *,
    details: dict[str, Any] | None = None,
) -> None:
    """Audit an action that belongs to no case (people, roles, region data) on the ``admin`` chain.

    The head row is locked (PostgreSQL) so concurrent admin actions queue instead of conflicting.
    """
    details = normalize_details(details)
    head = session.get(AuditHead, ADMIN_CHAIN, with_for_update=True)
    if head is None:
        head = AuditHead(chain=ADMIN_CHAIN, seq=0, hash=None)
        session.add(head)
    seq = (head.seq or 0) + 1
    audit = _chained(None, seq, head.hash, actor, now, action, None, None, details)
    head.seq, head.hash = seq, audit.hash
    session.add(audit)


def _chained(
    case_id: int | None,
    seq: int,
    prev_hash: str | None,
    actor: str,
    at: datetime,
    action: str,
    from_state: str | None,
    to_state: str | None,
    details: dict[str, Any],
) -> AuditRecord:
    fields: dict[str, Any] = {
        "case_id": case_id, "seq": seq, "prev_hash": prev_hash, "actor": actor, "at": at, "action": action,
        "from_state": from_state, "to_state": to_state, "details": details,
    }
    return new_row(AuditRecord, **fields, hash=record_hash(**fields))
