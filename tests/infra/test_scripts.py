"""The service start scripts: their plumbing without services, and the running services with them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
SHELL_SCRIPTS = [*sorted(SCRIPTS.glob("*.sh")), ROOT / ".ci" / "run"]


def _run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL, check=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_parse_and_are_strict(script: Path) -> None:
    assert _run("bash", "-n", str(script)).returncode == 0
    assert "set -euo pipefail" in script.read_text() or "set -uo pipefail" in script.read_text()


@pytest.mark.parametrize("script", ["postgres.sh", "kafka.sh"])
def test_unknown_command_prints_usage(script: str) -> None:
    result = _run("bash", str(SCRIPTS / script), "bogus")
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_postgres_url_follows_pgport() -> None:
    result = _run("bash", str(SCRIPTS / "postgres.sh"), "url", env={"PGPORT": "6543"})
    assert result.stdout.strip() == "postgresql+psycopg://postgres@127.0.0.1:6543/otklik_test"


def test_status_reports_not_running_with_exit_3(tmp_path: Path) -> None:
    port = str(_free_port())
    pg = _run("bash", str(SCRIPTS / "postgres.sh"), "status", env={"PGPORT": port, "PG_DATA_DIR": str(tmp_path / "pg")})
    kafka = _run("bash", str(SCRIPTS / "kafka.sh"), "status",
                 env={"KAFKA_PORT": port, "KAFKA_HOME_DIR": str(tmp_path / "kafka")})
    assert (pg.returncode, pg.stdout.strip()) == (3, "not running")
    assert (kafka.returncode, kafka.stdout.strip()) == (3, "not running")


def test_stop_when_not_running_is_a_no_op(tmp_path: Path) -> None:
    result = _run("bash", str(SCRIPTS / "kafka.sh"), "stop", env={"KAFKA_HOME_DIR": str(tmp_path / "kafka")})
    assert result.returncode == 0
    assert "not running" in result.stderr


@pytest.mark.integration
@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_script_lifecycle_prints_only_the_url_and_is_idempotent() -> None:
    if not Path("/usr/lib/postgresql/15/bin/initdb").exists() or os.geteuid() != 0:
        if in_ci():
            pytest.fail("CI=true but PostgreSQL 15 binaries or root are missing", pytrace=False)
        pytest.skip("needs root and Debian's postgresql-15")
    home = ROOT / ".cache" / f"test-pg-{uuid.uuid4().hex[:8]}"
    port = str(_free_port())
    env = {"PGPORT": port, "PG_DATA_DIR": str(home), "PG_DATABASE": "otklik_lifecycle"}
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/otklik_lifecycle"
    script = str(SCRIPTS / "postgres.sh")
    try:
        first = _run("bash", script, "start", env=env)
        assert (first.returncode, first.stdout) == (0, url + "\n"), first.stderr
        again = _run("bash", script, "start", env=env)
        assert (again.returncode, again.stdout) == (0, url + "\n"), again.stderr
        assert "already running" in again.stderr
        assert _run("bash", script, "status", env=env).returncode == 0
    finally:
        stopped = _run("bash", script, "stop", env=env)
        shutil.rmtree(home, ignore_errors=True)
    assert stopped.returncode == 0, stopped.stderr
    assert _run("bash", script, "status", env=env).returncode == 3


@pytest.mark.integration
@pytest.mark.postgres
def test_postgres_answers_select_1(postgres_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
            version = conn.execute(sa.text("SHOW server_version_num")).scalar_one()
            encoding = conn.execute(sa.text("SHOW server_encoding")).scalar_one()
    finally:
        engine.dispose()
    assert int(version) >= 150000
    assert encoding == "UTF8"


@pytest.mark.integration
@pytest.mark.kafka
def test_kafka_answers_metadata_and_round_trips_a_message(kafka_bootstrap: str) -> None:
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import NewTopic

    servers = kafka_bootstrap.split(",")
    topic = f"test.infra.{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=10_000)
    try:
        cluster = admin.describe_cluster()
        assert cluster["brokers"], "the broker answered metadata without any broker"
        admin.create_topics([NewTopic(name=topic, num_partitions=1, replication_factor=1)], timeout_ms=10_000)
        producer = KafkaProducer(bootstrap_servers=servers, acks="all", enable_idempotence=True)
        try:
            producer.send(topic, key=b"vk:1:1", value="Кемерово, ул. Весенняя".encode()).get(timeout=10)
        finally:
            producer.close()
        consumer = KafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False, consumer_timeout_ms=10_000)
        try:
            tp = TopicPartition(topic, 0)
            consumer.assign([tp])
            consumer.seek_to_beginning(tp)
            message = next(iter(consumer))
        finally:
            consumer.close()
        assert (message.key, message.value.decode()) == (b"vk:1:1", "Кемерово, ул. Весенняя")
    finally:
        try:
            admin.delete_topics([topic], timeout_ms=10_000)
        finally:
            admin.close()
