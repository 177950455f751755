"""Helpers the page routers share: rendering with the user and CSRF token, flash messages, redirects."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from console.deps import ctx
from console.security import check_csrf, csrf_token
from console.users import User

PAGE_DEPS = [Depends(check_csrf)]
MAX_ID = 2**31 - 1  # PostgreSQL integer keys: a larger id is a 422, not a database overflow (500)
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
AssignmentId = Annotated[int, Path(ge=1, le=MAX_ID)]


def flash(request: Request, message: str, kind: str = "ok") -> None:
    messages = list(request.session.get("flash", []))[-4:]
    messages.append([kind, message[:500]])
    request.session["flash"] = messages


def render(request: Request, name: str, user: User | None, status: int = 200, *, partial: bool = False,
           **context: Any) -> HTMLResponse:
    """``partial`` fragments (HTMX polling) leave flash messages for the next full page."""
    messages = request.session.pop("flash", []) if "flash" in request.session and not partial else []
    return ctx(request).templates.TemplateResponse(
        request,
        name,
        {"user": user, "csrf": csrf_token(request), "messages": messages, **context},
        status_code=status,
    )


def back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def local_path(value: str | None, default: str) -> str:
    """Redirect targets are local paths only (no open redirect via ``next``)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
