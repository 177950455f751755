"""The explicit state machine: which action may move a case from which state to which."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cases.errors import IllegalTransition, NotFound
from cases.models import Assignment, Case, CaseState

S = CaseState

# action -> (allowed from-states, to-state or None when the state is kept / decided by the action)
TRANSITIONS: dict[str, tuple[frozenset[CaseState], CaseState | None]] = {
    "triage": (frozenset({S.DETECTED, S.TRIAGED}), S.TRIAGED),
    "exclude": (frozenset({S.DETECTED, S.TRIAGED}), S.EXCLUDED),
    "reinstate": (frozenset({S.EXCLUDED}), S.DETECTED),
    "route": (frozenset({S.TRIAGED}), S.ROUTED),
    "reroute": (frozenset({S.RETURNED}), S.ROUTED),
    "receive": (frozenset({S.ROUTED, S.IN_WORK}), S.IN_WORK),
    "return_not_competent": (frozenset({S.ROUTED, S.IN_WORK}), None),  # RETURNED once no agency is left
    "submit_draft": (frozenset({S.IN_WORK, S.REVISION, S.AWAITING_FINAL}), S.UNDER_APPROVAL),
    "submit_contribution": (frozenset({S.IN_WORK}), S.IN_WORK),
    "write_joint_draft": (frozenset({S.IN_WORK, S.REVISION}), S.UNDER_APPROVAL),
    "approve": (frozenset({S.UNDER_APPROVAL}), S.APPROVED),
    "return_for_revision": (frozenset({S.UNDER_APPROVAL}), S.REVISION),
    "published": (frozenset({S.APPROVED}), None),  # PUBLISHED, AWAITING_FINAL or IN_WORK by reply kind
    "link_repeat": (frozenset(CaseState) - {S.PUBLISHED}, None),
}

STATE_LABELS_RU = {
    S.DETECTED: "выявлено",
    S.EXCLUDED: "исключено (п. 22)",
    S.TRIAGED: "классифицировано",
    S.ROUTED: "направлено в орган",
    S.RETURNED: "возвращено как не относящееся к компетенции",
    S.IN_WORK: "в работе",
    S.UNDER_APPROVAL: "на согласовании",
    S.REVISION: "на доработке",
    S.APPROVED: "согласовано",
    S.AWAITING_FINAL: "дан промежуточный ответ",
    S.PUBLISHED: "ответ опубликован",
}


def check(case: Case, action: str) -> CaseState | None:
    allowed, target = TRANSITIONS[action]
    if CaseState(case.state) not in allowed:
        raise IllegalTransition(
            f"Дело {case.id}: действие «{action}» невозможно в состоянии «{STATE_LABELS_RU[CaseState(case.state)]}»"
        )
    return target


def load_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"Дело {case_id} не найдено")
    return case


def load_assignment(session: Session, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(f"Поручение {assignment_id} не найдено")
    return assignment
