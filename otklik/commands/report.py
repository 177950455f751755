"""``otklik report``: the R25 monthly summary and the R24 deficiencies report, as HTML, PDF and XLSX."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from otklik.settings import get_settings

if TYPE_CHECKING:
    from sla_tracker.analytics.store import AnalyticsStore
    from sla_tracker.reports.region import RegionLabels

NAME = "report"
APP = typer.Typer(help="Отчёты по пунктам 24 и 25 Регламента (HTML, PDF, XLSX).", no_args_is_help=True)


def _open_store() -> AnalyticsStore:
    from sla_tracker.analytics.store import AnalyticsError, AnalyticsStore

    try:
        store = AnalyticsStore(get_settings().clickhouse_dsn)
        store.migrate()
    except AnalyticsError as exc:
        typer.echo(f"Ошибка: хранилище аналитики недоступно: {exc}", err=True)
        raise typer.Exit(2) from exc
    return store


def _labels() -> RegionLabels:
    from sla_tracker.reports.region import load_labels

    return load_labels(get_settings().region_dir)


def _parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"ожидается дата ГГГГ-ММ-ДД, получено {value!r}", param_hint=option) from exc


@APP.command("monthly")
def monthly_cmd(
    month: Annotated[str, typer.Option("--month", help="Отчётный месяц, ГГГГ-ММ.")],
    out: Annotated[Path, typer.Option("--out", help="Папка для файлов отчёта.")],
) -> None:
    """Ежемесячный отчёт (п. 25): своевременность, качество, динамика."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise typer.BadParameter(f"ожидается месяц ГГГГ-ММ, получено {month!r}", param_hint="--month")
    from sla_tracker.reports import monthly, render

    store = _open_store()
    try:
        report = monthly.build(store, int(match.group(1)), int(match.group(2)), _labels())
    finally:
        store.close()
    paths = render.write_all(report, out)
    typer.echo(json.dumps({k: str(v) for k, v in paths.items()}, ensure_ascii=False))


@APP.command("deficiencies")
def deficiencies_cmd(
    start: Annotated[str, typer.Option("--from", help="Первый день периода, ГГГГ-ММ-ДД.")],
    end: Annotated[str, typer.Option("--to", help="Последний день периода, ГГГГ-ММ-ДД.")],
    out: Annotated[Path, typer.Option("--out", help="Папка для файлов отчёта.")],
) -> None:
    """Отчёт о нарушениях сроков (п. 24) по органам и исполнителям, по сферам заместителей Губернатора."""
    first, last = _parse_date(start, "--from"), _parse_date(end, "--to")
    if last < first:
        raise typer.BadParameter("дата окончания раньше даты начала", param_hint="--to")
    from sla_tracker.reports import deficiencies, render

    store = _open_store()
    try:
        report = deficiencies.build(store, first, last, _labels())
    finally:
        store.close()
    paths = render.write_all(report, out)
    typer.echo(json.dumps({k: str(v) for k, v in paths.items()}, ensure_ascii=False))
