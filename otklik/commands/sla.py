"""``otklik sla``: check the regulation's clocks and the working-time calendar by hand."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from otklik.settings import get_settings
from sla_tracker.calendar import CalendarDataMissing, CalendarError, WorkingCalendar
from sla_tracker.clocks import ClockConfigError, ClockPolicy

NAME = "sla"
APP = typer.Typer(help="Сроки регламента: рабочий календарь и часы (clocks).", no_args_is_help=True)

_NAIVE = "Время без смещения понимается в часовом поясе региона (Asia/Novokuznetsk для Кузбасса)."


class Importance(StrEnum):
    NORMAL = "normal"
    HIGH = "high"


def _instant(text: str, zone: ZoneInfo, option: str) -> datetime:
    """Parse ISO 8601; a naive value is wall-clock time in the region's zone."""
    if len(text) > 64:
        raise typer.BadParameter("слишком длинное значение", param_hint=option)
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"не дата/время ISO 8601: {text!r}", param_hint=option) from exc
    return at.replace(tzinfo=zone) if at.tzinfo is None else at


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"Ошибка: {exc}", err=True)
    return typer.Exit(code=2)


@APP.command("deadlines")
def deadlines(
    detected: Annotated[str, typer.Option("--detected", help=f"Момент выявления, ISO 8601. {_NAIVE}")],
    importance: Annotated[Importance, typer.Option(help="Категория важности (R12)")] = Importance.NORMAL,
    shortened: Annotated[bool, typer.Option("--shortened", help="Сокращённый срок (R7.2)")] = False,
) -> None:
    """Сроки часов, которые идут от выявления: маршрутизация, проект ответа, ответ (JSON)."""
    settings = get_settings()
    try:
        policy = ClockPolicy.load(settings.region_dir, settings.short_clocks_working_time)
        start = _instant(detected, policy.calendar.zone, "--detected")
        zone = policy.calendar.zone
        due = policy.detection_deadlines(start, importance.value, shortened)
        out = {kind.value: at.astimezone(zone).isoformat() for kind, at in due.items()}
    except (CalendarDataMissing, CalendarError, ClockConfigError) as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps(out, ensure_ascii=False))


@APP.command("add")
def add(
    start: Annotated[str, typer.Option("--start", help=f"Начало отсчёта, ISO 8601. {_NAIVE}")],
    minutes: Annotated[float | None, typer.Option(help="Рабочих минут")] = None,
    hours: Annotated[float | None, typer.Option(help="Рабочих часов")] = None,
    days: Annotated[
        int | None, typer.Option(help="Рабочих дней (срок — конец N-го рабочего дня после даты начала)")
    ] = None,
) -> None:
    """Момент через N рабочих минут, часов или дней (ISO 8601 в часовом поясе региона)."""
    given = [v for v in (minutes, hours, days) if v is not None]
    if len(given) != 1:
        raise typer.BadParameter("укажите ровно одно из --minutes, --hours, --days")
    if given[0] < 0:
        raise typer.BadParameter("значение не может быть отрицательным")
    try:
        calendar = WorkingCalendar.load(get_settings().region_dir)
        at = _instant(start, calendar.zone, "--start")
        if minutes is not None:
            result = calendar.add_minutes(at, minutes)
        elif hours is not None:
            result = calendar.add_hours(at, hours)
        else:
            result = calendar.add_days(at, int(days or 0))
    except (CalendarDataMissing, CalendarError, ValueError) as exc:
        raise _fail(exc) from exc
    typer.echo(result.astimezone(calendar.zone).isoformat())
