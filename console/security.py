"""Session freshness, CSRF tokens bound to the session, and security headers on every response."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.config import ConsoleConfig

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


class CsrfError(Exception):
    """A state-changing request without the session's token: refused before anything runs."""


class SessionExpired(Exception):
    pass


class SecurityHeaders:
    """Plain ASGI (not BaseHTTPMiddleware) so streaming responses and latency are untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in names]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, wrapped)


def csrf_token(request: Request) -> str:
    """One token per session, made on first use; forms and HTMX/API calls send it back."""
    session: dict[str, Any] = request.session
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Dependency for every router: unsafe methods must carry the token in a header or form field."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfError("Запрос отклонён: нет действительного CSRF-токена. Обновите страницу и повторите.")


def touch_session(request: Request, config: ConsoleConfig) -> int | None:
    """Return the signed-in person id, or None; ends sessions past the absolute or idle limit."""
    session: dict[str, Any] = request.session
    person_id = session.get("uid")
    if not isinstance(person_id, int):
        return None
    now = int(config.now().timestamp())
    issued, seen = session.get("iat"), session.get("seen")
    if (
        not isinstance(issued, int)
        or not isinstance(seen, int)
        or now - issued > config.session_max_age
        or now - seen > config.idle_timeout
    ):
        session.clear()
        raise SessionExpired()
    if now - seen >= 30:  # refresh the cookie at most twice a minute
        session["seen"] = now
    return person_id


def start_session(request: Request, config: ConsoleConfig, person_id: int) -> None:
    """A fresh session (and CSRF token) on sign-in, so a planted pre-login cookie is worthless."""
    request.session.clear()
    now = int(config.now().timestamp())
    request.session.update({"uid": person_id, "iat": now, "seen": now, "csrf": secrets.token_urlsafe(32)})
