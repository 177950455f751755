"""Drafts, contributions, approval and revision (R13-R15, R18.2-R18.3, R19.2, R21, R23)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from cases import outbox, states, timers
from cases.config import CaseConfig, default_config
from cases.errors import IllegalTransition, InvalidDraft, PermissionDenied
from cases.journal import record
from cases.models import Assignment, AssignmentState, Case, CaseState, Decision, Draft, DraftKind, Person
from cases.people import get_person, require_agency_member, require_curator
from cases.workflow import active_assignments, is_joint
from schemas import Attachment, Network, ReplyApproved, ReplyKind, Topic

REPLY_KINDS = (DraftKind.FINAL, DraftKind.INTERIM, DraftKind.CLARIFICATION)
MEASURES_LIMIT = 4000


def validate_reply(
    config: CaseConfig,
    case: Case,
    kind: DraftKind,
    text: str,
    measures: str | None,
    attachments: Sequence[Attachment],
) -> str:
    """R21 (network format) and R19.2 (a repeat case's final reply reports measures taken)."""
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise InvalidDraft("Текст ответа пуст")
    network = case.post.network
    fmt = config.networks.get(network)
    if fmt is None:
        raise InvalidDraft(f"Для сети {network} не задан формат ответа (networks.yaml)")
    if len(text) > fmt.max_chars:
        raise InvalidDraft(
            f"Ответ длиннее допустимого для сети {network}: {len(text)} символов при пределе {fmt.max_chars}"
        )
    for att in attachments:
        if att.kind not in fmt.attachments:
            raise InvalidDraft(f"Сеть {network} не принимает вложения типа {att.kind}")
    if case.is_repeat and kind in (DraftKind.FINAL, DraftKind.JOINT):
        if not (measures or "").strip():
            raise InvalidDraft("Повторное сообщение: ответ должен сообщать о принятых мерах (п. 19)")
        if len(measures or "") > MEASURES_LIMIT:
            raise InvalidDraft(f"Описание мер длиннее {MEASURES_LIMIT} символов")
    return text


def _working_assignment(case: Case, person: Person) -> Assignment:
    for a in active_assignments(case):
        if a.agency_code == person.agency_code and a.state == AssignmentState.RECEIVED:
            return a
    raise PermissionDenied(f"У органа {person.agency_code} нет принятого поручения по делу {case.id}")


def _new_draft(
    session: Session,
    case: Case,
    kind: DraftKind,
    text: str,
    author: Person,
    now: datetime,
    assignment: Assignment | None = None,
    measures: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> Draft:
    version = 1 + sum(1 for d in case.drafts if d.kind != DraftKind.CONTRIBUTION)
    draft = Draft(
        case_id=case.id,
        assignment_id=assignment.id if assignment else None,
        kind=kind.value,
        text=text,
        measures=(measures or "").strip() or None,
        attachments=[a.model_dump(mode="json") for a in attachments],
        version=version if kind != DraftKind.CONTRIBUTION else 1,
        author_id=author.id,
        created_at=now,
        sent_at=now,
    )
    case.drafts.append(draft)  # load the collection before the new row is pending (no duplicate)
    session.add(draft)
    session.flush()
    return draft


def submit_draft(
    session: Session,
    actor: Person | str,
    case_id: int,
    kind: str,
    text: str,
    now: datetime,
    *,
    measures: str | None = None,
    attachments: Sequence[Attachment] = (),
    config: CaseConfig | None = None,
) -> Draft:
    """R13.1: the executor sends a final reply, an interim reply or a clarification request to the curator."""
    config = config or default_config()
    person = get_person(session, actor)
    case = states.load_case(session, case_id)
    target = states.check(case, "submit_draft")
    try:
        dkind = DraftKind(kind)
    except ValueError as exc:
        raise InvalidDraft(f"Неизвестный вид проекта: {kind!r}") from exc
    if dkind not in REPLY_KINDS:
        raise InvalidDraft("Исполнитель направляет проект ответа, промежуточного ответа или запроса уточнений")
    if is_joint(case):
        raise IllegalTransition("Совместное дело: органы направляют свою часть, итоговый проект готовит куратор")
    if case.state == CaseState.AWAITING_FINAL and dkind != DraftKind.FINAL:
        raise IllegalTransition("После промежуточного ответа ожидается окончательный ответ")
    assignment = _working_assignment(case, person)
    require_agency_member(session, person, assignment.agency_code, "подготовка проекта ответа")
    body = validate_reply(config, case, dkind, text, measures, attachments)
    draft = _new_draft(session, case, dkind, body, person, now, assignment, measures, attachments)
    stop = ["competence_return", "draft", "revision"] + (["final_after_interim"] if dkind == DraftKind.FINAL else [])
    timers.stop(session, case, stop, now, reason="draft_sent", config=config, person=person.login)
    record(
        session,
        case,
        person.login,
        "draft_sent",
        now,
        to_state=target,
        agency=assignment.agency_code,
        details={
            "draft_id": draft.id,
            "kind": dkind.value,
            "version": draft.version,
            "author": person.login,
            "sent_at": now.isoformat(),
        },
    )
    timers.start(session, config, case, "approval", now, now)
    return draft


def submit_contribution(
    session: Session,
    actor: Person | str,
    assignment_id: int,
    text: str,
    now: datetime,
) -> Draft:
    """R18.2: in a joint case each agency sends its part to the curator."""
    assignment = states.load_assignment(session, assignment_id)
    person = require_agency_member(session, actor, assignment.agency_code, "направление части ответа")
    case = assignment.case
    target = states.check(case, "submit_contribution")
    if assignment.state != AssignmentState.RECEIVED:
        raise IllegalTransition(f"Поручение {assignment.id}: часть ответа уже направлена или поручение не принято")
    body = (text or "").replace("\x00", "").strip()
    if not body or len(body) > 20_000:
        raise InvalidDraft("Часть ответа пуста или длиннее 20000 символов")
    draft = _new_draft(session, case, DraftKind.CONTRIBUTION, body, person, now, assignment)
    assignment.state = AssignmentState.CONTRIBUTED.value
    timers.stop(session, case, ["contribution", "competence_return"], now, assignment, reason="contributed",
                person=person.login)
    record(
        session,
        case,
        person.login,
        "contribution_sent",
        now,
        to_state=target,
        agency=assignment.agency_code,
        details={
            "draft_id": draft.id,
            "assignment_id": assignment.id,
            "order": assignment.order_no,
            "author": person.login,
            "sent_at": now.isoformat(),
        },
    )
    return draft


def contributions(case: Case) -> list[Draft]:
    """Latest part of each agency, in the curator's order (R18.1)."""
    order = {a.id: (a.round_no, a.order_no) for a in case.assignments}
    parts = [d for d in case.drafts if d.kind == DraftKind.CONTRIBUTION]
    return sorted(parts, key=lambda d: order.get(d.assignment_id or 0, (0, 0)))


def write_joint_draft(
    session: Session,
    actor: Person | str,
    case_id: int,
    text: str,
    now: datetime,
    *,
    measures: str | None = None,
    attachments: Sequence[Attachment] = (),
    config: CaseConfig | None = None,
) -> Draft:
    """R18.3: once every agency sent its part, the curator writes the joint draft (within the R11 clock)."""
    config = config or default_config()
    curator = require_curator(session, actor, "совместный проект ответа")
    case = states.load_case(session, case_id)
    target = states.check(case, "write_joint_draft")
    waiting = [a.agency_code for a in active_assignments(case) if a.state != AssignmentState.CONTRIBUTED]
    if waiting:
        raise IllegalTransition("Не все органы направили свою часть: " + ", ".join(waiting))
    if not contributions(case):
        raise IllegalTransition("Совместный проект готовится по частям органов, а их нет")
    body = validate_reply(config, case, DraftKind.JOINT, text, measures, attachments)
    draft = _new_draft(session, case, DraftKind.JOINT, body, curator, now, None, measures, attachments)
    timers.stop(session, case, ["draft", "revision"], now, reason="joint_draft", config=config, person=curator.login)
    record(
        session,
        case,
        curator.login,
        "joint_draft_written",
        now,
        to_state=target,
        details={
            "draft_id": draft.id,
            "version": draft.version,
            "author": curator.login,
            "parts": [d.id for d in contributions(case)],
        },
    )
    timers.start(session, config, case, "approval", now, now)
    return draft


def pending_draft(case: Case) -> Draft:
    for draft in reversed(case.drafts):
        if draft.kind != DraftKind.CONTRIBUTION and draft.decision is None:
            return draft
    raise IllegalTransition(f"Дело {case.id}: нет проекта на согласовании")


def _reply_kind(kind: str) -> ReplyKind:
    return (
        ReplyKind.INTERIM
        if kind == DraftKind.INTERIM
        else (ReplyKind.CLARIFICATION if kind == DraftKind.CLARIFICATION else ReplyKind.FINAL)
    )


def approve(
    session: Session, actor: Person | str, case_id: int, now: datetime, *, config: CaseConfig | None = None
) -> Draft:
    """R14: the curator approves; the reply goes to the publisher through the outbox (R16 clock starts)."""
    config = config or default_config()
    curator = require_curator(session, actor, "согласование ответа")
    case = states.load_case(session, case_id)
    target = states.check(case, "approve")
    draft = pending_draft(case)
    draft.decision, draft.decided_by, draft.decided_at = Decision.APPROVED.value, curator.id, now
    draft.reply_id = f"reply-{draft.id}"
    timers.stop(session, case, ["approval"], now, reason="approved", config=config, person=curator.login)
    record(
        session,
        case,
        curator.login,
        "approved",
        now,
        to_state=target,
        details={"draft_id": draft.id, "kind": draft.kind, "reply_id": draft.reply_id},
    )
    timers.start(session, config, case, "posting", now, now)
    message = ReplyApproved(
        reply_id=draft.reply_id,
        case_id=case.id,
        post_uid=case.post.uid,
        network=Network(case.post.network),
        kind=_reply_kind(draft.kind),
        text=draft.text,
        attachments=[Attachment.model_validate(a) for a in draft.attachments],
        approved_at=now,
        approved_by=curator.login,
    )
    outbox.put(session, Topic.REPLIES_APPROVED, str(case.id), message, draft.reply_id, now)
    return draft


def return_for_revision(
    session: Session,
    actor: Person | str,
    case_id: int,
    comment: str,
    now: datetime,
    *,
    config: CaseConfig | None = None,
) -> Draft:
    """R14/R15: returned with the curator's comment; the 1-hour revision clock starts."""
    config = config or default_config()
    curator = require_curator(session, actor, "возврат на доработку")
    case = states.load_case(session, case_id)
    target = states.check(case, "return_for_revision")
    note = (comment or "").strip()
    if not note:
        raise InvalidDraft("Укажите, что нужно доработать")
    draft = pending_draft(case)
    draft.decision, draft.decided_by, draft.decided_at, draft.comment = Decision.RETURNED.value, curator.id, now, note
    timers.stop(session, case, ["approval"], now, reason="returned_for_revision", config=config,
                person=curator.login)
    record(
        session,
        case,
        curator.login,
        "returned_for_revision",
        now,
        to_state=target,
        details={"draft_id": draft.id, "comment": note},
    )
    timers.start(session, config, case, "revision", now, now)
    return draft
