"""Request-scoped dependencies: database session, signed-in user, role guards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from cases.models import Person
from console.config import ConsoleConfig
from console.security import touch_session
from console.users import Role, User


class LoginRequired(Exception):
    def __init__(self, expired: bool = False) -> None:
        super().__init__("login required")
        self.expired = expired


class Forbidden(Exception):
    """The role or agency does not allow this; answered with 403 (page or JSON)."""


@dataclass
class Ctx:
    config: ConsoleConfig
    sessions: sessionmaker[Session]
    templates: Jinja2Templates
    case_config: Any = None
    throttle: Any = None  # console.throttle.LoginThrottle
    agency_names: Any = None  # console.refdata.AgencyNames


def ctx(request: Request) -> Ctx:
    ctx_: Ctx = request.app.state.ctx
    return ctx_


def get_db(request: Request) -> Iterator[Session]:
    session = ctx(request).sessions()
    try:
        yield session
    finally:
        session.close()


def current_user(request: Request, db: Session = Depends(get_db)) -> User:
    from console.security import SessionExpired

    try:
        person_id = touch_session(request, ctx(request).config)
    except SessionExpired as exc:
        raise LoginRequired(expired=True) from exc
    if person_id is None:
        raise LoginRequired()
    person = db.get(Person, person_id)
    if person is None or not person.active:
        request.session.clear()
        raise LoginRequired()
    return User.of(person)


def require(*roles: Role) -> Callable[..., User]:
    """Route dependency: the signed-in user, if their role is one of ``roles``."""
    allowed = frozenset(roles)

    def guard(user: User = Depends(current_user)) -> User:
        if user.role not in allowed:
            raise Forbidden(f"Раздел недоступен для роли «{user.role_label}»")
        return user

    return guard
