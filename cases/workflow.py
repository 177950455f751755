"""Curator and agency actions from detection to work (R6, R7, R9, R10, R19.1, R22).

Every function takes ``now`` explicitly (tests run a simulated clock), checks role and state before
touching anything, and leaves the audit record, clock changes and outbox events in the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases import outbox, states, timers
from cases.config import CaseConfig, default_config
from cases.errors import IllegalTransition, InvalidInput, NotFound, PermissionDenied, ReturnWindowClosed
from cases.intake import start_detection_clocks
from cases.journal import record
from cases.models import OPEN_STATES, Agency, Assignment, AssignmentState, Case, CaseState, Person, SuggestionRow
from cases.people import pick_executor, require_agency_member, require_curator
from schemas import Alert, AlertKind, Importance, Topic

ACTIVE = (AssignmentState.ROUTED.value, AssignmentState.RECEIVED.value, AssignmentState.CONTRIBUTED.value)


def _text(value: str | None, what: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"Не заполнено: {what}")
    if len(value) > limit:
        raise InvalidInput(f"Слишком длинно ({what}): не более {limit} символов")
    return value


def latest_suggestion(session: Session, case: Case) -> dict[str, Any]:
    row = session.scalar(
        select(SuggestionRow).where(SuggestionRow.post_id == case.post_id).order_by(SuggestionRow.id.desc()).limit(1)
    )
    return dict(row.data) if row is not None else {}


def _suggested_fields(suggestion: dict[str, Any]) -> dict[str, object]:
    """The classifier's first choices, in the shape of the curator's decision."""
    topics = suggestion.get("topics") or [{}]
    location = suggestion.get("location") or {}
    importance = suggestion.get("importance") or {}
    return {
        "topic": topics[0].get("topic"),
        "municipality": location.get("municipality"),
        "importance": importance.get("label"),
    }


def active_assignments(case: Case) -> list[Assignment]:
    return [a for a in case.assignments if a.state in ACTIVE]


def is_joint(case: Case) -> bool:
    """R18: more than one agency still working on the case."""
    return len(active_assignments(case)) > 1


def triage(
    session: Session,
    actor: Person | str,
    case_id: int,
    *,
    topic: str,
    municipality: str | None,
    importance: str,
    now: datetime,
    shortened: bool = False,
    topic_group: str | None = None,
    settlement: str | None = None,
    address: str | None = None,
    config: CaseConfig | None = None,
) -> Case:
    """R7.1/R7.2: the curator's decision, kept beside the suggestion it may overrule."""
    config = config or default_config()
    curator = require_curator(session, actor, "классификация")
    case = states.load_case(session, case_id)
    target = states.check(case, "triage")
    try:
        importance = Importance(importance).value
    except ValueError as exc:
        raise InvalidInput(f"Неизвестная категория важности: {importance!r}") from exc
    was_high = case.importance == Importance.HIGH and case.triaged_at is not None
    case.topic = _text(topic, "тема", 100)
    case.topic_group = topic_group
    case.municipality = municipality
    case.settlement, case.address = settlement, address
    case.importance, case.shortened = importance, bool(shortened)
    case.triaged_by, case.triaged_at = curator.id, now
    decision = {
        "topic": case.topic,
        "topic_group": topic_group,
        "municipality": municipality,
        "settlement": settlement,
        "importance": importance,
        "shortened": case.shortened,
    }
    suggestion = latest_suggestion(session, case)
    record(
        session,
        case,
        curator.login,
        "triaged",
        now,
        to_state=target,
        details={
            "decision": decision,
            "suggestion": suggestion,
            # the analytics contract (docs/analytics.md): one flat pair per field the curator decides
            "post_uid": case.post.uid,
            "suggested": _suggested_fields(suggestion),
            "decided": {"topic": case.topic, "municipality": municipality, "importance": importance},
        },
    )
    if case.detected_at is None:  # detection = the curator's marking (setting), or reinstated later
        start_detection_clocks(session, config, case, now, now)
    else:
        timers.recompute(session, config, case, now)
    if importance == Importance.HIGH and not was_high:
        _governor_alert(session, case, now)
    return case


