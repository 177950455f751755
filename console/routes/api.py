"""JSON API under /api/: the same actions and permission checks as the pages (session cookie + X-CSRF-Token)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from cases import drafting, workflow
from cases.models import Assignment, Case
from console import queries
from console.actions import ActionFailed, case_config, run
from console.agency_actions import parse_attachments, record_posted_by_hand
from console.deps import LoginRequired, ctx, current_user, get_db, require
from console.routes.common import MAX_ID, AssignmentId, CaseId
from console.routes.registry import Filter
from console.security import check_csrf, csrf_token, start_session
from console.signin import authenticate
from console.throttle import LoginLocked
from console.users import Role, User

router = APIRouter(prefix="/api", dependencies=[Depends(check_csrf)], tags=["api"])
Db = Annotated[Session, Depends(get_db)]
Curator = Annotated[User, Depends(require(Role.CURATOR))]
Agent = Annotated[User, Depends(require(Role.EXECUTOR, Role.AGENCY_LEAD))]


class SessionOut(BaseModel):
    login: str | None
    role: str | None
    csrf_token: str


class LoginIn(BaseModel):
    login: str = Field(max_length=64)
    password: str = Field(max_length=256)


class CaseOut(BaseModel):
    id: int
    state: str
    network: str
    url: str | None
    text: str
    topic: str | None
    municipality: str | None
    importance: str
    shortened: bool
    next_due: datetime | None = None
    agencies: list[str] = Field(default_factory=list)


class TriageIn(BaseModel):
    topic: str = Field(max_length=100)
    importance: Literal["normal", "high"]
    municipality: str | None = Field(default=None, max_length=64)
    settlement: str | None = Field(default=None, max_length=200)
    shortened: bool = False
    agencies: list[str] = Field(default_factory=list, max_length=20, description="routing order (R18.1)")


class ReasonIn(BaseModel):
    reason: str = Field(max_length=4000)


class AgenciesIn(BaseModel):
    agencies: list[str] = Field(min_length=1, max_length=20)


class LinkIn(BaseModel):
    earlier: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=50)


class TextIn(BaseModel):
    text: str = Field(max_length=20000)
    measures: str | None = Field(default=None, max_length=4000)


class DraftIn(TextIn):
    kind: Literal["final", "interim", "clarification"]
    attachments: str = Field(default="", max_length=4000, description="lines: 'photo|video https://...'")


class PostedIn(BaseModel):
    url: str = Field(max_length=1000)


class Done(BaseModel):
    ok: bool = True
    case_id: int | None = None
    state: str | None = None


def _case_out(row: queries.Row) -> CaseOut:
    c, p = row.case, row.post
    return CaseOut(id=c.id, state=c.state, network=p.network, url=p.url, text=p.text, topic=c.topic,
                   municipality=c.municipality, importance=c.importance, shortened=c.shortened,
                   next_due=row.next_due, agencies=row.agencies)


def _act(request: Request, db: Session, user: User, name: str, fn: Any, case_id: int | None = None) -> Done:
    try:
        run(ctx(request), db, user, name, fn)
    except ActionFailed as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    state = None
    if case_id is not None:
        case = db.get(Case, case_id)
        state = case.state if case is not None else None
    return Done(case_id=case_id, state=state)


@router.get("/session", response_model=SessionOut)
def session_info(request: Request, db: Db) -> SessionOut:
    """The CSRF token to send back as X-CSRF-Token on every POST."""
    try:
        user: User | None = current_user(request, db)
    except LoginRequired:  # anonymous callers get a token too, for signing in
        user = None
    return SessionOut(login=user.login if user else None, role=user.role.value if user else None,
                      csrf_token=csrf_token(request))


@router.post("/session", response_model=SessionOut)
def sign_in(request: Request, body: LoginIn, db: Db) -> SessionOut:
    try:
        person = authenticate(request, db, body.login, body.password)
    except LoginLocked as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from exc
    if person is None:
        raise HTTPException(401, "Неверное имя пользователя или пароль")
    start_session(request, ctx(request).config, person.id)
    return SessionOut(login=person.login, role=person.role, csrf_token=csrf_token(request))


@router.get("/queue", response_model=list[CaseOut])
def api_queue(user: Curator, db: Db) -> list[CaseOut]:
    return [_case_out(r) for r in queries.curator_queue(db)]


@router.get("/inbox", response_model=list[CaseOut])
def api_inbox(user: Agent, db: Db) -> list[CaseOut]:
    return [_case_out(r) for r in queries.agency_inbox(db, user)]


@router.get("/cases/{case_id}", response_model=CaseOut)
def api_case(case_id: CaseId, user: Annotated[User, Depends(current_user)], db: Db) -> CaseOut:
    case = queries.case_for(db, user, case_id)
    row = queries.Row(case=case, post=case.post, next_due=None,
                      agencies=[a.agency_code for a in case.assignments if a.state != "returned"])
    return _case_out(row)


@router.get("/registry", response_model=list[CaseOut])
def api_registry(user: Annotated[User, Depends(current_user)], db: Db, f: Filter,
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> list[CaseOut]:
    if user.role not in (Role.CURATOR, Role.ANALYST, Role.ADMIN, Role.AGENCY_LEAD, Role.EXECUTOR):
        raise HTTPException(403, "Недоступно")
    rows, _ = queries.registry(db, user, f, max(1, page))
    return [_case_out(r) for r in rows]


@router.post("/cases/{case_id}/triage", response_model=Done)
def api_triage(request: Request, case_id: CaseId, body: TriageIn, user: Curator, db: Db) -> Done:
    cfg = case_config(ctx(request))

    def act(now: datetime) -> None:
        workflow.triage(db, user.login, case_id, topic=body.topic, municipality=body.municipality,
                        settlement=body.settlement, importance=body.importance, shortened=body.shortened,
                        now=now, config=cfg)
        if body.agencies:
            workflow.route(db, user.login, case_id, body.agencies, now, config=cfg)

    return _act(request, db, user, "triage", act, case_id)


@router.post("/cases/{case_id}/route", response_model=Done)
def api_route(request: Request, case_id: CaseId, body: AgenciesIn, user: Curator, db: Db) -> Done:
    cfg = case_config(ctx(request))
    return _act(request, db, user, "route",
                lambda now: workflow.route(db, user.login, case_id, body.agencies, now, config=cfg), case_id)


@router.post("/cases/{case_id}/exclude", response_model=Done)
def api_exclude(request: Request, case_id: CaseId, body: ReasonIn, user: Curator, db: Db) -> Done:
    return _act(request, db, user, "exclude",
                lambda now: workflow.exclude(db, user.login, case_id, body.reason, now), case_id)


@router.post("/cases/{case_id}/link", response_model=Done)
def api_link(request: Request, case_id: CaseId, body: LinkIn, user: Curator, db: Db) -> Done:
    return _act(request, db, user, "link",
                lambda now: workflow.link_repeat(db, user.login, case_id, body.earlier, now), case_id)


@router.post("/cases/{case_id}/approve", response_model=Done)
def api_approve(request: Request, case_id: CaseId, user: Curator, db: Db) -> Done:
    cfg = case_config(ctx(request))
    return _act(request, db, user, "approve",
                lambda now: drafting.approve(db, user.login, case_id, now, config=cfg), case_id)


@router.post("/cases/{case_id}/return", response_model=Done)
def api_return(request: Request, case_id: CaseId, body: ReasonIn, user: Curator, db: Db) -> Done:
    cfg = case_config(ctx(request))
    return _act(request, db, user, "return",
                lambda now: drafting.return_for_revision(db, user.login, case_id, body.reason, now, config=cfg),
                case_id)


@router.post("/cases/{case_id}/joint", response_model=Done)
def api_joint(request: Request, case_id: CaseId, body: TextIn, user: Curator, db: Db) -> Done:
    cfg = case_config(ctx(request))
    return _act(request, db, user, "joint",
                lambda now: drafting.write_joint_draft(db, user.login, case_id, body.text, now,
                                                       measures=body.measures, config=cfg), case_id)


@router.post("/cases/{case_id}/draft", response_model=Done)
def api_draft(request: Request, case_id: CaseId, body: DraftIn, user: Agent, db: Db) -> Done:
    queries.case_for(db, user, case_id)
    cfg = case_config(ctx(request))
    try:
        files = parse_attachments(body.attachments)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return _act(request, db, user, "submit_draft",
                lambda now: drafting.submit_draft(db, user.login, case_id, body.kind, body.text, now,
                                                  measures=body.measures, attachments=files, config=cfg), case_id)


@router.post("/cases/{case_id}/posted", response_model=Done)
def api_posted(request: Request, case_id: CaseId, body: PostedIn, user: Agent, db: Db) -> Done:
    case = queries.case_for(db, user, case_id)
    cfg = case_config(ctx(request))
    return _act(request, db, user, "posted_by_hand",
                lambda now: record_posted_by_hand(db, user, case, body.url, now, cfg), case_id)


def _own_assignment(db: Session, user: User, assignment_id: int) -> int:
    a = db.get(Assignment, assignment_id)
    if a is None or a.agency_code != user.agency_code:
        raise HTTPException(403, "Поручение недоступно")
    return a.case_id


@router.post("/assignments/{assignment_id}/receive", response_model=Done)
def api_receive(request: Request, assignment_id: AssignmentId, user: Agent, db: Db) -> Done:
    case_id = _own_assignment(db, user, assignment_id)
    cfg = case_config(ctx(request))
    return _act(request, db, user, "receive",
                lambda now: workflow.receive(db, user.login, assignment_id, now, config=cfg), case_id)


@router.post("/assignments/{assignment_id}/return", response_model=Done)
def api_return_assignment(request: Request, assignment_id: AssignmentId, body: ReasonIn, user: Agent, db: Db) -> Done:
    case_id = _own_assignment(db, user, assignment_id)
    cfg = case_config(ctx(request))
    return _act(request, db, user, "return_not_competent",
                lambda now: workflow.return_not_competent(db, user.login, assignment_id, body.reason, now,
                                                          config=cfg), case_id)


@router.post("/assignments/{assignment_id}/contribution", response_model=Done)
def api_contribution(request: Request, assignment_id: AssignmentId, body: TextIn, user: Agent, db: Db) -> Done:
    case_id = _own_assignment(db, user, assignment_id)
    return _act(request, db, user, "contribution",
                lambda now: drafting.submit_contribution(db, user.login, assignment_id, body.text, now), case_id)
