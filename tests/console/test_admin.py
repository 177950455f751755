"""Admin: people and roles, region documents edited through the stages' loaders; validation, audit, 403, CSRF."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cases.config import DEFAULT_REGION_DIR
from cases.models import Agency, AuditRecord, Person
from console.testing import TEST_PASSWORD, ConsoleFixture, make_console
from tests.console.conftest import api_token, csrf_of, sign_in

NEW_PASSWORD = "Kuzbass-2026-vesna"
XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture
def afx(tmp_path: Path) -> ConsoleFixture:
    """A console on a private copy of the region, so saves never touch the repository's data."""
    regions = tmp_path / "regions"
    shutil.copytree(DEFAULT_REGION_DIR, regions / "kuzbass")
    shutil.copytree(DEFAULT_REGION_DIR.parent / "calendars", regions / "calendars")
    return make_console(tmp_path, region_dir=regions / "kuzbass", samples=())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _admin_audit(fx: ConsoleFixture, action: str) -> list[dict[str, Any]]:
    with fx.session() as db:
        rows = db.scalars(select(AuditRecord).where(AuditRecord.case_id.is_(None), AuditRecord.action == action))
        return [dict(r.details) | {"actor": r.actor} for r in rows]


def _person(fx: ConsoleFixture, login: str) -> Person | None:
    with fx.session() as db:
        return db.scalar(select(Person).where(Person.login == login))


def _existing(fx: ConsoleFixture, login: str) -> Person:
    person = _person(fx, login)
    assert person is not None, login
    return person


def _create(client: Any, token: str, **over: str) -> Any:
    data = {"login": "nkz-exec9", "full_name": "Петрова Анна Ивановна", "role": "executor",
            "agency": "adm-novokuznetsk", "password": NEW_PASSWORD, "csrf_token": token, **over}
    return client.post("/admin/people", data=data, follow_redirects=False)


# --- people -----------------------------------------------------------------------------------------------------

def test_create_person_hashes_password_and_audits_without_it(afx: ConsoleFixture) -> None:
    client = sign_in(afx, "admin")
    r = _create(client, csrf_of(client, "/admin/people"))
    assert r.status_code == 303
    person = _person(afx, "nkz-exec9")
    assert person is not None and person.role == "executor" and person.agency_code == "adm-novokuznetsk"
    assert person.password_hash and person.password_hash.startswith("$argon2id$")
    audit = _admin_audit(afx, "person_created")
    assert audit == [{"login": "nkz-exec9", "role": "executor", "agency": "adm-novokuznetsk", "actor": "admin"}]
    assert NEW_PASSWORD not in str(audit)
    # the new person can sign in with the initial password
    fresh = sign_in_as(afx, "nkz-exec9", NEW_PASSWORD)
    assert fresh.get("/inbox").status_code == 200


