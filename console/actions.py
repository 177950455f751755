"""Running one engine action per request: same transaction rules and errors for pages and the API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cases.errors import NotFound, PermissionDenied, WorkflowError
from console.deps import Ctx, Forbidden
from console.users import User

T = TypeVar("T")
log = logging.getLogger("otklik.console")


class ActionFailed(Exception):
    """Refused by the engine; nothing was changed. ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def case_config(ctx: Ctx) -> Any:
    """The engine's region config (clock policy, network formats), loaded once per app."""
    if ctx.case_config is None:
        from cases.config import CaseConfig

        ctx.case_config = CaseConfig.load(
            ctx.config.region_dir,
            short_clocks_working_time=ctx.config.short_clocks_working_time,
            detection_event=ctx.config.detection_event,
        )
    return ctx.case_config


def run(ctx: Ctx, db: Session, user: User, name: str, fn: Callable[[datetime], T]) -> T:
    """Call ``fn(now)``, commit, and map engine refusals to ``ActionFailed`` after a rollback."""
    try:
        result = fn(ctx.config.now())
        db.commit()
        return result
    except Forbidden:
        db.rollback()
        raise
    except PermissionDenied as exc:
        db.rollback()
        raise ActionFailed(str(exc), 403) from exc
    except NotFound as exc:
        db.rollback()
        raise ActionFailed(str(exc), 404) from exc
    except WorkflowError as exc:
        db.rollback()
        raise ActionFailed(str(exc), 409) from exc
    except SQLAlchemyError as exc:
        db.rollback()
        log.exception("action %s by %s failed in the database", name, user.login)
        raise ActionFailed("Ошибка базы данных, действие не выполнено; повторите позже", 503) from exc
