"""Probe every console route as every role on identical data; used by the matrix test and bench/authz_matrix.py.

Each request starts from the same database snapshot (restored with SQLite's backup API), so one
allowed action cannot change what the next role sees.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cases import workflow
from cases.config import DEFAULT_REGION_DIR
from cases.models import Assignment, Person
from console.routemap import endpoints
from console.testing import TEST_PASSWORD, ConsoleFixture, make_console

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

# role -> login; the case under test belongs to adm-kemerovo
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "curator": "curator",
    "agency_lead": "kem-lead",
    "executor_own": "kem-exec1",
    "executor_other": "nkz-exec1",
    "analyst": "analyst",
    "admin": "admin",
}
OK, LOGIN, FORBIDDEN = "ok", "login", "403"
PUBLIC = frozenset({("GET", "/"), ("GET", "/login"), ("POST", "/login"), ("POST", "/logout"),
                    ("GET", "/api/session"), ("POST", "/api/session"), ("GET", "/api/openapi.json"),
                    ("GET", "/static/{path:path}")})
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LONG = "Проверка прав доступа: ответ жителю Кемерова о ремонте двора на улице Весенней."

# Valid inputs per route, so an allowed request reaches the engine rather than stopping at validation.
FORMS: dict[str, dict[str, Any]] = {
    "/cases/{case_id}/triage": {"topic": "ЖКХ", "importance": "normal", "municipality": "kemerovo",
                                "agencies": "adm-kemerovo"},
    "/cases/{case_id}/route": {"agencies": "adm-kemerovo"},
    "/cases/{case_id}/exclude": {"reason": "Повтор сообщения"},
    "/cases/{case_id}/link": {"earlier": "{other_case}"},
    "/cases/{case_id}/return": {"comment": "Уточните сроки ремонта"},
    "/cases/{case_id}/joint": {"text": LONG},
    "/cases/{case_id}/draft": {"kind": "final", "text": LONG},
    "/cases/{case_id}/posted": {"url": "https://vk.com/wall-10001_501?reply=77"},
    "/assignments/{assignment_id}/return": {"reason": "Не относится к компетенции органа"},
    "/assignments/{assignment_id}/contribution": {"text": LONG},
    "/queue/bulk-exclude": {"case_ids": "{other_case}", "reason": "Дубликат"},
    "/admin/people": {"login": "nkz-exec9", "full_name": "Петрова Анна", "role": "executor",
                      "agency": "adm-novokuznetsk", "password": "Kuzbass-2026-vesna"},
    "/admin/people/{person_id}/role": {"role": "agency_lead", "agency": "adm-kemerovo"},
    "/admin/people/{person_id}/name": {"full_name": "Кузнецова Мария Петровна"},
    "/admin/people/{person_id}/active": {"active": "0"},
    "/admin/people/{person_id}/password": {"password": "Kuzbass-2026-vesna"},
    "/admin/region/{name:path}": {"text": "{doc_text}", "sha": "{doc_sha}"},
    "/absences": {"person": "kem-exec2", "substitute": "kem-exec1", "reason": "vacation",
                  "starts": "2026-03-11", "ends": "2026-03-12"},
}
JSON: dict[str, dict[str, Any]] = {
    "/api/cases/{case_id}/triage": {"topic": "ЖКХ", "importance": "normal", "municipality": "kemerovo",
                                    "agencies": ["adm-kemerovo"]},
    "/api/cases/{case_id}/route": {"agencies": ["adm-kemerovo"]},
    "/api/cases/{case_id}/exclude": {"reason": "Повтор сообщения"},
    "/api/cases/{case_id}/link": {"earlier": ["{other_case}"]},
    "/api/cases/{case_id}/return": {"reason": "Уточните сроки ремонта"},
    "/api/cases/{case_id}/joint": {"text": LONG},
    "/api/cases/{case_id}/draft": {"kind": "final", "text": LONG},
    "/api/cases/{case_id}/posted": {"url": "https://vk.com/wall-10001_501?reply=77"},
    "/api/assignments/{assignment_id}/return": {"reason": "Не относится к компетенции органа"},
    "/api/assignments/{assignment_id}/contribution": {"text": LONG},
    "/api/admin/people": {"login": "nkz-exec9", "full_name": "Петрова Анна", "role": "executor",
                          "agency": "adm-novokuznetsk", "password": "Kuzbass-2026-vesna"},
    "/api/admin/people/{person_id}/role": {"role": "agency_lead", "agency": "adm-kemerovo"},
    "/api/admin/people/{person_id}/active": {"active": False},
    "/api/admin/people/{person_id}/password": {"password": "Kuzbass-2026-vesna"},
    "/api/admin/region/{name:path}": {"text": "{doc_text}", "sha256": "{doc_sha}"},
}


@dataclass
class Probe:
    fx: ConsoleFixture
    snapshot: Path
    ids: dict[str, str]
    cookies: dict[str, dict[str, str]]


def prepare(tmp_path: Path) -> Probe:
    """Case 1 routed to adm-kemerovo and received by its executor; every role signed in once.

    The region is a private copy, so an allowed admin save never writes to the repository's data.
    """
    regions = tmp_path / "regions"
    shutil.copytree(DEFAULT_REGION_DIR, regions / DEFAULT_REGION_DIR.name)
    shutil.copytree(DEFAULT_REGION_DIR.parent / "calendars", regions / "calendars")
    fx = make_console(tmp_path, region_dir=regions / DEFAULT_REGION_DIR.name)
    case_id, other = fx.case_ids[0], fx.case_ids[1]
    with fx.session() as db:
        workflow.triage(db, "curator", case_id, topic="ЖКХ", municipality="kemerovo", settlement=None,
                        importance="normal", shortened=False, now=fx.clock(), config=fx.case_config)
        workflow.route(db, "curator", case_id, ["adm-kemerovo"], fx.clock(), config=fx.case_config)
        db.commit()
        assignment = db.scalar(select(Assignment).where(Assignment.case_id == case_id))
        assert assignment is not None
        workflow.receive(db, "kem-exec1", assignment.id, fx.clock(), config=fx.case_config)
        db.commit()
        assignment_id = assignment.id
        person_id = db.scalar(select(Person.id).where(Person.login == "kem-exec2"))
    cookies: dict[str, dict[str, str]] = {}
    for role, login in ROLES.items():
        client = TestClient(fx.app)
        client.get("/login")
        if login is not None:
            token = _csrf(client)
            r = client.post("/login", data={"login": login, "password": TEST_PASSWORD, "csrf_token": token},
                            follow_redirects=False)
            if r.status_code != 303:
                raise RuntimeError(f"sign-in as {login} failed: {r.status_code}")
        cookies[role] = dict(client.cookies)
    snapshot = tmp_path / "snapshot.sqlite"
    _copy(_db_path(fx), snapshot)
    doc = fx.config.region_dir / "routing.yaml"
    ids = {"case_id": str(case_id), "assignment_id": str(assignment_id), "other_case": str(other),
           "name:path": "routing.yaml", "path:path": "app.css", "person_id": str(person_id),
           "doc_text": doc.read_text(encoding="utf-8"), "doc_sha": hashlib.sha256(doc.read_bytes()).hexdigest()}
    return Probe(fx, snapshot, ids, cookies)


def _db_path(fx: ConsoleFixture) -> Path:
    return Path(fx.config.database_dsn.removeprefix("sqlite:///"))


def _copy(src: Path, dst: Path) -> None:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()


def _csrf(client: TestClient) -> str:
    match = CSRF_RE.search(client.get("/login").text)
    if not match:
        raise RuntimeError("no CSRF token on /login")
    return match.group(1)


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, v in ids.items():
            value = value.replace("{" + key + "}", v)
        return int(value) if value.isdigit() and value in ids.values() else value
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def classify(status: int, location: str | None) -> str:
    if status == 401 or (300 <= status < 400 and (location or "").startswith("/login")):
        return LOGIN
    if status == 403:
        return FORBIDDEN
    return OK


def probe_one(p: Probe, role: str, method: str, path: str) -> tuple[str, int]:
    _copy(p.snapshot, _db_path(p.fx))
    (p.fx.config.region_dir / p.ids["name:path"]).write_text(p.ids["doc_text"], encoding="utf-8")
    url = path
    for key, value in p.ids.items():
        url = url.replace("{" + key + "}", value)
    client = TestClient(p.fx.app, cookies=p.cookies[role])
    kwargs: dict[str, Any] = {"follow_redirects": False}
    if method in ("POST", "PUT"):
        if path.startswith("/api/"):
            token = client.get("/api/session").json()["csrf_token"]
            kwargs["headers"] = {"X-CSRF-Token": token}
            body = {k: _fill(v, p.ids) for k, v in JSON.get(path, {}).items()}
            if path == "/api/session":
                body = {"login": ROLES[role] or "curator", "password": TEST_PASSWORD}
            kwargs["json"] = body
        else:
            data = {k: _fill(v, p.ids) for k, v in FORMS.get(path, {}).items()}
            if path == "/login":
                data = {"login": ROLES[role] or "curator", "password": TEST_PASSWORD}
            kwargs["data"] = {**data, "csrf_token": _csrf(client)}
    r = client.request(method, url, **kwargs)
    if r.status_code >= 500:
        raise AssertionError(f"{method} {path} as {role}: server error {r.status_code}")
    if (method, path) in PUBLIC:
        return (OK if r.status_code in (200, 303) else f"status {r.status_code}"), r.status_code
    return classify(r.status_code, r.headers.get("location")), r.status_code


def probe_all(p: Probe, on_result: Callable[[str, str, str, str, int], None] | None = None
              ) -> dict[tuple[str, str], dict[str, str]]:
    """(method, path) -> role -> outcome class."""
    result: dict[tuple[str, str], dict[str, str]] = {}
    for method, path in endpoints(p.fx.app):
        row = result.setdefault((method, path), {})
        for role in ROLES:
            outcome, status = probe_one(p, role, method, path)
            row[role] = outcome
            if on_result:
                on_result(method, path, role, outcome, status)
    return result


def markdown(result: dict[tuple[str, str], dict[str, str]]) -> str:
    roles = list(ROLES)
    symbol = {OK: "✅", LOGIN: "🔑 вход", FORBIDDEN: "⛔ 403"}
    lines = [
        "# Матрица доступа консоли",
        "",
        "Сформировано `python -m bench.authz_matrix` по фактическим ответам приложения (дело органа adm-kemerovo).",
        "✅ — доступ разрешён (действие выполнено или отклонено бизнес-правилом); "
        "🔑 — требуется вход (401 или переход на /login); ⛔ — 403.",
        "",
        "| метод | путь | " + " | ".join(roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for (method, path), row in result.items():
        cells = " | ".join(symbol.get(row[r], row[r]) for r in roles)
        lines.append(f"| {method} | `{path}` | {cells} |")
    return "\n".join(lines) + "\n"
