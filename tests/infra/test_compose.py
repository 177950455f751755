"""docker-compose.yml and the Dockerfile, checked without Docker (it does not run on these machines).

The file is loaded with yaml.safe_load and its ``${VAR}`` references are resolved the way
Compose does, so the single-broker and the ``cluster`` deployment are each checked as wired.
"""

from __future__ import annotations

import base64
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
CLUSTER_ENV = ROOT / "deploy" / "cluster.env"
STAGES = {"collectors": ["run", "collectors"], "classifier": ["run", "classifier"], "intake": ["run", "intake"],
          "sla": ["run", "sla"], "publisher": ["run", "publisher"], "console": ["console"]}
WIRING = ("OTKLIK_KAFKA_BOOTSTRAP", "OTKLIK_DATABASE_URL", "OTKLIK_CLICKHOUSE_URL", "OTKLIK_KAFKA_REPLICATION")
SECRETS = {"POSTGRES_PASSWORD": "pg-Прокопьевск-1", "CLICKHOUSE_PASSWORD": "ch-Kemerovo-2", "OTKLIK_SECRET_KEY": "k3"}

_REF = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:-|-|:\?|\?)(?P<arg>[^}]*))?\}")


class MissingVariable(Exception):
    pass


def _interpolate(text: str, env: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m.group("name"), m.group("op"), m.group("arg")
        value = env.get(name)
        if op == ":-":
            return value if value else arg
        if op == "-":
            return arg if value is None else value
        if op in (":?", "?") and not value:
            raise MissingVariable(f"{name}: {arg}")
        return value or ""

    return _REF.sub(one, text)


def _resolve(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return _interpolate(node, env)
    if isinstance(node, list):
        return [_resolve(n, env) for n in node]
    if isinstance(node, dict):
        return {k: _resolve(v, env) for k, v in node.items()}
    return node


def _raw() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def _enabled(config: dict[str, Any], profiles: set[str]) -> dict[str, Any]:
    return {name: svc for name, svc in config["services"].items()
            if not svc.get("profiles") or profiles & set(svc["profiles"])}


def _brokers(services: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in services.items() if str(svc.get("image", "")).startswith("apache/kafka:")}


def _check_kafka_wiring(services: dict[str, Any], expected_brokers: int, replication: str) -> None:
    brokers = _brokers(services)
    assert len(brokers) == expected_brokers
    node_ids = {svc["environment"]["KAFKA_NODE_ID"]: name for name, svc in brokers.items()}
    assert len(node_ids) == expected_brokers, "each broker needs its own node id"
    for name, svc in brokers.items():
        env = svc["environment"]
        voters = dict(v.split("@", 1) for v in env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(","))
        assert {nid: addr.split(":")[0] for nid, addr in voters.items()} == node_ids, name
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == replication
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
        assert len(base64.urlsafe_b64decode(env["CLUSTER_ID"] + "==")) == 16, "CLUSTER_ID must be a base64 UUID"
    for stage in STAGES:
        env = services[stage]["environment"]
        hosts = [h.split(":")[0] for h in env["OTKLIK_KAFKA_BOOTSTRAP"].split(",")]
        assert sorted(hosts) == sorted(brokers), stage
        assert env["OTKLIK_KAFKA_REPLICATION"] == replication, stage


def test_services_present() -> None:
    services = _raw()["services"]
    assert {"kafka", "postgres", "clickhouse", *STAGES} <= set(services)


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_built_from_dockerfile_and_wired_by_env(stage: str) -> None:
    svc = _raw()["services"][stage]
    assert svc["command"] == STAGES[stage]
    assert (ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()
    assert all(svc["environment"].get(var) for var in WIRING), stage
    assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_single_broker_deployment_resolves() -> None:
    config = _resolve(_raw(), dict(SECRETS))
    services = _enabled(config, set())
    _check_kafka_wiring(services, expected_brokers=1, replication="1")
    stage_env = services["intake"]["environment"]
    assert stage_env["OTKLIK_DATABASE_URL"] == f"postgresql+psycopg://otklik:{SECRETS['POSTGRES_PASSWORD']}@postgres:5432/otklik"
    assert stage_env["OTKLIK_CLICKHOUSE_URL"] == f"http://otklik:{SECRETS['CLICKHOUSE_PASSWORD']}@clickhouse:8123/otklik"


def test_cluster_profile_has_three_brokers_and_replication_3() -> None:
    raw = _raw()
    in_cluster_profile = {name for name, svc in raw["services"].items() if "cluster" in svc.get("profiles", [])}
    assert in_cluster_profile == {"kafka-2", "kafka-3"}
    env = {**_env_file(CLUSTER_ENV), **SECRETS}
    assert env["OTKLIK_KAFKA_REPLICATION"] == "3"
    config = _resolve(raw, env)
    services = _enabled(config, set(env["COMPOSE_PROFILES"].split(",")))
    _check_kafka_wiring(services, expected_brokers=3, replication="3")
    assert all(b["environment"]["KAFKA_MIN_INSYNC_REPLICAS"] == "2" for b in _brokers(services).values())


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_secrets_have_no_default_in_the_file(secret: str) -> None:
    env = {k: v for k, v in SECRETS.items() if k != secret}
    with pytest.raises(MissingVariable, match=secret):
        _resolve(_raw(), env)


def test_only_the_console_is_published_and_only_on_loopback() -> None:
    published = {name: svc["ports"] for name, svc in _raw()["services"].items() if svc.get("ports")}
    assert set(published) == {"console"}
    assert all(str(p).startswith("127.0.0.1:") for p in published["console"])


def test_dockerfile_copies_every_package_and_the_region_data() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    copied = set(re.findall(r"^COPY (\S+?)/ ", dockerfile, flags=re.M))
    assert set(packages) | {"regions"} <= copied
    assert re.search(r"^FROM python:3\.11", dockerfile, flags=re.M)
    assert re.search(r'^ENTRYPOINT \["otklik"\]', dockerfile, flags=re.M)
    assert re.search(r"^USER (?!root)\w+", dockerfile, flags=re.M), "the stages must not run as root"


def test_compose_brokers_accept_the_same_message_size_as_the_dev_broker() -> None:
    dev = re.search(r"^message\.max\.bytes=(\d+)$", (ROOT / "scripts" / "kafka.sh").read_text(), flags=re.M)
    assert dev is not None
    for name, svc in _brokers(_raw()["services"]).items():
        assert svc["environment"]["KAFKA_MESSAGE_MAX_BYTES"] == dev.group(1), name