def sign_in_as(fx: ConsoleFixture, login: str, password: str) -> Any:
    from fastapi.testclient import TestClient

    client = TestClient(fx.app)
    r = client.post("/login", data={"login": login, "password": password, "csrf_token": csrf_of(client)},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


@pytest.mark.parametrize(("over", "message"), [
    ({"role": "executor", "agency": ""}, "нужно указать орган"),
    ({"role": "agency_lead", "agency": "no-such-agency"}, "не найден"),
    ({"role": "curator", "agency": "adm-kemerovo"}, "не относится к органу"),
    ({"login": "curator"}, "уже занят"),
    ({"login": "Bad Login!"}, "Логин"),
    ({"password": "short1"}, "не короче 10"),
    ({"password": "nkz-exec9-12345"}, "не должен содержать логин"),
    ({"password": "onlyletterspassword"}, "буквы, и цифры"),
    ({"role": "superuser"}, "Неизвестная роль"),
    ({"full_name": "   "}, "ФИО обязательно"),
])
def test_invalid_person_is_refused_and_nothing_written(afx: ConsoleFixture, over: dict[str, str],
                                                       message: str) -> None:
    client = sign_in(afx, "admin")
    with afx.session() as db:
        before = len(list(db.scalars(select(Person))))
    r = _create(client, csrf_of(client, "/admin/people"), **over)
    assert r.status_code == 422
    assert message in r.text
    assert "Петрова Анна Ивановна" in r.text or over.get("full_name") is not None  # the typed values are kept
    with afx.session() as db:
        assert len(list(db.scalars(select(Person)))) == before
    assert _admin_audit(afx, "person_created") == []


def test_role_change_deactivate_reactivate_and_reset_are_audited(afx: ConsoleFixture) -> None:
    client = sign_in(afx, "admin")
    target = _person(afx, "kem-exec2")
    assert target is not None
    token = csrf_of(client, f"/admin/people/{target.id}")
    base = f"/admin/people/{target.id}"
    client.post(f"{base}/role", data={"role": "agency_lead", "agency": "adm-kemerovo", "csrf_token": token})
    p = _existing(afx, "kem-exec2")
    assert p.role == "agency_lead"
    [change] = _admin_audit(afx, "person_role_changed")
    assert change["before"] == {"role": "executor", "agency": "adm-kemerovo"}
    assert change["after"] == {"role": "agency_lead", "agency": "adm-kemerovo"}

    # inconsistent: an analyst with an agency is refused, nothing changes
    r = client.post(f"{base}/role", data={"role": "analyst", "agency": "adm-kemerovo", "csrf_token": token})
    assert "не относится к органу" in r.text
    p = _existing(afx, "kem-exec2")
    assert p.role == "agency_lead"

    signed = sign_in(afx, "kem-exec2")
    client.post(f"{base}/active", data={"active": "0", "csrf_token": token})
    p = _existing(afx, "kem-exec2")
    assert not p.active
    assert signed.get("/inbox", follow_redirects=False).status_code == 303  # the running session ends
    client.post(f"{base}/active", data={"active": "1", "csrf_token": token})
    p = _existing(afx, "kem-exec2")
    assert p.active

    old_hash = p.password_hash
    client.post(f"{base}/password", data={"password": NEW_PASSWORD, "csrf_token": token})
    p = _existing(afx, "kem-exec2")
    assert p.password_hash != old_hash
    sign_in_as(afx, "kem-exec2", NEW_PASSWORD)
    actions = [a for a in ("person_deactivated", "person_reactivated", "person_password_reset")
               if _admin_audit(afx, a)]
    assert len(actions) == 3
    assert NEW_PASSWORD not in str(_admin_audit(afx, "person_password_reset"))


def test_admin_cannot_lock_themselves_out(afx: ConsoleFixture) -> None:
    client = sign_in(afx, "admin")
    me = _person(afx, "admin")
    assert me is not None
    token = csrf_of(client, f"/admin/people/{me.id}")
    r = client.post(f"/admin/people/{me.id}/active", data={"active": "0", "csrf_token": token})
    assert "Нельзя отключить собственную" in r.text
    r = client.post(f"/admin/people/{me.id}/role", data={"role": "analyst", "agency": "", "csrf_token": token})
    assert "Нельзя снять роль администратора" in r.text
    p = _existing(afx, "admin")
    assert p.active and p.role == "admin"


def test_person_name_with_markup_renders_inert(afx: ConsoleFixture) -> None:
    client = sign_in(afx, "admin")
    r = _create(client, csrf_of(client, "/admin/people"), full_name="Иванов " + XSS)
    assert r.status_code == 303
    page = client.get("/admin/people").text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_api_people(afx: ConsoleFixture) -> None:
    client = sign_in(afx, "admin")
    headers = api_token(client)
    r = client.post("/api/admin/people", headers=headers, json={
        "login": "prk-exec5", "full_name": "Сидоров Пётр", "role": "executor", "agency": "adm-prokopyevsk",
        "password": NEW_PASSWORD})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["has_password"] and "password" not in body and "hash" not in str(body)
    r = client.post(f"/api/admin/people/{body['id']}/role", headers=headers, json={"role": "analyst"})
    assert r.status_code == 200 and r.json()["agency"] is None
    r = client.post(f"/api/admin/people/{body['id']}/role", headers=headers, json={"role": "executor"})
    assert r.status_code == 422 and "нужно указать орган" in r.json()["detail"]
    assert any(p["login"] == "prk-exec5" for p in client.get("/api/admin/people").json())


# --- region documents -------------------------------------------------------------------------------------------

def _editor(client: Any, name: str) -> tuple[str, str, str]:
    page = client.get(f"/admin/region/{name}")
    assert page.status_code == 200
    sha = re.search(r'name="sha" value="([0-9a-f]{64})"', page.text)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert sha and token
    return page.text, sha.group(1), token.group(1)


def test_valid_agencies_save_writes_file_keeps_history_audits_and_reseeds(afx: ConsoleFixture) -> None:
    path = afx.config.region_dir / "agencies.yaml"
    original = path.read_text(encoding="utf-8")
    client = sign_in(afx, "admin")
    page, sha, token = _editor(client, "agencies.yaml")
    assert "вступит в силу после перезапуска этапов" in page
    assert sha == _sha(path)
    new_text = original.replace(
        "regional:", "regional:\n  - code: dep-archive\n    name: Архивное управление Кузбасса\n    sphere: social", 1)
    assert new_text != original
    r = client.post("/admin/region/agencies.yaml", data={"text": new_text, "sha": sha, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    assert path.read_text(encoding="utf-8") == new_text
    history = list(afx.config.region_history.glob("*-agencies.yaml"))
    assert [h.read_text(encoding="utf-8") for h in history] == [original]
    [audit] = _admin_audit(afx, "region_document_saved")
    assert audit == {"document": "agencies.yaml", "sha256_before": sha, "sha256_after": _sha(path), "actor": "admin"}
    with afx.session() as db:
        agency = db.get(Agency, "dep-archive")
        assert agency is not None and agency.name == "Архивное управление Кузбасса" and agency.active
    assert "Архивное управление Кузбасса" in client.get("/admin/people").text  # name cache refreshed


@pytest.mark.parametrize(("name", "breaks", "message"), [
    ("routing.yaml", lambda t: t + "\n  - {group: no-such-group, agencies: [min-zhkh]}\n", "маршрутизация"),
    ("agencies.yaml", lambda t: t + "\n   bad: [unclosed\n", "Ошибка синтаксиса YAML"),
    ("schedule.yaml", lambda t: t.replace("Asia/Novokuznetsk", "Mars/Olympus"), "календарь"),
    ("calendars/ru.yaml", lambda t: "years: {2026: {holidays: [not-a-date]}}\n", "календарь"),
    ("clocks.yaml", lambda t: "clocks: 5\n", "сроки"),
    ("sources.yaml", lambda t: "- just\n- a list\n", "источники"),
    ("agencies.yaml", lambda t: t.replace("regional:", "regional:\n  - {code: min-health, name: Дубль}", 1),
     "повторяется"),
])
def test_invalid_document_is_refused_with_message_and_text_kept(afx: ConsoleFixture, name: str, breaks: Any,
                                                                message: str) -> None:
    path = afx.config.region_dir / name if "/" not in name else afx.config.region_dir.parent / name
    original = path.read_bytes()
    client = sign_in(afx, "admin")
    _, sha, token = _editor(client, name)
    bad = breaks(original.decode("utf-8"))
    r = client.post(f"/admin/region/{name}", data={"text": bad, "sha": sha, "csrf_token": token})
    assert r.status_code == 422
    assert "Не сохранено" in r.text and message in r.text
    assert str(afx.config.region_dir.parent) not in r.text  # scratch paths do not leak
    assert path.read_bytes() == original
    assert _admin_audit(afx, "region_document_saved") == []
    assert not afx.config.region_history.exists() or not list(afx.config.region_history.glob("*.yaml"))


def test_yaml_syntax_error_names_the_line(afx: ConsoleFixture) -> None:
    client = sign_in(afx, "admin")
    _, sha, token = _editor(client, "routing.yaml")
    bad = "rules:\n  - agencies: [min-zhkh]\n    group: [unclosed\n"
    r = client.post("/admin/region/routing.yaml", data={"text": bad, "sha": sha, "csrf_token": token})
    assert r.status_code == 422
    assert re.search(r"Строка \d+:", r.text)
    assert "[unclosed" in r.text  # the user's text stays in the form


def test_stale_form_is_refused(afx: ConsoleFixture) -> None:
    path = afx.config.region_dir / "routing.yaml"
    client = sign_in(afx, "admin")
    _, sha, token = _editor(client, "routing.yaml")
    path.write_text(path.read_text(encoding="utf-8") + "\n# changed meanwhile\n", encoding="utf-8")
    changed = path.read_bytes()
    r = client.post("/admin/region/routing.yaml",
                    data={"text": changed.decode() + "# mine\n", "sha": sha, "csrf_token": token})
    assert r.status_code == 409 and "изменён другим пользователем" in r.text
    assert path.read_bytes() == changed


def test_xss_in_yaml_document_renders_inert(afx: ConsoleFixture) -> None:
    client = sign_in(afx, "admin")
    _, sha, token = _editor(client, "routing.yaml")
    path = afx.config.region_dir / "routing.yaml"
    text = path.read_text(encoding="utf-8") + f"\n# {XSS}</textarea><script>alert(3)</script>\n"
    r = client.post("/admin/region/routing.yaml", data={"text": text, "sha": sha, "csrf_token": token})
    assert r.status_code == 200  # saved (a comment is valid) and the editor shown again
    for url in ("/admin/region/routing.yaml", "/admin/files/routing.yaml"):
        page = client.get(url).text
        assert "<script>alert" not in page and "</textarea><script>" not in page and "<img src=x" not in page
        assert "&lt;/textarea&gt;&lt;script&gt;alert(3)" in page


def test_unknown_documents_are_refused(afx: ConsoleFixture) -> None:
    client = sign_in(afx, "admin")
    for name in ("../../etc/passwd", "people.yaml", "demo-posts.jsonl", "calendars/../kuzbass/routing.yaml"):
        assert client.get(f"/admin/region/{name}").status_code in (403, 404)


def test_api_document_round_trip(afx: ConsoleFixture) -> None:
    client = sign_in(afx, "admin")
    headers = api_token(client)
    doc = client.get("/api/admin/region/clocks.yaml").json()
    r = client.put("/api/admin/region/clocks.yaml", headers=headers,
                   json={"text": doc["text"] + "\n# уточнено\n", "sha256": doc["sha256"]})
    assert r.status_code == 200, r.text
    assert r.json()["sha256_before"] == doc["sha256"]
    r = client.put("/api/admin/region/clocks.yaml", headers=headers,
                   json={"text": doc["text"], "sha256": doc["sha256"]})
    assert r.status_code == 409
    r = client.put("/api/admin/region/clocks.yaml", headers=headers, json={"text": "clocks: [", "sha256": "0" * 64})
    assert r.status_code == 422 and "строка" in r.json()["detail"]


# --- permissions and CSRF ---------------------------------------------------------------------------------------

ADMIN_GETS = ["/admin", "/admin/people", "/admin/region/routing.yaml", "/api/admin/people",
              "/api/admin/region/routing.yaml"]


@pytest.mark.parametrize("login", ["curator", "kem-lead", "kem-exec1", "analyst"])
def test_non_admin_roles_get_403_on_page_and_api(afx: ConsoleFixture, login: str) -> None:
    client = sign_in(afx, login)
    for url in ADMIN_GETS:
        assert client.get(url).status_code == 403, url
    path = afx.config.region_dir / "routing.yaml"
    before = path.read_bytes()
    token = csrf_of(client, "/registry")
    assert _create(client, token).status_code == 403
    r = client.post("/admin/region/routing.yaml", data={"text": "rules: []\n", "sha": _sha(path), "csrf_token": token})
    assert r.status_code == 403
    headers = api_token(client)
    assert client.put("/api/admin/region/routing.yaml", headers=headers,
                      json={"text": "rules: []\n", "sha256": _sha(path)}).status_code == 403
    assert client.post("/api/admin/people", headers=headers, json={
        "login": "x-user", "full_name": "X", "role": "admin", "password": NEW_PASSWORD}).status_code == 403
    assert path.read_bytes() == before
    assert _person(afx, "nkz-exec9") is None and _person(afx, "x-user") is None


def test_admin_posts_without_csrf_are_refused(afx: ConsoleFixture) -> None:
    client = sign_in(afx, "admin")
    path = afx.config.region_dir / "routing.yaml"
    before = path.read_bytes()
    target = _person(afx, "kem-exec1")
    assert target is not None
    posts = [
        ("/admin/people", {"login": "nkz-exec9", "full_name": "Петрова", "role": "curator", "password": NEW_PASSWORD}),
        (f"/admin/people/{target.id}/active", {"active": "0"}),
        (f"/admin/people/{target.id}/password", {"password": NEW_PASSWORD}),
        (f"/admin/people/{target.id}/role", {"role": "curator"}),
        ("/admin/region/routing.yaml", {"text": "rules: []\n", "sha": _sha(path)}),
    ]
    for url, data in posts:
        r = client.post(url, data=data)
        assert r.status_code == 403 and "CSRF" in r.text, url
    assert client.put("/api/admin/region/routing.yaml", json={"text": "rules: []\n", "sha256": _sha(path)}
                      ).status_code == 403
    assert path.read_bytes() == before
    p = _existing(afx, "kem-exec1")
    assert p.active and p.role == "executor"
    assert _person(afx, "nkz-exec9") is None
    assert TEST_PASSWORD  # the fixture's password still signs kem-exec1 in
    sign_in(afx, "kem-exec1")
