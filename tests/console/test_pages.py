"""Pages for each role: joint cases (R18), revision diff (R14/R15), absences (R8.2), admin, CLI users."""

from __future__ import annotations

import re
from datetime import timedelta

from typer.testing import CliRunner

from console.testing import ConsoleFixture, SamplePost
from tests.console.conftest import api_token, csrf_of, sign_in


def _route(fx: ConsoleFixture, case_id: int, agencies: list[str]) -> None:
    curator = sign_in(fx, "curator")
    r = curator.post(f"/api/cases/{case_id}/triage", headers=api_token(curator),
                     json={"topic": "ЖКХ", "importance": "normal", "agencies": agencies})
    assert r.status_code == 200, r.text


def _assignment(fx: ConsoleFixture, case_id: int, agency: str) -> int:
    from cases.models import Assignment

    with fx.session() as db:
        return db.query(Assignment).filter_by(case_id=case_id, agency_code=agency).one().id


def test_every_role_lands_on_its_home_and_sees_only_its_menu(fx: ConsoleFixture) -> None:
    for login, home in (("curator", "/queue"), ("kem-exec1", "/inbox"), ("kem-lead", "/inbox"),
                        ("analyst", "/registry"), ("admin", "/admin")):
        client = sign_in(fx, login)
        r = client.get("/", follow_redirects=False)
        assert r.headers["location"] == "/login"
        assert client.get("/login", follow_redirects=False).headers["location"] == home
        assert client.get(home).status_code == 200, login
    assert sign_in(fx, "analyst").get("/admin").status_code == 403
    assert sign_in(fx, "curator").get("/inbox").status_code == 403


def test_admin_page_validates_region_files(fx: ConsoleFixture) -> None:
    client = sign_in(fx, "admin")
    html = client.get("/admin").text
    assert "agencies.yaml" in html and "в порядке" in html
    assert "Соколова Ирина Павловна" in client.get("/admin/people").text


def test_r18_1_joint_case_routes_in_order_and_r18_3_curator_composes_reply(fx: ConsoleFixture) -> None:
    case_id = fx.case_ids[0]
    _route(fx, case_id, ["adm-kemerovo", "min-zhkh"])
    from cases.models import Assignment

    with fx.session() as db:
        order = [(a.agency_code, a.order_no) for a in db.query(Assignment).filter_by(case_id=case_id)
                 .order_by(Assignment.order_no)]
    assert order == [("adm-kemerovo", 1), ("min-zhkh", 2)]
    for login, agency, part in (("kem-exec1", "adm-kemerovo", "Город: бригада выехала."),
                                ("zhkh-exec1", "min-zhkh", "Министерство: подрядчик оштрафован.")):
        exe = sign_in(fx, login)
        h = api_token(exe)
        aid = _assignment(fx, case_id, agency)
        assert exe.post(f"/api/assignments/{aid}/receive", headers=h).status_code == 200
        page = exe.get(f"/cases/{case_id}").text
        assert "Часть ответа органа" in page  # R18.2: a part, not a full draft
        r = exe.post(f"/api/assignments/{aid}/contribution", headers=h, json={"text": part})
        assert r.status_code == 200, r.text
    curator = sign_in(fx, "curator")
    assert f"/cases/{case_id}" in curator.get("/approval").text
    r = curator.post(f"/api/cases/{case_id}/joint", headers=api_token(curator),
                     json={"text": "Бригада выехала, подрядчик оштрафован."})
    assert r.json()["state"] == "under_approval", r.text


def test_r15_resubmitted_draft_shows_diff_against_returned_version(fx: ConsoleFixture) -> None:
    case_id = fx.case_ids[0]
    _route(fx, case_id, ["adm-kemerovo"])
    exe = sign_in(fx, "kem-exec1")
    h = api_token(exe)
    exe.post(f"/api/assignments/{_assignment(fx, case_id, 'adm-kemerovo')}/receive", headers=h)
    exe.post(f"/api/cases/{case_id}/draft", headers=h, json={"kind": "final", "text": "Воду дадут вечером."})
    curator = sign_in(fx, "curator")
    ch = api_token(curator)
    r = curator.post(f"/api/cases/{case_id}/return", headers=ch, json={"reason": "Укажите точное время"})
    assert r.json()["state"] == "revision"
    assert "Укажите точное время" in exe.get(f"/cases/{case_id}").text
    r = exe.post(f"/api/cases/{case_id}/draft", headers=h, json={"kind": "final", "text": "Воду дадут в 18:00."})
    assert r.json()["state"] == "under_approval", r.text
    html = curator.get("/approval").text
    assert "<del>вечером.</del>" in html and "<ins>в 18:00.</ins>" in html


