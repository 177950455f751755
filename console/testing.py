"""Test factory: a console on a temp SQLite database with the region's people (known password) and a few cases."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cases.config import DEFAULT_REGION_DIR, CaseConfig
from cases.db import make_engine, migrate, session_factory
from cases.intake import intake
from cases.models import Person
from cases.seed import load_region
from console.app import create_app
from console.config import ConsoleConfig
from console.passwords import hash_password
from schemas import (
    Author,
    ClassifiedPost,
    Importance,
    ImportanceSuggestion,
    LocationSuggestion,
    Metrics,
    Network,
    Post,
    RouteSuggestion,
    Suggestion,
    TopicCandidate,
)

TEST_PASSWORD = "kuzbass-test-password"


class FakeClock:
    """Settable 'now' for the app and the engine alike: expiry and deadlines without sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.at = start or datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # Tuesday 10:00 in Novokuznetsk

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class SamplePost:
    text: str
    network: str = "vk"
    topic: str = "ЖКХ"
    municipality: str | None = "kemerovo"
    agency: str = "adm-kemerovo"
    importance: str = "normal"
    author: str = "Жительница Ленинского района"


SAMPLE_POSTS = (
    SamplePost("На улице Терешковой в Кемерове третий день нет горячей воды, управляющая компания не отвечает."),
    SamplePost("В Новокузнецке на проспекте Металлургов огромная яма, уже две машины пробили колёса.",
               topic="Дороги", municipality="novokuznetsk", agency="adm-novokuznetsk"),
    SamplePost("Прокопьевск, поликлиника на Гагарина: запись к терапевту только через три недели.",
               topic="Здравоохранение", municipality="prokopyevsk", agency="min-health", importance="high"),
)


def classified(sample: SamplePost, uid: str, now: datetime, *, followers: int = 1200) -> ClassifiedPost:
    network, owner, post_id = uid.split(":")[:3]
    post = Post(
        uid=uid,
        network=Network(network),
        url=f"https://vk.com/wall{owner}_{post_id}",
        author=Author(id=f"id{post_id}", name=sample.author, followers=followers),
        text=sample.text,
        created_at=now - timedelta(minutes=5),
        collected_at=now,
        metrics=Metrics(likes=14, reposts=3, comments=7, views=860),
    )
    suggestion = Suggestion(
        topics=[TopicCandidate(topic=sample.topic, confidence=0.82)],
        location=LocationSuggestion(municipality=sample.municipality, confidence=0.9 if sample.municipality else 0.0),
        importance=ImportanceSuggestion(label=Importance(sample.importance), score=0.7,
                                        reasons=["много комментариев"] if sample.importance == "high" else []),
        routes=[RouteSuggestion(agency=sample.agency, confidence=0.77, reason="тема и территория")],
        model_version="test",
    )
    return ClassifiedPost(post=post, suggestion=suggestion)


@dataclass
class ConsoleFixture:
    app: FastAPI
    config: ConsoleConfig
    clock: FakeClock
    sessions: sessionmaker[Session]
    case_config: CaseConfig
    case_ids: list[int] = field(default_factory=list)

    def session(self) -> Session:
        return self.sessions()

    def add_post(self, sample: SamplePost, uid: str) -> int:
        with self.session() as db:
            result = intake(db, classified(sample, uid, self.clock()), self.clock(), config=self.case_config)
            db.commit()
            return result.case_id


def make_console(tmp_path: Path, *, samples: tuple[SamplePost, ...] = SAMPLE_POSTS,
                 region_dir: Path = DEFAULT_REGION_DIR, clock: FakeClock | None = None,
                 dsn: str | None = None) -> ConsoleFixture:
    """Migrated temp DB, region seeded, every person's password set to ``TEST_PASSWORD``, ``samples`` taken in."""
    clock = clock or FakeClock()
    dsn = dsn or f"sqlite:///{tmp_path / 'console.sqlite'}"
    engine = make_engine(dsn)
    migrate(engine)
    sessions = session_factory(engine)
    pw = hash_password(TEST_PASSWORD)
    with sessions() as db:
        load_region(db, region_dir)
        for person in db.scalars(select(Person)):
            person.password_hash = pw
        db.commit()
    config = ConsoleConfig(database_dsn=dsn, secret_key="test-secret-key-" + "x" * 32, region_dir=region_dir,
                           now=clock, poll_seconds=2)
    case_config = CaseConfig.load(region_dir)
    fixture = ConsoleFixture(create_app(config, case_config=case_config), config, clock, sessions, case_config)
    for n, sample in enumerate(samples, start=1):
        fixture.case_ids.append(fixture.add_post(sample, f"vk:-1000{n}:{500 + n}"))
    return fixture


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """uvicorn in a thread on 127.0.0.1; yields the base URL and stops the server on exit."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="console-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