def set_importance(
    session: Session,
    actor: Person | str,
    case_id: int,
    importance: str,
    now: datetime,
    *,
    shortened: bool | None = None,
    config: CaseConfig | None = None,
) -> Case:
    """R12/R7.2 after triage: public activity grew, so the curator raises importance or shortens the term;
    open clocks are re-derived from their original start."""
    config = config or default_config()
    curator = require_curator(session, actor, "изменение категории важности")
    case = states.load_case(session, case_id)
    if CaseState(case.state) not in OPEN_STATES or case.state == CaseState.DETECTED:
        raise IllegalTransition(f"Дело {case.id}: важность меняется у классифицированного открытого дела")
    try:
        value = Importance(importance).value
    except ValueError as exc:
        raise InvalidInput(f"Неизвестная категория важности: {importance!r}") from exc
    before = {"importance": case.importance, "shortened": case.shortened}
    raised = value == Importance.HIGH and case.importance != Importance.HIGH
    case.importance = value
    if shortened is not None:
        case.shortened = bool(shortened)
    record(
        session,
        case,
        curator.login,
        "importance_changed",
        now,
        details={"before": before, "after": {"importance": case.importance, "shortened": case.shortened}},
    )
    timers.recompute(session, config, case, now)
    if raised:
        _governor_alert(session, case, now)
    return case


def _governor_alert(session: Session, case: Case, now: datetime) -> None:
    """R26: a high-importance post is reported to the Governor at once."""
    alert = Alert(
        alert_id=f"high-importance-{case.id}",
        kind=AlertKind.HIGH_IMPORTANCE,
        case_id=case.id,
        title=f"Сообщение высокой важности: дело {case.id}",
        body=f"Тема: {case.topic}; территория: {case.municipality or 'не указана'}",
        recipients=["governor", "curator"],
        created_at=now,
        data={"post_url": case.post.url},
    )
    outbox.put(session, Topic.ALERTS, str(case.id), alert, alert.alert_id, now)


def exclude(session: Session, actor: Person | str, case_id: int, reason: str, now: datetime) -> Case:
    """R22: recorded as excluded with the reason, never silently dropped."""
    curator = require_curator(session, actor, "исключение")
    case = states.load_case(session, case_id)
    target = states.check(case, "exclude")
    case.excluded_reason = _text(reason, "причина исключения", 2000)
    timers.stop(session, case, None, now, reason="excluded", person=curator.login)
    record(session, case, curator.login, "excluded", now, to_state=target, details={"reason": case.excluded_reason})
    return case


def reinstate(
    session: Session, actor: Person | str, case_id: int, now: datetime, *, config: CaseConfig | None = None
) -> Case:
    """The curator overrules an R22 exclusion; the post counts as detected now."""
    config = config or default_config()
    curator = require_curator(session, actor, "возврат в работу")
    case = states.load_case(session, case_id)
    target = states.check(case, "reinstate")
    previous = case.excluded_reason
    case.excluded_reason = None
    case.detected_at = None
    record(session, case, curator.login, "reinstated", now, to_state=target, details={"was_excluded_for": previous})
    if config.detection_event == "surfaced":
        start_detection_clocks(session, config, case, now, now)
    return case


def _agencies(session: Session, codes: Sequence[str]) -> list[Agency]:
    if not codes:
        raise InvalidInput("Не выбран ни один орган")
    if len(set(codes)) != len(codes):
        raise InvalidInput("Орган указан дважды")
    found: list[Agency] = []
    for code in codes:
        agency = session.get(Agency, code)
        if agency is None or not agency.active:
            raise NotFound(f"Орган {code} не найден")
        found.append(agency)
    return found


def route(
    session: Session,
    actor: Person | str,
    case_id: int,
    agencies: Sequence[str],
    now: datetime,
    *,
    config: CaseConfig | None = None,
) -> list[Assignment]:
    """R7.3 (and R10 for a returned case): send to agencies; list order is the contribution order (R18.1)."""
    config = config or default_config()
    curator = require_curator(session, actor, "направление в орган")
    case = states.load_case(session, case_id)
    rerouting = case.state == CaseState.RETURNED
    target = states.check(case, "reroute" if rerouting else "route")
    chosen = _agencies(session, agencies)
    round_no = 1 + int(
        session.scalar(select(func.coalesce(func.max(Assignment.round_no), 0)).where(Assignment.case_id == case.id))
        or 0
    )
    created: list[Assignment] = []
    for order, agency in enumerate(chosen, start=1):
        executor = pick_executor(session, agency.code, now)
        assignment = Assignment(
            case_id=case.id,
            agency_code=agency.code,
            order_no=order,
            round_no=round_no,
            executor_id=executor.id if executor else None,
            state=AssignmentState.ROUTED.value,
            routed_at=now,
        )
        case.assignments.append(assignment)  # collection loads first, so no duplicate
        session.add(assignment)
        created.append(assignment)
    session.flush()
    timers.stop(session, case, ["rerouting" if rerouting else "routing"], now, reason="routed", config=config,
                person=curator.login)
    record(
        session,
        case,
        curator.login,
        "rerouted" if rerouting else "routed",
        now,
        to_state=target,
        details={
            "agencies": [a.code for a in chosen],
            "round": round_no,
            "executors": {a.agency_code: (a.executor.login if a.executor else None) for a in created},
        },
    )
    return created


