"""One sign-in check for the page and the API: throttle first, then the password, then record the outcome."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Person
from console.deps import ctx
from console.passwords import verify_password
from console.throttle import LoginThrottle


def client_address(request: Request) -> str:
    """The peer address; a reverse proxy must pass the real one to uvicorn (``--proxy-headers``)."""
    return request.client.host if request.client else "unknown"


def authenticate(request: Request, db: Session, login: str, password: str) -> Person | None:
    """The active person with this login and password, or None; raises ``LoginLocked`` while throttled."""
    throttle: LoginThrottle = ctx(request).throttle
    address = client_address(request)
    throttle.check(login, address)
    person = db.scalar(select(Person).where(Person.login == login.strip()))
    if person is not None:
        db.expunge(person)
    # Give the connection back before the deliberately slow hash check: holding it while the throttle
    # opens its own session let 20 simultaneous sign-ins exhaust the pool (and time out).
    db.rollback()
    ok = verify_password(person.password_hash if person else None, password)
    if person is None or not ok or not person.active:
        throttle.failed(login, address)
        return None
    throttle.succeeded(login, address)
    return person
