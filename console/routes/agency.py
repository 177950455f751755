"""Agency pages: inbox (R9, R13.1, R18.2, R21), posting by hand (R16) and absences (R8.2)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import drafting, people, workflow
from cases.models import Absence, Person
from console import queries
from console.actions import ActionFailed, case_config, run
from console.agency_actions import parse_attachments, record_posted_by_hand
from console.deps import Forbidden, ctx, get_db, require
from console.routes.common import PAGE_DEPS, AssignmentId, CaseId, back, flash, render
from console.users import Role, User
from console.views import LOCAL_TZ

router = APIRouter(dependencies=PAGE_DEPS, include_in_schema=False)
Agent = Annotated[User, Depends(require(Role.EXECUTOR, Role.AGENCY_LEAD))]
Db = Annotated[Session, Depends(get_db)]


def _do(request: Request, db: Session, user: User, name: str, fn: object, ok: str, url: str) -> Response:
    try:
        run(ctx(request), db, user, name, fn)  # type: ignore[arg-type]
    except ActionFailed as exc:
        if exc.status == 403:  # a permission refusal is a 403 page, as in the API, not a flash message
            raise Forbidden(str(exc)) from exc
        flash(request, str(exc), "error")
        return back(url)
    flash(request, ok)
    return back(url)


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, user: Agent, db: Db) -> Response:
    cfg = case_config(ctx(request))
    return render(request, "inbox.html", user, rows=queries.agency_inbox(db, user), networks=cfg.networks)


@router.post("/assignments/{assignment_id}/receive")
def receive(request: Request, assignment_id: AssignmentId, user: Agent, db: Db) -> Response:
    cfg = case_config(ctx(request))
    return _do(request, db, user, "receive",
               lambda now: workflow.receive(db, user.login, assignment_id, now, config=cfg),
               "Поручение принято в работу", "/inbox")


@router.post("/assignments/{assignment_id}/return")
def return_assignment(request: Request, assignment_id: AssignmentId, user: Agent, db: Db,
                      reason: Annotated[str, Form(max_length=2000)]) -> Response:
    """R9: not our competence, with a reason, within 30 minutes of receipt (the engine checks the window)."""
    cfg = case_config(ctx(request))
    return _do(request, db, user, "return_not_competent",
               lambda now: workflow.return_not_competent(db, user.login, assignment_id, reason, now, config=cfg),
               "Поручение возвращено куратору как не относящееся к компетенции", "/inbox")


@router.post("/cases/{case_id}/draft")
def draft(request: Request, case_id: CaseId, user: Agent, db: Db,
          kind: Annotated[str, Form(max_length=16)], text: Annotated[str, Form(max_length=20000)],
          measures: Annotated[str, Form(max_length=4000)] = "",
          attachments: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """R13.1 with R21 checks: final, interim or clarification; attachments are links to photos/videos."""
    queries.case_for(db, user, case_id)
    cfg = case_config(ctx(request))
    try:
        files = parse_attachments(attachments)
    except ValueError as exc:
        flash(request, str(exc), "error")
        return back(f"/cases/{case_id}")
    return _do(request, db, user, "submit_draft",
               lambda now: drafting.submit_draft(db, user.login, case_id, kind, text, now, measures=measures or None,
                                                 attachments=files, config=cfg),
               "Проект направлен куратору на согласование", f"/cases/{case_id}")


@router.post("/assignments/{assignment_id}/contribution")
def contribution(request: Request, assignment_id: AssignmentId, user: Agent, db: Db,
                 text: Annotated[str, Form(max_length=20000)]) -> Response:
    """R18.2: this agency's part of a joint reply."""
    return _do(request, db, user, "contribution",
               lambda now: drafting.submit_contribution(db, user.login, assignment_id, text, now),
               "Часть ответа направлена куратору", "/inbox")


@router.post("/cases/{case_id}/posted")
def posted(request: Request, case_id: CaseId, user: Agent, db: Db,
           url: Annotated[str, Form(max_length=1000)]) -> Response:
    """R16: the executor posted the approved reply by hand and gives its link."""
    case = queries.case_for(db, user, case_id)
    cfg = case_config(ctx(request))
    return _do(request, db, user, "posted_by_hand",
               lambda now: record_posted_by_hand(db, user, case, url, now, cfg),
               "Размещение ответа отмечено", f"/cases/{case_id}")


@router.get("/absences", response_class=HTMLResponse)
def absences(request: Request, user: Annotated[User, Depends(require(Role.AGENCY_LEAD, Role.EXECUTOR,
                                                                       Role.CURATOR, Role.ADMIN))], db: Db) -> Response:
    stmt = select(Absence).order_by(Absence.starts_at.desc()).limit(200)
    staff = select(Person).where(Person.active).order_by(Person.full_name)
    if user.in_agency:
        stmt = stmt.join(Person, Person.id == Absence.person_id).where(Person.agency_code == user.agency_code)
        staff = staff.where(Person.agency_code == user.agency_code)
    return render(request, "absences.html", user, absences=list(db.scalars(stmt)), staff=list(db.scalars(staff)))


@router.post("/absences")
def add_absence(
    request: Request,
    user: Annotated[User, Depends(require(Role.AGENCY_LEAD, Role.CURATOR, Role.ADMIN))],
    db: Db,
    person: Annotated[str, Form(max_length=64)],
    substitute: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=16)],
    starts: Annotated[str, Form(max_length=10)],
    ends: Annotated[str, Form(max_length=10)],
) -> Response:
    """R8.2: dates are local (Asia/Novokuznetsk) whole days; the end day is included."""
    try:
        start = datetime.combine(datetime.fromisoformat(starts).date(), time(0), LOCAL_TZ)
        end = datetime.combine(datetime.fromisoformat(ends).date(), time(23, 59, 59), LOCAL_TZ)
    except ValueError:
        flash(request, "Даты отсутствия указаны неверно", "error")
        return back("/absences")

    def act(now: datetime) -> None:
        people.add_absence(db, user.login, person, start, end, reason, substitute, now)
        people.reassign_absent(db, now)

    return _do(request, db, user, "absence", act, "Отсутствие записано, дела переданы заместителю", "/absences")