def receive(
    session: Session, actor: Person | str, assignment_id: int, now: datetime, *, config: CaseConfig | None = None
) -> Assignment:
    """Receipt by the agency: opens the R9 return window and, in a joint case, the R18.2 contribution clock."""
    config = config or default_config()
    assignment = states.load_assignment(session, assignment_id)
    person = require_agency_member(session, actor, assignment.agency_code, "приём в работу")
    case = assignment.case
    target = states.check(case, "receive")
    if assignment.state != AssignmentState.ROUTED:
        raise IllegalTransition(f"Поручение {assignment.id} уже принято или возвращено")
    assignment.state = AssignmentState.RECEIVED.value
    assignment.received_at = now
    if person.role == "executor":
        assignment.executor_id, assignment.executor = person.id, person
    record(
        session,
        case,
        person.login,
        "received",
        now,
        to_state=target,
        agency=assignment.agency_code,
        details={"assignment_id": assignment.id},
    )
    timers.start(session, config, case, "competence_return", now, now, assignment)
    if is_joint(case):
        timers.start(session, config, case, "contribution", now, now, assignment)
    return assignment


def return_not_competent(
    session: Session,
    actor: Person | str,
    assignment_id: int,
    reason: str,
    now: datetime,
    *,
    config: CaseConfig | None = None,
) -> Assignment:
    """R9: within 30 minutes of receipt, with a reason; when no agency is left the curator re-routes (R10)."""
    config = config or default_config()
    assignment = states.load_assignment(session, assignment_id)
    person = require_agency_member(session, actor, assignment.agency_code, "возврат как не относящегося к компетенции")
    case = assignment.case
    states.check(case, "return_not_competent")
    if assignment.state not in (AssignmentState.ROUTED, AssignmentState.RECEIVED):
        raise IllegalTransition(f"Поручение {assignment.id} нельзя вернуть в состоянии {assignment.state}")
    window = [c for c in case.clocks if c.kind == "competence_return" and c.assignment_id == assignment.id]
    if window and (now > window[-1].due_at or (window[-1].stopped_at is not None and window[-1].stopped_at < now)):
        raise ReturnWindowClosed(
            f"Срок возврата (30 минут с момента получения) истёк или дело уже в работе: {window[-1].due_at.isoformat()}"
        )
    text = _text(reason, "причина возврата", 2000)
    if assignment.received_at is None:
        assignment.received_at = now
    assignment.state = AssignmentState.RETURNED.value
    assignment.returned_at, assignment.returned_reason = now, text
    timers.stop(session, case, ["competence_return", "contribution"], now, assignment, reason="returned", config=config,
                person=person.login)
    left = active_assignments(case)
    to_state = None if left else CaseState.RETURNED.value
    record(
        session,
        case,
        person.login,
        "returned_not_competent",
        now,
        to_state=to_state,
        agency=assignment.agency_code,
        details={"assignment_id": assignment.id, "reason": text},
    )
    if not left:
        timers.start(session, config, case, "rerouting", now, now)
    elif len(left) == 1 and left[0].state == AssignmentState.RECEIVED:
        # no longer joint: the remaining agency drafts the reply itself (R13), no part is due (R18.2)
        timers.stop(session, case, ["contribution"], now, left[0], reason="no_longer_joint", config=config,
                    person=person.login)
    return assignment


def link_repeat(
    session: Session, actor: Person | str, case_id: int, earlier_case_ids: Sequence[int], now: datetime
) -> Case:
    """R19.1: the curator links a repeat post to the earlier case(s) it repeats."""
    curator = require_curator(session, actor, "связь с предыдущим обращением")
    case = states.load_case(session, case_id)
    states.check(case, "link_repeat")
    added: list[int] = []
    for earlier_id in earlier_case_ids:
        if earlier_id == case.id:
            raise InvalidInput("Дело не может быть повтором самого себя")
        earlier = states.load_case(session, earlier_id)
        if earlier not in case.repeat_of:
            case.repeat_of.append(earlier)
            added.append(earlier.id)
    record(session, case, curator.login, "linked_repeat", now, details={"repeat_of": added})
    return case


__all__ = [
    "PermissionDenied",
    "active_assignments",
    "exclude",
    "is_joint",
    "link_repeat",
    "receive",
    "reinstate",
    "return_not_competent",
    "route",
    "triage",
]
