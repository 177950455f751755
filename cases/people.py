"""Who may do what (R6, R8.1) and who stands in for whom (R8.2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from cases.errors import InvalidInput, NotFound, PermissionDenied
from cases.journal import SYSTEM, record_admin
from cases.models import Absence, AbsenceReason, Assignment, AssignmentState, Person, Role

ACTIVE_ASSIGNMENT = (AssignmentState.ROUTED.value, AssignmentState.RECEIVED.value)


def get_person(session: Session, actor: Person | str) -> Person:
    """Resolve a login; inactive accounts act as nobody."""
    if isinstance(actor, Person):
        person: Person | None = actor
    else:
        person = session.scalar(select(Person).where(Person.login == actor))
    if person is None:
        raise PermissionDenied(f"Пользователь {actor!s} не найден")
    if not person.active:
        raise PermissionDenied(f"Учётная запись {person.login} отключена")
    return person


def require_curator(session: Session, actor: Person | str, what: str) -> Person:
    """R6: only curators detect, route and approve."""
    person = get_person(session, actor)
    if person.role != Role.CURATOR:
        raise PermissionDenied(f"Действие «{what}» доступно только куратору (роль {person.login}: {person.role})")
    return person


def require_agency_member(session: Session, actor: Person | str, agency_code: str, what: str) -> Person:
    """Executors and leads act only for their own agency."""
    person = get_person(session, actor)
    if person.role not in (Role.EXECUTOR, Role.AGENCY_LEAD) or person.agency_code != agency_code:
        raise PermissionDenied(f"Действие «{what}» доступно только исполнителю или руководителю {agency_code}")
    return person


def absence_at(session: Session, person: Person, at: datetime) -> Absence | None:
    return session.scalar(
        select(Absence)
        .where(Absence.person_id == person.id, Absence.starts_at <= at, Absence.ends_at > at)
        .order_by(Absence.starts_at.desc())
        .limit(1)
    )


def stand_in(session: Session, person: Person, at: datetime) -> Person:
    """R8.2: follow the substitute chain past everyone absent at ``at`` (cycles stop at the last present)."""
    seen = {person.id}
    current = person
    while (absence := absence_at(session, current, at)) is not None:
        sub = absence.substitute
        if sub.id in seen or not sub.active:
            break
        seen.add(sub.id)
        current = sub
    return current


def _open_load(session: Session, person_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Assignment.id)).where(
                Assignment.executor_id == person_id, Assignment.state.in_(ACTIVE_ASSIGNMENT)
            )
        )
        or 0
    )


def pick_executor(session: Session, agency_code: str, at: datetime) -> Person | None:
    """The present executor of the agency with the fewest open assignments (ties: lowest id)."""
    executors = list(
        session.scalars(
            select(Person)
            .where(Person.agency_code == agency_code, Person.role == Role.EXECUTOR.value, Person.active)
            .order_by(Person.id)
        )
    )
    present = [p for p in executors if absence_at(session, p, at) is None]
    if present:
        return min(present, key=lambda p: (_open_load(session, p.id), p.id))
    if executors:
        return stand_in(session, executors[0], at)
    return None


def add_absence(
    session: Session,
    actor: Person | str,
    person_login: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    substitute_login: str,
    now: datetime,
) -> Absence:
    """R8.2: record an absence; an admin, a curator or the person's agency lead may do it."""
    who = get_person(session, actor)
    person = session.scalar(select(Person).where(Person.login == person_login))
    sub = session.scalar(select(Person).where(Person.login == substitute_login))
    if person is None or sub is None:
        raise NotFound("Сотрудник или заместитель не найден")
    allowed = who.role in (Role.ADMIN, Role.CURATOR) or (
        who.role == Role.AGENCY_LEAD and who.agency_code == person.agency_code
    )
    if not allowed:
        raise PermissionDenied("Отсутствие может внести администратор, куратор или руководитель органа")
    if reason not in {r.value for r in AbsenceReason}:
        raise InvalidInput(f"Неизвестная причина отсутствия: {reason!r}")
    if ends_at <= starts_at:
        raise InvalidInput("Дата окончания отсутствия должна быть позже даты начала")
    if sub.id == person.id or not sub.active:
        raise InvalidInput("Заместителем должен быть другой действующий сотрудник")
    absence = Absence(person_id=person.id, starts_at=starts_at, ends_at=ends_at, reason=reason, substitute_id=sub.id)
    session.add(absence)
    record_admin(
        session,
        who.login,
        "absence_added",
        now,
        details={
            "person": person.login,
            "substitute": sub.login,
            "reason": reason,
            "from": starts_at.isoformat(),
            "to": ends_at.isoformat(),
        },
    )
    session.flush()
    if starts_at <= now < ends_at:
        reassign_absent(session, now)
    return absence


def reassign_absent(session: Session, now: datetime) -> list[int]:
    """R8.2: open assignments of executors absent now go to their stand-ins; returns moved assignment ids."""
    from cases.journal import record

    moved: list[int] = []
    rows = session.scalars(
        select(Assignment)
        .join(Absence, and_(Absence.person_id == Assignment.executor_id))
        .where(Assignment.state.in_(ACTIVE_ASSIGNMENT), Absence.starts_at <= now, Absence.ends_at > now)
        .distinct()
    )
    for assignment in list(rows):
        if assignment.executor is None:
            continue
        sub = stand_in(session, assignment.executor, now)
        if sub.id == assignment.executor_id:
            continue
        old = assignment.executor.login
        assignment.executor_id = sub.id
        assignment.executor = sub
        record(
            session,
            assignment.case,
            SYSTEM,
            "substitute_assigned",
            now,
            agency=assignment.agency_code,
            details={"assignment_id": assignment.id, "from": old, "to": sub.login},
        )
        moved.append(assignment.id)
    session.flush()
    return moved
