from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from console.testing import TEST_PASSWORD, ConsoleFixture, make_console

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def fx(tmp_path: Path) -> ConsoleFixture:
    return make_console(tmp_path)


def csrf_of(client: TestClient, path: str = "/login") -> str:
    match = CSRF_RE.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(fx: ConsoleFixture, login: str) -> TestClient:
    client = TestClient(fx.app)
    token = csrf_of(client)
    r = client.post("/login", data={"login": login, "password": TEST_PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def api_token(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/session").json()["csrf_token"]}
