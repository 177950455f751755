"""Sign-in and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from console.deps import LoginRequired, ctx, current_user, get_db
from console.routes.common import PAGE_DEPS, back, local_path, render
from console.security import start_session
from console.signin import authenticate
from console.throttle import LoginLocked
from console.users import User

router = APIRouter(dependencies=PAGE_DEPS, include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, db: Annotated[Session, Depends(get_db)], next: str | None = None,
               expired: int = 0) -> Response:
    """Signed-in people go straight to their home page (also the target of ``/``)."""
    try:
        return back(current_user(request, db).home)
    except LoginRequired:
        pass
    note = "Сеанс истёк, войдите снова." if expired else None
    return render(request, "login.html", None, next=local_path(next, ""), note=note)


@router.post("/login")
def login(
    request: Request,
    login: str = Form(max_length=64),
    password: str = Form(max_length=256),
    next: str = Form(default="", max_length=300),
    db: Session = Depends(get_db),
) -> Response:
    try:
        person = authenticate(request, db, login, password)
    except LoginLocked as exc:
        return render(request, "login.html", None, status=429, next=local_path(next, ""), error=str(exc))
    if person is None:
        return render(request, "login.html", None, status=401, next=local_path(next, ""),
                      error="Неверное имя пользователя или пароль")
    start_session(request, ctx(request).config, person.id)
    return back(local_path(next, User.of(person).home))


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return back("/login")
