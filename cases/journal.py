"""Every action leaves two traces in one transaction: an audit record (R23) and a case event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cases import outbox
from cases.models import AuditRecord, Case
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
) -> None:
    """Audit + event; moves the case to ``to_state`` when given."""
    from_state = None if event_type == CaseEventType.OPENED else case.state
    if to_state is not None:
        case.state = to_state
    case.updated_at = now
    details = dict(details or {})
    session.add(
        AuditRecord(
            case_id=case.id,
            actor=actor,
            at=now,
            action=action,
            from_state=from_state,
            to_state=case.state,
            details=details,
        )
    )
    emit(
        session,
        case,
        event_type,
        now,
        actor=actor,
        from_state=from_state,
        to_state=case.state,
        agency=agency,
        data={"action": action, **details},
    )
