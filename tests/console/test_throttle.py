"""Login throttling: per login and client address, on the app's injected clock (no sleeping)."""

from __future__ import annotations

import warnings

from console.app import create_app
from console.testing import TEST_PASSWORD, ConsoleFixture
from tests.console.conftest import csrf_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _try(client: TestClient, login: str, password: str) -> int:
    token = csrf_of(client)
    r = client.post("/login", data={"login": login, "password": password, "csrf_token": token},
                    follow_redirects=False)
    return r.status_code


def _fail(client: TestClient, login: str, times: int) -> list[int]:
    return [_try(client, login, "wrong-password-123") for _ in range(times)]


def test_five_failures_lock_the_pair_even_for_the_right_password(fx: ConsoleFixture) -> None:
    client = TestClient(fx.app)
    assert _fail(client, "curator", 5) == [401] * 5
    token = csrf_of(client)
    r = client.post("/login", data={"login": "curator", "password": TEST_PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 429
    assert "Слишком много неудачных попыток входа" in r.text and "15 мин" in r.text


def test_lock_ends_after_the_lockout(fx: ConsoleFixture) -> None:
    client = TestClient(fx.app)
    _fail(client, "curator", 5)
    fx.clock.advance(minutes=14, seconds=59)
    assert _try(client, "curator", TEST_PASSWORD) == 429
    fx.clock.advance(seconds=1)
    assert _try(client, "curator", TEST_PASSWORD) == 303


def test_failures_outside_the_window_do_not_add_up(fx: ConsoleFixture) -> None:
    client = TestClient(fx.app)
    _fail(client, "curator", 4)
    fx.clock.advance(minutes=16)
    assert _fail(client, "curator", 4) == [401] * 4
    assert _try(client, "curator", TEST_PASSWORD) == 303


def test_success_resets_the_count(fx: ConsoleFixture) -> None:
    client = TestClient(fx.app)
    _fail(client, "curator", 4)
    assert _try(client, "curator", TEST_PASSWORD) == 303
    other = TestClient(fx.app)
    assert _fail(other, "curator", 4) == [401] * 4
    assert _try(other, "curator", TEST_PASSWORD) == 303


def test_lock_is_per_login_and_per_address(fx: ConsoleFixture) -> None:
    attacker = TestClient(fx.app, client=("203.0.113.7", 50000))
    _fail(attacker, "curator", 5)
    assert _try(attacker, "curator", TEST_PASSWORD) == 429
    assert _try(attacker, "analyst", TEST_PASSWORD) == 303  # another login from the same address
    office = TestClient(fx.app, client=("10.20.0.5", 50000))
    assert _try(office, "curator", TEST_PASSWORD) == 303  # the same login from another address


def test_unknown_logins_are_throttled_too(fx: ConsoleFixture) -> None:
    client = TestClient(fx.app)
    assert _fail(client, "nobody-here", 6)[-1] == 429


def test_api_sign_in_is_throttled_with_retry_after(fx: ConsoleFixture) -> None:
    client = TestClient(fx.app)
    headers = {"X-CSRF-Token": client.get("/api/session").json()["csrf_token"]}
    codes = [client.post("/api/session", json={"login": "analyst", "password": "wrong-password-123"},
                         headers=headers).status_code for _ in range(5)]
    assert codes == [401] * 5
    r = client.post("/api/session", json={"login": "analyst", "password": TEST_PASSWORD}, headers=headers)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) == 15 * 60
    assert "Слишком много" in r.json()["detail"]


def test_lock_survives_an_app_restart(fx: ConsoleFixture) -> None:
    _fail(TestClient(fx.app), "curator", 5)
    restarted = create_app(fx.config, case_config=fx.case_config)
    assert _try(TestClient(restarted), "curator", TEST_PASSWORD) == 429
