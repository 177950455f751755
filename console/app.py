"""The console's FastAPI application: one factory, no globals, nothing touches the database at import."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from cases.db import make_engine, session_factory
from console.config import ConsoleConfig
from console.deps import Ctx, Forbidden, LoginRequired
from console.refdata import AgencyNames
from console.security import CsrfError, SecurityHeaders
from console.throttle import LoginThrottle, ThrottlePolicy, create_tables
from console.views import install_filters

HERE = Path(__file__).resolve().parent
log = logging.getLogger("otklik.console")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    templates: Jinja2Templates = request.app.state.ctx.templates
    return templates.TemplateResponse(request, "error.html", {"message": message, "status": status}, status_code=status)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if _wants_json(request):
            msg = "Сеанс истёк, войдите снова" if exc.expired else "Требуется вход"
            return JSONResponse({"detail": msg}, status_code=401)
        target = "/login?expired=1" if exc.expired else "/login"
        if request.method == "GET" and not exc.expired:
            target += "?next=" + quote(request.url.path, safe="/")
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _error_page(request, 403, str(exc) or "Доступ запрещён")

    @app.exception_handler(CsrfError)
    async def csrf(request: Request, exc: CsrfError) -> Response:
        return _error_page(request, 403, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "Неверные данные запроса", "errors": exc.errors()[:20]}, status_code=422)
        return _error_page(request, 422, "Неверные данные формы: проверьте заполнение полей")


def create_app(settings: Any, *, case_config: Any = None) -> FastAPI:
    """``settings``: a ``ConsoleConfig`` or a settings object (``database_dsn``, ``secret_key``, ``region_dir``)."""
    from console.routes import admin, admin_api, agency, api, auth, cases, curator, registry

    config = settings if isinstance(settings, ConsoleConfig) else ConsoleConfig.from_settings(settings)
    if config.ephemeral_key:
        log.warning("OTKLIK_SECRET_KEY is not set: a temporary key is used, sessions end on restart")
    app = FastAPI(
        title="Отклик — консоль",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    # SQL parameters stay out of error messages and logs: they can carry password hashes and personal data.
    engine = make_engine(config.database_dsn, hide_parameters=True)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.auto_reload = False  # no stat() per template (and per include in a loop) on every request
    install_filters(templates.env, config)
    sessions = session_factory(engine)
    create_tables(engine)
    throttle = LoginThrottle(sessions, config.now, ThrottlePolicy(
        config.login_max_failures, config.login_window_seconds, config.login_lockout_seconds))
    names = AgencyNames(sessions, time.monotonic)
    templates.env.globals["agency_name"] = names.name
    app.state.ctx = Ctx(config=config, sessions=sessions, templates=templates, case_config=case_config,
                        throttle=throttle, agency_names=names)
    app.state.engine = engine
    _install_handlers(app)
    for module in (auth, curator, agency, cases, registry, admin, api, admin_api):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    app.add_middleware(
        SessionMiddleware,
        secret_key=config.secret_key,
        session_cookie="otklik_session",
        max_age=config.session_max_age,
        same_site="strict",
        https_only=config.secure_cookies,
    )
    app.add_middleware(SecurityHeaders)
    return app
