"""``otklik collect``: run collectors into the bus, replay sample files, show source health."""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

import typer

from collectors.config import ConfigError, build_sources, load_config
from collectors.credentials import Credentials
from collectors.replay import ReplayError, ReplaySource
from collectors.runner import Runner, collector_health
from collectors.sink import BusSink
from collectors.state import CollectorState
from otklik.bus import open_bus
from otklik.settings import get_settings

NAME = "collect"
APP = typer.Typer(help="Сбор сообщений из соцсетей и блогов в posts.raw.", no_args_is_help=True)


def _state_dir(state_dir: Path | None) -> Path:
    return state_dir or get_settings().data_dir / "collectors"


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@APP.command("replay")
def replay(
    path: Path = typer.Argument(..., help="JSONL (схема Post или простая) или CSV со столбцом text"),
    time_scale: float = typer.Option(0.0, help="0 — как можно быстрее, 1 — в реальном времени"),
    limit: int | None = typer.Option(None, help="не больше N строк"),
    rebase: bool = typer.Option(False, help="сдвинуть время публикации так, чтобы первая запись была «сейчас»"),
    bus: str | None = typer.Option(None, help="DSN шины (по умолчанию из настроек)"),
    state_dir: Path | None = typer.Option(None, help="папка состояния сборщиков"),
    page_size: int = typer.Option(200, help="записей за одну порцию"),
) -> None:
    """Проиграть файл с сообщениями в posts.raw (демо и нагрузочные тесты)."""
    try:
        source = ReplaySource(path, time_scale=time_scale, limit=limit,
                              rebase_to=datetime.now(UTC) if rebase else None)
    except ReplayError as exc:
        typer.echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(2) from exc
    source.page_size = page_size
    the_bus = open_bus(bus or get_settings().bus_dsn)
    state = CollectorState(_state_dir(state_dir))
    try:
        sink = BusSink(the_bus)
        runner = Runner([source], sink, state)
        runner.run(_stop_on_signals(), exit_when_idle=True)
        h = runner.health()[0]
        typer.echo(json.dumps({"source": h.source, "posts": h.posts_total, "rejected": len(source.rejections),
                               "status": h.status}, ensure_ascii=False))
    finally:
        state.close()
        the_bus.close()


def _sources_file(path: Path | None) -> Path:
    return path or get_settings().region_dir / "sources.yaml"


@APP.command("run")
def run(
    sources: Path | None = typer.Option(None, help="sources.yaml (по умолчанию — файл региона)"),
    bus: str | None = typer.Option(None, help="DSN шины (по умолчанию из настроек)"),
    state_dir: Path | None = typer.Option(None, help="папка состояния сборщиков"),
    metrics_port: int | None = typer.Option(None, help="порт метрик Prometheus (127.0.0.1)"),
) -> None:
    """Запустить все настроенные источники; источник без ключей пропускается с причиной."""
    try:
        built = build_sources(load_config(_sources_file(sources)), Credentials.load())
    except (ConfigError, KeyError, ValueError) as exc:
        typer.echo(f"Ошибка конфигурации источников: {exc}", err=True)
        raise typer.Exit(2) from exc
    for reason in built.skipped:
        typer.echo(f"Пропущено: {reason}", err=True)
    if not built.sources:
        typer.echo("Нет ни одного источника для запуска.", err=True)
        raise typer.Exit(1)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1")
    the_bus = open_bus(bus or get_settings().bus_dsn)
    state = CollectorState(_state_dir(state_dir))
    try:
        Runner(built.sources, BusSink(the_bus), state).run(_stop_on_signals())
    finally:
        state.close()
        the_bus.close()


@APP.command("sources")
def list_sources(sources: Path | None = typer.Option(None, help="sources.yaml")) -> None:
    """Показать, какие источники будут запущены с текущими ключами."""
    try:
        built = build_sources(load_config(_sources_file(sources)), Credentials.load())
    except (ConfigError, KeyError, ValueError) as exc:
        typer.echo(f"Ошибка конфигурации источников: {exc}", err=True)
        raise typer.Exit(2) from exc
    for source in built.sources:
        typer.echo(f"{source.network}\t{source.name}\tкаждые {source.interval_s:.0f} с")
    for reason in built.skipped:
        typer.echo(f"пропущено\t{reason}")


@APP.command("health")
def health(state_dir: Path | None = typer.Option(None, help="папка состояния сборщиков")) -> None:
    """Состояние каждого источника: последний успех, отставание, ошибки."""
    rows = collector_health(str(_state_dir(state_dir)))
    if not rows:
        typer.echo("Источники ещё не запускались.")
    for h in rows:
        since = h.since_success_s()
        typer.echo(json.dumps({
            "источник": h.source, "сеть": h.network, "статус": h.status,
            "с_последнего_успеха_с": None if since is None else round(since, 1),
            "отставание_с": None if h.lag_s is None else round(h.lag_s, 1),
            "ошибок": h.errors_total, "последняя_ошибка": h.last_error,
        }, ensure_ascii=False))
