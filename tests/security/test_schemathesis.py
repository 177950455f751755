"""Property-based run of the console API's OpenAPI schema: no input, signed in as any role, gives a 5xx."""

from __future__ import annotations

import itertools
import shutil
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from cases.config import DEFAULT_REGION_DIR
from console.testing import TEST_PASSWORD, ConsoleFixture, make_console

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow
ROLES = ("curator", "kem-exec1", "analyst", "admin")
MAX_EXAMPLES = 15  # per operation and mode (valid and invalid inputs), each sent as 3 roles


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleFixture]:
    """On a private copy of the region: the admin API is fuzzed too and must never write the repository's data."""
    tmp = Path(tmp_path_factory.mktemp("schemathesis"))
    shutil.copytree(DEFAULT_REGION_DIR, tmp / "regions" / DEFAULT_REGION_DIR.name)
    shutil.copytree(DEFAULT_REGION_DIR.parent / "calendars", tmp / "regions" / "calendars")
    yield make_console(tmp, region_dir=tmp / "regions" / DEFAULT_REGION_DIR.name)


def _auth_headers(fx: ConsoleFixture, login: str) -> dict[str, str]:
    """Session cookie and its CSRF token as plain headers, so every generated call carries them."""
    client = TestClient(fx.app)
    token = client.get("/api/session").json()["csrf_token"]
    r = client.post("/api/session", json={"login": login, "password": TEST_PASSWORD},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    cookie = client.cookies.get("otklik_session")
    return {"Cookie": f"otklik_session={cookie}", "X-CSRF-Token": r.json()["csrf_token"]}


@pytest.fixture(scope="module")
def sessions(console: ConsoleFixture) -> dict[str, dict[str, str]]:
    return {login: _auth_headers(console, login) for login in ROLES}


def _operations(fx: ConsoleFixture) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", fx.app)
    return [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]


def test_schema_covers_the_api(console: ConsoleFixture) -> None:
    paths = {op.path for op in _operations(console)}
    assert {"/api/queue", "/api/cases/{case_id}/triage", "/api/assignments/{assignment_id}/return"} <= paths


def test_api_never_answers_with_a_server_error(console: ConsoleFixture, sessions: dict[str, dict[str, str]]) -> None:
    """Driven per operation (schemathesis' own pytest plugin does not load under this pytest)."""
    statuses: Counter[int] = Counter()
    for operation, mode in itertools.product(_operations(console), GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)
        def run(case: schemathesis.Case) -> None:
            for headers in sessions.values():
                response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
                statuses[response.status_code] += 1

        try:
            run()
        except Unsatisfiable:  # nothing to make invalid (no parameters, no body): only the valid run applies
            assert mode is GenerationMode.NEGATIVE, operation.label
    print(f"schemathesis: {sum(statuses.values())} calls, status counts {dict(sorted(statuses.items()))}")
    assert sum(statuses.values()) > 100
    assert not any(code >= 500 for code in statuses), statuses