def test_r8_2_absence_moves_open_cases_to_substitute(fx: ConsoleFixture) -> None:
    case_id = fx.case_ids[0]
    _route(fx, case_id, ["adm-kemerovo"])
    from cases.models import Assignment

    with fx.session() as db:
        first = db.query(Assignment).filter_by(case_id=case_id).one().executor.login  # type: ignore[union-attr]
    other = "kem-exec2" if first == "kem-exec1" else "kem-exec1"
    lead = sign_in(fx, "kem-lead")
    today = fx.clock().date()
    r = lead.post("/absences", data={"person": first, "substitute": other, "reason": "sick",
                                     "starts": today.isoformat(), "ends": (today + timedelta(days=3)).isoformat(),
                                     "csrf_token": csrf_of(lead, "/absences")}, follow_redirects=False)
    assert r.status_code == 303
    with fx.session() as db:
        assert db.query(Assignment).filter_by(case_id=case_id).one().executor.login == other  # type: ignore[union-attr]
    assert "болезнь" in lead.get("/absences").text or "sick" in lead.get("/absences").text
    # an executor may view absences but not record them
    exe = sign_in(fx, other)
    r = exe.post("/absences", data={"person": other, "substitute": first, "reason": "trip", "starts": "2026-03-10",
                                    "ends": "2026-03-11", "csrf_token": csrf_of(exe, "/absences")})
    assert r.status_code == 403


def test_r22_excluded_case_leaves_queue_with_reason_kept(fx: ConsoleFixture) -> None:
    case_id = fx.add_post(SamplePost("Кемерово: угрожаю главе района"), "vk:-50001:3")
    curator = sign_in(fx, "curator")
    r = curator.post(f"/cases/{case_id}/exclude", data={"reason": "п. 22: угроза должностному лицу",
                                                       "csrf_token": csrf_of(curator, "/queue")},
                     follow_redirects=False)
    assert r.status_code == 303
    assert f'data-case="{case_id}"' not in curator.get("/queue").text
    assert "угроза должностному лицу" in curator.get(f"/cases/{case_id}").text


def test_console_user_command_sets_argon2_password_that_signs_in(fx: ConsoleFixture, monkeypatch) -> None:
    from otklik.cli import app
    from otklik.settings import get_settings

    monkeypatch.setenv("OTKLIK_DATABASE_URL", fx.config.database_dsn)
    monkeypatch.setenv("NEW_PW", "another-long-password")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["console-user", "nkz-exec1", "--password-env", "NEW_PW"])
        assert result.exit_code == 0, result.output
        weak = CliRunner().invoke(app, ["console-user", "nkz-exec2", "--password-env", "NO_SUCH_VAR"])
        assert weak.exit_code != 0
    finally:
        get_settings.cache_clear()
    from cases.models import Person

    with fx.session() as db:
        stored = db.query(Person).filter_by(login="nkz-exec1").one().password_hash
    assert stored and stored.startswith("$argon2id$") and "another-long-password" not in stored
    from fastapi.testclient import TestClient

    client = TestClient(fx.app)
    r = client.post("/login", data={"login": "nkz-exec1", "password": "another-long-password",
                                    "csrf_token": csrf_of(client)}, follow_redirects=False)
    assert r.status_code == 303


def test_admin_views_region_files_by_listed_name_only(fx: ConsoleFixture) -> None:
    admin = sign_in(fx, "admin")
    page = admin.get("/admin/files/networks.yaml")
    assert page.status_code == 200 and "max_chars" in page.text
    assert admin.get("/admin/files/../../pyproject.toml").status_code in (403, 404)
    assert admin.get("/admin/files/%2e%2e/people.yaml").status_code in (403, 404)
    assert sign_in(fx, "curator").get("/admin/files/networks.yaml").status_code == 403


def test_openapi_lists_the_action_endpoints(fx: ConsoleFixture) -> None:
    from fastapi.testclient import TestClient

    paths = TestClient(fx.app).get("/api/openapi.json").json()["paths"]
    for path in ("/api/cases/{case_id}/triage", "/api/cases/{case_id}/approve", "/api/registry",
                 "/api/assignments/{assignment_id}/return"):
        assert path in paths


def test_queue_shows_reach_and_agency_names_with_codes_in_titles(fx: ConsoleFixture) -> None:
    from cases.intake import intake
    from console.testing import SAMPLE_POSTS, classified

    with fx.session() as db:
        unknown = classified(SAMPLE_POSTS[0], "vk:-10009:909", fx.clock(), followers=12300)
        unknown.post.author.followers = None
        intake(db, unknown, fx.clock(), config=fx.case_config)
        intake(db, classified(SAMPLE_POSTS[1], "vk:-10009:910", fx.clock(), followers=12300), fx.clock(),
               config=fx.case_config)
        db.commit()
    client = sign_in(fx, "curator")
    html = client.get("/queue").text
    assert "Подписчиков: 1\u00a0200" in html  # the fixture's default author
    assert "Подписчиков: 12\u00a0300" in html
    assert "Подписчиков: нет данных" in html
    # the suggested agency by its Russian name, the code kept in the tooltip
    assert re.search(r'<span class="chip" title="adm-novokuznetsk">Администрация[^<]*Новокузнецк', html)
    assert ">adm-novokuznetsk ·" not in html
    case_html = client.get(f"/cases/{fx.case_ids[0]}").text
    assert "Подписчиков: 1\u00a0200" in case_html
    exec_html = sign_in(fx, "kem-exec1").get("/registry").text
    assert 'title="adm-kemerovo"' in exec_html  # header: the person's agency by name
