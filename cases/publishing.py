"""Recording the publisher's outcome (R16, R17, R27); idempotent on ``reply_id``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import outbox, states, timers
from cases.config import CaseConfig, default_config
from cases.errors import InvalidInput, NotFound, PermissionDenied
from cases.journal import record
from cases.models import AssignmentState, CaseState, Draft, DraftKind, Person, Role
from cases.people import get_person
from schemas import Alert, AlertKind, ReplyPublished, Topic

PUBLISHER = "publisher"


@dataclass(frozen=True)
class PublishOutcome:
    case_id: int
    applied: bool
    state: str


def apply_published(
    session: Session,
    message: ReplyPublished,
    now: datetime,
    *,
    config: CaseConfig | None = None,
    actor: str = PUBLISHER,
) -> PublishOutcome:
    """Success closes the case (final), opens R17 (interim) or returns it to work (clarification)."""
    config = config or default_config()
    draft = session.scalar(select(Draft).where(Draft.reply_id == message.reply_id))
    if draft is None:
        raise NotFound(f"Ответ {message.reply_id} не найден")
    case = draft.case
    if draft.published_at is not None:
        return PublishOutcome(case.id, False, case.state)
    if not message.ok:
        error = (message.error or "неизвестная ошибка")[:2000]
        if draft.publish_error == error and not message.permanent:
            return PublishOutcome(case.id, False, case.state)
        draft.publish_error = error
        record(
            session,
            case,
            actor,
            "publish_failed",
            now,
            details={"reply_id": message.reply_id, "error": error, "permanent": message.permanent},
        )
        if message.permanent:
            alert = Alert(
                alert_id=f"publish-failed-{message.reply_id}",
                kind=AlertKind.PUBLISH_FAILED,
                case_id=case.id,
                title=f"Ответ по делу {case.id} не опубликован",
                body="Публикация невозможна, требуется разместить ответ вручную.",
                recipients=["curator"],
                created_at=now,
                data={"reply_id": message.reply_id},
            )
            outbox.put(session, Topic.ALERTS, str(case.id), alert, alert.alert_id, now)
        return PublishOutcome(case.id, True, case.state)

    states.check(case, "published")
    # A service publication counts for the reply's author on the answer's clocks; posting itself was the service's.
    by_hand = actor != PUBLISHER
    author = None if by_hand else session.get(Person, draft.author_id)
    person = author.login if author is not None else actor
    published_at = message.published_at or now
    draft.published_at, draft.published_url, draft.publish_error = published_at, message.url, None
    timers.stop(session, case, ["posting"], now, reason="published", config=config,
                person=actor if by_hand else None)
    details = {
        "reply_id": message.reply_id,
        "url": message.url,
        "kind": draft.kind,
        "published_at": published_at.isoformat(),
    }
    if draft.kind == DraftKind.INTERIM:
        timers.stop(session, case, ["reply"], now, reason="interim_published", config=config, person=person)
        record(session, case, actor, "published", now, to_state=CaseState.AWAITING_FINAL.value, details=details)
        timers.start(session, config, case, "final_after_interim", published_at, now)
    elif draft.kind == DraftKind.CLARIFICATION:
        record(session, case, actor, "published", now, to_state=CaseState.IN_WORK.value, details=details)
    else:
        timers.stop(session, case, None, now, reason="final_published", config=config, person=person)
        for assignment in case.assignments:
            if assignment.state in (AssignmentState.ROUTED, AssignmentState.RECEIVED, AssignmentState.CONTRIBUTED):
                assignment.state = AssignmentState.CLOSED.value
        case.closed_at = now
        record(session, case, actor, "published", now, to_state=CaseState.PUBLISHED.value, details=details)
    return PublishOutcome(case.id, True, case.state)


def record_posted_by_hand(
    session: Session,
    actor: Person | str,
    case_id: int,
    url: str,
    now: datetime,
    *,
    config: CaseConfig | None = None,
) -> PublishOutcome:
    """R16 where the network cannot be posted to automatically: the executor posts and records the link."""
    case = states.load_case(session, case_id)
    states.check(case, "published")
    draft = next((d for d in reversed(case.drafts) if d.reply_id and d.published_at is None), None)
    if draft is None or draft.reply_id is None:
        raise NotFound(f"Дело {case_id}: нет согласованного ответа для публикации")
    agencies = {a.agency_code for a in case.assignments}
    person = get_person(session, actor)
    if not (
        person.role == Role.CURATOR
        or (person.role in (Role.EXECUTOR, Role.AGENCY_LEAD) and person.agency_code in agencies)
    ):
        raise PermissionDenied("Отметить публикацию может исполнитель органа по делу или куратор")
    link = (url or "").strip()
    if not link.startswith(("https://", "http://")) or len(link) > 1000:
        raise InvalidInput("Укажите ссылку на опубликованный ответ (http/https, не длиннее 1000 символов)")
    message = ReplyPublished(reply_id=draft.reply_id, case_id=case.id, ok=True, url=link, published_at=now)
    return apply_published(session, message, now, config=config, actor=person.login)
