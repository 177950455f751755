"""Curator pages: the live queue (R7, R18.1, R19, R22) and approval (R14, R15, R18.3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import Field
from sqlalchemy.orm import Session

from cases import drafting, workflow
from console import queries, refdata
from console.actions import ActionFailed, case_config, run
from console.deps import Ctx, Forbidden, ctx, get_db, require
from console.diffs import draft_diffs
from console.routes.common import MAX_ID, PAGE_DEPS, CaseId, back, flash, render
from console.users import Role, User

router = APIRouter(dependencies=PAGE_DEPS, include_in_schema=False)
Curator = Annotated[User, Depends(require(Role.CURATOR))]
Db = Annotated[Session, Depends(get_db)]
Text = Annotated[str, Form(max_length=4000)]
OptText = Annotated[str, Form(max_length=4000)]


_DATALISTS: dict[tuple[Any, ...], Markup] = {}


def _datalists(c: Ctx) -> Markup:
    """The form choices (≈250 options) change only with region data: rendered once, not on every page."""
    agencies = tuple(c.agency_names.active())
    key = (c.config.region_dir, agencies)
    html = _DATALISTS.get(key)
    if html is None:
        if len(_DATALISTS) > 8:
            _DATALISTS.clear()
        html = _DATALISTS[key] = Markup(c.templates.get_template("_datalists.html").render(
            topics=refdata.topics(c.config.region_dir), municipalities=refdata.municipalities(c.config.region_dir),
            agencies=agencies))
    return html


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, user: Curator, db: Db) -> Response:
    return render(request, "queue.html", user, rows=queries.curator_queue(db), datalists=_datalists(ctx(request)))


@router.get("/queue/rows", response_class=HTMLResponse)
def queue_rows(request: Request, user: Curator, db: Db) -> Response:
    """HTMX polling target: only the list, so open forms elsewhere on the page stay as typed."""
    return render(request, "_queue_rows.html", user, partial=True, rows=queries.curator_queue(db))


def _do(request: Request, db: Session, user: User, name: str, fn: object, ok: str, url: str) -> Response:
    c: Ctx = ctx(request)
    try:
        run(c, db, user, name, fn)  # type: ignore[arg-type]
    except ActionFailed as exc:
        if exc.status == 403:  # a permission refusal is a 403 page, as in the API, not a flash message
            raise Forbidden(str(exc)) from exc
        flash(request, str(exc), "error")
        return back(url)
    flash(request, ok)
    return back(url)


@router.post("/cases/{case_id}/triage")
def triage_and_route(
    request: Request,
    case_id: CaseId,
    user: Curator,
    db: Db,
    topic: Annotated[str, Form(max_length=100)],
    importance: Annotated[str, Form(max_length=16)],
    municipality: Annotated[str, Form(max_length=64)] = "",
    settlement: Annotated[str, Form(max_length=200)] = "",
    agencies: Annotated[str, Form(max_length=1000)] = "",
    shortened: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """R7.1–R7.3, R18.1: one action sets topic/location/importance and routes in the typed order."""
    codes = [c.strip() for c in agencies.replace(";", ",").split(",") if c.strip()]
    cfg = case_config(ctx(request))

    def act(now: object) -> None:
        workflow.triage(db, user.login, case_id, topic=topic, municipality=municipality or None,
                        settlement=settlement or None, importance=importance, shortened=bool(shortened),
                        now=now, config=cfg)  # type: ignore[arg-type]
        if codes:
            workflow.route(db, user.login, case_id, codes, now, config=cfg)  # type: ignore[arg-type]

    msg = f"Дело {case_id}: классифицировано" + (f" и направлено ({', '.join(codes)})" if codes else "")
    return _do(request, db, user, "triage", act, msg, "/queue")


@router.post("/cases/{case_id}/route")
def route(request: Request, case_id: CaseId, user: Curator, db: Db,
          agencies: Annotated[str, Form(max_length=1000)]) -> Response:
    """R10/R18.1: (re-)route in the order typed."""
    codes = [c.strip() for c in agencies.replace(";", ",").split(",") if c.strip()]
    cfg = case_config(ctx(request))
    return _do(request, db, user, "route",
               lambda now: workflow.route(db, user.login, case_id, codes, now, config=cfg),
               f"Дело {case_id} направлено: {', '.join(codes)}", "/queue")


@router.post("/cases/{case_id}/exclude")
def exclude(request: Request, case_id: CaseId, user: Curator, db: Db, reason: Text) -> Response:
    """R22: excluded with the reason; recorded, never dropped."""
    return _do(request, db, user, "exclude", lambda now: workflow.exclude(db, user.login, case_id, reason, now),
               f"Дело {case_id} исключено (п. 22)", "/queue")


@router.post("/cases/{case_id}/link")
def link(request: Request, case_id: CaseId, user: Curator, db: Db,
         earlier: Annotated[str, Form(max_length=500)]) -> Response:
    """R19.1: link to earlier cases by their numbers."""
    try:
        ids = [int(x) for x in earlier.replace(";", ",").split(",") if x.strip()]
        if any(not 1 <= i <= MAX_ID for i in ids):
            raise ValueError("case number out of range")
    except ValueError:
        flash(request, "Номера дел должны быть числами через запятую", "error")
        return back(f"/cases/{case_id}")
    return _do(request, db, user, "link", lambda now: workflow.link_repeat(db, user.login, case_id, ids, now),
               f"Дело {case_id} связано с делами {', '.join(map(str, ids))}", f"/cases/{case_id}")


def _excluder(db: Session, user: User, case_id: int, reason: str) -> Callable[[datetime], object]:
    return lambda now: workflow.exclude(db, user.login, case_id, reason, now)


@router.post("/queue/bulk-exclude")
def bulk_exclude(request: Request, user: Curator, db: Db, reason: Text,
                 case_ids: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Form()]) -> Response:
    """Obvious duplicates: one reason for many cases; each is its own transaction, so one refusal stops none."""
    done, failed = [], []
    for case_id in case_ids[:200]:
        try:
            run(ctx(request), db, user, "exclude", _excluder(db, user, case_id, reason))
            done.append(case_id)
        except ActionFailed as exc:
            failed.append(f"{case_id}: {exc}")
    if done:
        flash(request, f"Исключено дел: {len(done)}")
    for line in failed[:5]:
        flash(request, line, "error")
    return back("/queue")


@router.get("/approval", response_class=HTMLResponse)
def approval(request: Request, user: Curator, db: Db) -> Response:
    rows = queries.curator_queue(db, states=queries.APPROVAL_STATES, with_drafts=True)
    joint = queries.curator_queue(db, states=("in_work",), with_drafts=True)
    joint_rows = [r for r in joint if workflow.is_joint(r.case) and drafting.contributions(r.case)]
    return render(request, "approval.html", user, rows=rows, joint_rows=joint_rows,
                  diffs={r.case.id: draft_diffs(r.case) for r in rows})


@router.post("/cases/{case_id}/approve")
def approve(request: Request, case_id: CaseId, user: Curator, db: Db) -> Response:
    cfg = case_config(ctx(request))
    return _do(request, db, user, "approve", lambda now: drafting.approve(db, user.login, case_id, now, config=cfg),
               f"Дело {case_id}: ответ согласован", "/approval")


@router.post("/cases/{case_id}/return")
def return_draft(request: Request, case_id: CaseId, user: Curator, db: Db, comment: Text) -> Response:
    cfg = case_config(ctx(request))
    return _do(request, db, user, "return",
               lambda now: drafting.return_for_revision(db, user.login, case_id, comment, now, config=cfg),
               f"Дело {case_id}: проект возвращён на доработку", "/approval")


@router.post("/cases/{case_id}/joint")
def joint(request: Request, case_id: CaseId, user: Curator, db: Db, text: Annotated[str, Form(max_length=20000)],
          measures: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """R18.3: the curator composes the joint reply from the agencies' parts."""
    cfg = case_config(ctx(request))
    return _do(request, db, user, "joint",
               lambda now: drafting.write_joint_draft(db, user.login, case_id, text, now,
                                                      measures=measures or None, config=cfg),
               f"Дело {case_id}: совместный проект ответа составлен", "/approval")
