"""``otklik console`` serves the web console; ``otklik console-user`` creates or updates a person's sign-in."""

from __future__ import annotations

import getpass
import os
from typing import Annotated, Any

import typer

from otklik.settings import get_settings

ROLES = ("curator", "agency_lead", "executor", "analyst", "admin")


def register(app: typer.Typer) -> None:
    app.command("console")(console)
    app.command("console-user")(console_user)


def app_factory() -> Any:
    """Each uvicorn worker process builds its own app (and connection pool) from the settings."""
    from console.app import create_app
    from otklik.logs import setup_logging

    settings = get_settings()
    setup_logging(settings.log_level, settings.log_json)
    return create_app(settings)


def console(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: settings.console_host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: settings.console_port).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=32, help=(
        "Worker processes; the console is CPU-bound, so one per core. More than one needs OTKLIK_SECRET_KEY "
        "(every worker must sign sessions with the same key)."))] = 1,
) -> None:
    """Serve the console with uvicorn (the database must be migrated: `otklik migrate`)."""
    import uvicorn

    settings = get_settings()
    if settings.secret_key is None:
        if workers > 1:
            raise typer.BadParameter("для нескольких процессов нужен OTKLIK_SECRET_KEY", param_hint="--workers")
        typer.echo("Внимание: OTKLIK_SECRET_KEY не задан — сеансы завершатся при перезапуске.", err=True)
    uvicorn.run("otklik.commands.console:app_factory", factory=True, host=host or settings.console_host,
                port=port or settings.console_port, workers=workers, log_level="warning", proxy_headers=False,
                timeout_keep_alive=30)


def console_user(
    login: Annotated[str, typer.Argument(help="Login of the person (created if missing).")],
    full_name: Annotated[str | None, typer.Option("--name", help="Full name (required for a new person).")] = None,
    role: Annotated[str | None, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = None,
    agency: Annotated[str | None, typer.Option(help="Agency code (for agency_lead / executor).")] = None,
    password_env: Annotated[str | None, typer.Option(
        help="Read the password from this environment variable instead of prompting.")] = None,
    disable: Annotated[bool, typer.Option(help="Deactivate the account instead.")] = False,
) -> None:
    """Set a person's password (argon2) and, optionally, name/role/agency; the password is never echoed."""
    from sqlalchemy import select

    from cases.db import make_engine, session_factory
    from cases.models import Agency, Person
    from console.passwords import WeakPassword, hash_password

    if role is not None and role not in ROLES:
        raise typer.BadParameter(f"роль должна быть одной из: {', '.join(ROLES)}", param_hint="--role")
    engine = make_engine(get_settings().database_dsn)
    try:
        with session_factory(engine)() as db:
            person = db.scalar(select(Person).where(Person.login == login))
            if person is None:
                if not full_name or not role:
                    raise typer.BadParameter("для нового пользователя нужны --name и --role")
                person = Person(login=login, full_name=full_name, role=role, active=True)
                db.add(person)
            if full_name:
                person.full_name = full_name
            if role:
                person.role = role
            if agency is not None:
                if db.get(Agency, agency) is None:
                    raise typer.BadParameter(f"орган {agency!r} не найден", param_hint="--agency")
                person.agency_code = agency
            if person.role in ("agency_lead", "executor") and not person.agency_code:
                raise typer.BadParameter("исполнителю и руководителю нужен --agency")
            if disable:
                person.active = False
            else:
                password = os.environ.get(password_env, "") if password_env else getpass.getpass("Пароль: ")
                try:
                    person.password_hash = hash_password(password)
                except WeakPassword as exc:
                    raise typer.BadParameter(str(exc)) from exc
                person.active = True
            db.commit()
    finally:
        engine.dispose()
    typer.echo(f"Пользователь {login}: {'отключён' if disable else 'пароль задан'}")
