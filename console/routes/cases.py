"""The case page: post, decisions, assignments, drafts, every clock with a countdown, the audit timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from cases import drafting, workflow
from console import queries, refdata
from console.actions import case_config
from console.deps import ctx, current_user, get_db
from console.diffs import draft_diffs
from console.routes.common import PAGE_DEPS, CaseId, render
from console.users import User

router = APIRouter(dependencies=PAGE_DEPS, include_in_schema=False)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    case_id: CaseId,
    user: Annotated[User, Depends(current_user)],
    db: Annotated[Session, Depends(get_db)],
) -> Response:
    case = queries.case_for(db, user, case_id)
    cfg = case_config(ctx(request))
    fmt = cfg.networks.get(case.post.network)
    mine = [a for a in case.assignments if user.in_agency and a.agency_code == user.agency_code]
    return render(
        request,
        "case.html",
        user,
        case=case,
        post=case.post,
        suggestion=workflow.latest_suggestion(db, case),
        timeline=queries.timeline(db, case.id),
        my_assignments=mine,
        max_chars=fmt.max_chars if fmt else None,
        media_kinds=list(fmt.attachments) if fmt else [],
        joint=workflow.is_joint(case),
        parts=drafting.contributions(case),
        diff=draft_diffs(case),
        agencies=refdata.agencies(db) if user.role == "curator" else [],
        awaiting_post=[d for d in case.drafts if d.reply_id and d.published_at is None],
    )
