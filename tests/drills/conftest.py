"""Private Kafka and PostgreSQL for the fault drills: they are stopped and restarted, so never the shared ones.

The drills need the same services as the other integration tests (``OTKLIK_TEST_KAFKA_BOOTSTRAP``,
``OTKLIK_TEST_POSTGRES_URL``: without them they skip, and fail under ``CI=true``) and then start
their own instances with ``scripts/kafka.sh`` / ``scripts/postgres.sh`` on other ports
(``OTKLIK_DRILL_KAFKA_PORT``, default 9096, its controller on ``OTKLIK_DRILL_KAFKA_CONTROLLER_PORT``,
default the Kafka port + 1000; ``OTKLIK_DRILL_PG_PORT``, default 5440).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import KAFKA_ENV, POSTGRES_ENV, require_service

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class PrivateServices:
    kafka_env: dict[str, str]
    pg_env: dict[str, str]
    bootstrap: str
    admin_url: str

    def kafka(self, action: str) -> None:
        _script("kafka.sh", action, self.kafka_env)

    def postgres(self, action: str) -> None:
        _script("postgres.sh", action, self.pg_env)


def _script(name: str, action: str, env: dict[str, str]) -> str:
    done = subprocess.run([str(REPO / "scripts" / name), action], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=240)
    if done.returncode != 0:
        raise RuntimeError(f"scripts/{name} {action} failed: {done.stderr[-2000:]}")
    return done.stdout.strip()


@pytest.fixture(scope="session")
def private_services() -> Iterator[PrivateServices]:
    require_service(KAFKA_ENV, "the Kafka broker")
    require_service(POSTGRES_ENV, "PostgreSQL")
    home = Path(os.environ.get("OTKLIK_DRILL_HOME", "/tmp/otklik-drill"))
    kafka_port = os.environ.get("OTKLIK_DRILL_KAFKA_PORT", "9096")
    pg_port = os.environ.get("OTKLIK_DRILL_PG_PORT", "5440")
    # The controller port is set apart (not KAFKA_PORT+1): neighbouring drill brokers must not collide.
    controller_port = os.environ.get("OTKLIK_DRILL_KAFKA_CONTROLLER_PORT", str(int(kafka_port) + 1000))
    kafka_env = {"KAFKA_PORT": kafka_port, "KAFKA_CONTROLLER_PORT": controller_port,
                 "KAFKA_HOME_DIR": str(home / "kafka")}
    pg_env = {"PGPORT": pg_port, "PG_DATA_DIR": str(home / "pg")}
    home.mkdir(parents=True, exist_ok=True)
    bootstrap = _script("kafka.sh", "start", kafka_env)
    _script("postgres.sh", "start", pg_env)
    services = PrivateServices(kafka_env, pg_env, bootstrap,
                               f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}/postgres")
    try:
        yield services
    finally:
        if os.environ.get("OTKLIK_DRILL_KEEP_SERVICES") != "1":
            services.kafka("stop")
            services.postgres("stop")
