"""Top-level commands: demo, run, migrate, doctor."""

from __future__ import annotations

import faulthandler
import json
import signal
import sys
import threading
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from otklik.logs import setup_logging
from otklik.settings import Settings, get_settings


class Stage(StrEnum):
    CLASSIFIER = "classifier"
    INTAKE = "intake"
    REPLIES = "replies"
    SLA = "sla"
    PUBLISHER = "publisher"
    ALERTS = "alerts"
    WATCHER = "watcher"
    COLLECTORS = "collectors"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("run")(run)
    app.command("migrate")(migrate)
    app.command("doctor")(doctor)


def demo(
    exit_after: Annotated[
        int | None, typer.Option("--exit-after", help="Run headless for N posts, print JSON, exit.")
    ] = None,
    posts: Annotated[
        Path | None, typer.Option(help="JSONL/CSV of posts to replay (default: the region's demo posts).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Console port (default 8000).")] = None,
) -> None:
    """Every stage in one process on the embedded defaults, then the console on 127.0.0.1."""
    from otklik.demo import run_demo

    settings = _demo_settings()
    setup_logging("WARNING" if exit_after else settings.log_level, settings.log_json)
    if port is not None:
        settings.console_port = port
    summary = run_demo(settings, exit_after, posts, serve=_serve_console)
    if exit_after is not None:
        typer.echo(json.dumps(summary, ensure_ascii=False))


def _demo_settings() -> Settings:
    """The demo always runs embedded, in its own folder, whatever production URLs are set."""
    base = get_settings()
    return base.model_copy(update={"data_dir": base.data_dir / "demo", "kafka_bootstrap": None,
                                   "database_url": None, "clickhouse_url": None})


def _serve_console(settings: Settings, pipeline: Any) -> None:
    import uvicorn

    from console.app import create_app

    stop = threading.Event()

    def background() -> None:
        while not stop.is_set():
            pipeline.pump()
            pipeline.watch()
            stop.wait(2.0)

    worker = threading.Thread(target=background, name="demo-pipeline", daemon=True)
    worker.start()
    password = _demo_password(pipeline)
    typer.echo(f"Otklik demo: console at http://{settings.console_host}:{settings.console_port}/ (Ctrl+C to stop)")
    people = f"regions/{settings.region}/people.yaml"
    typer.echo(f"Sign in as curator, analyst, admin, zhkh-exec1, health-exec1 ... ({people})"
               f" with the one-time demo password: {password}")
    try:
        uvicorn.run(create_app(settings), host=settings.console_host, port=settings.console_port, log_level="warning")
    finally:
        stop.set()
        worker.join(timeout=10)


def _demo_password(pipeline: Any) -> str:
    """The demo's people get one random password per run: the demo database is wiped at every start."""
    import secrets

    from sqlalchemy import select

    from cases.models import Person
    from console.passwords import hash_password

    password = secrets.token_urlsafe(9)
    hashed = hash_password(password)
    with pipeline.resources.db() as session:
        for person in session.scalars(select(Person).where(Person.password_hash.is_(None))):
            person.password_hash = hashed
        session.commit()
    return password


def run(stage: Annotated[Stage, typer.Argument(help="Which stage to run as its own process.")]) -> None:
    """Run one stage against the configured bus (Kafka when OTKLIK_KAFKA_BOOTSTRAP is set); stops on SIGTERM."""
    from otklik.bus.processing import run_loop
    from otklik.stages import Counters
    from otklik.topology import Resources, build_loop
    from otklik.wiring import bus_from

    settings = get_settings()
    setup_logging(settings.log_level, settings.log_json)
    # `kill -USR1 <pid>` writes every thread's stack to stderr: how a stuck stage shows where it waits.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    if stage is Stage.COLLECTORS:
        from otklik.commands.collect import run as collect_run

        collect_run(sources=None, bus=None, state_dir=None, metrics_port=None)
        return
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    bus = bus_from(settings)
    resources = Resources(settings)
    producer = bus.producer()
    try:
        if stage is Stage.WATCHER:
            _watch_forever(resources, producer, stopping)
        else:
            loop = build_loop(stage.value, bus, resources, Counters())
            run_loop(loop.consumer, loop.handler, producer, stop=stopping.is_set,
                     on_idle=lambda: _idle(loop, resources, producer), freeze_heap=True)
    except KeyboardInterrupt:
        pass
    finally:
        producer.close()
        bus.close()
        resources.close()


def _idle(loop: Any, resources: Any, producer: Any) -> None:
    loop.idle(resources, producer)


def _watch_forever(resources: Any, producer: Any, stopping: threading.Event) -> None:
    """R24: warnings at 75% and breaches at 100% of every open clock, checked every 15 s."""
    from cases.people import reassign_absent
    from cases.watch import tick
    from otklik.stages import relay_outbox, utcnow

    while not stopping.is_set():
        with resources.db() as session:
            tick(session, utcnow())
            reassign_absent(session, utcnow())
            session.commit()
        relay_outbox(resources.db, producer)
        stopping.wait(15.0)


def migrate() -> None:
    """Bring the workflow database and the analytics store to the newest schema."""
    from otklik.wiring import analytics_from, database_from

    settings = get_settings()
    database_from(settings)
    applied = analytics_from(settings, migrate=False).migrate()
    typer.echo(json.dumps({"workflow_db": "at head", "analytics_applied": applied}, ensure_ascii=False))


def doctor() -> None:
    """Check every configured part and say in plain words what is wrong and how to mend it."""
    from otklik.wiring import Doctor

    started = time.perf_counter()
    problems = Doctor(get_settings()).run()
    bad = 0
    for p in problems:
        status = "ok" if p.problem is None else "PROBLEM"
        bad += p.problem is not None
        detail = f"\n          {p.problem}\n          -> {p.hint}" if p.problem else ""
        typer.echo(f"[{status:7}] {p.part} ({p.where}){detail}")
    typer.echo(f"{len(problems) - bad} of {len(problems)} parts ok ({time.perf_counter() - started:.1f}s)")
    if bad:
        sys.exit(1)

