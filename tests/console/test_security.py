"""Security of the console: inert hostile posts, agency boundaries, CSRF, session expiry, headers."""

from __future__ import annotations

from console.testing import ConsoleFixture, SamplePost
from tests.console.conftest import api_token, csrf_of, sign_in

PAYLOADS = [
    "<script>alert('xss')</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(2)>',
    "<a href=\"javascript:alert(3)\">жми</a>",
    "<b>жирный</b>",
]


def test_hostile_post_renders_inert_in_queue_and_case_page(fx: ConsoleFixture) -> None:
    text = "Кемерово, двор на Весенней: " + " ".join(PAYLOADS)
    case_id = fx.add_post(SamplePost(text), "vk:-20001:901")
    with fx.session() as db:  # a javascript: link as the post URL must not become a link either
        from cases.models import Case

        db.get(Case, case_id).post.url = "javascript:alert(4)"  # type: ignore[union-attr]
        db.commit()
    client = sign_in(fx, "curator")
    for path in ("/queue", "/queue/rows", f"/cases/{case_id}"):
        html = client.get(path).text
        assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
        for raw in ("<script>alert", "<img src=x", "<svg onload", 'href="javascript:', "<b>жирный"):
            assert raw not in html, f"{raw!r} rendered as markup on {path}"
        assert "javascript:alert(4)" not in html


def test_security_headers_forbid_inline_scripts_and_framing(fx: ConsoleFixture) -> None:
    client = sign_in(fx, "curator")
    r = client.get("/queue")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text  # only <script src=...> tags, no inline code


def test_executor_cannot_open_other_agency_case_by_page_or_api(fx: ConsoleFixture) -> None:
    curator = sign_in(fx, "curator")
    kem_case, nkz_case = fx.case_ids[0], fx.case_ids[1]
    headers = api_token(curator)
    for case_id, agency in ((kem_case, "adm-kemerovo"), (nkz_case, "adm-novokuznetsk")):
        r = curator.post(f"/api/cases/{case_id}/triage", headers=headers,
                         json={"topic": "ЖКХ", "importance": "normal", "agencies": [agency]})
        assert r.status_code == 200, r.text
    kem = sign_in(fx, "kem-exec1")
    assert kem.get(f"/cases/{kem_case}").status_code == 200
    assert kem.get(f"/cases/{nkz_case}").status_code == 403
    assert kem.get(f"/api/cases/{nkz_case}").status_code == 403
    assert kem.get("/api/cases/999999").status_code == 403  # same answer as "not yours": nothing leaks
    h = api_token(kem)
    r = kem.post(f"/api/cases/{nkz_case}/draft", headers=h, json={"kind": "final", "text": "Ответ"})
    assert r.status_code == 403
    r = kem.post(f"/api/cases/{nkz_case}/posted", headers=h, json={"url": "https://vk.com/wall-1_1"})
    assert r.status_code == 403
    # nor the curator's routes
    assert kem.get("/queue").status_code == 403
    assert kem.get("/api/queue").status_code == 403


def test_r6_only_curator_routes_even_through_api(fx: ConsoleFixture) -> None:
    analyst = sign_in(fx, "analyst")
    r = analyst.post(f"/api/cases/{fx.case_ids[0]}/triage", headers=api_token(analyst),
                     json={"topic": "ЖКХ", "importance": "normal", "agencies": ["adm-kemerovo"]})
    assert r.status_code == 403


def test_post_without_csrf_token_is_refused_and_changes_nothing(fx: ConsoleFixture) -> None:
    client = sign_in(fx, "curator")
    case_id = fx.case_ids[0]
    form = {"topic": "ЖКХ", "importance": "normal", "agencies": "adm-kemerovo"}
    r = client.post(f"/cases/{case_id}/triage", data=form, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(f"/cases/{case_id}/triage", data={**form, "csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(f"/api/cases/{case_id}/exclude", json={"reason": "п. 22"})
    assert r.status_code == 403
    with fx.session() as db:
        from cases.models import Case

        assert db.get(Case, case_id).state == "detected"  # type: ignore[union-attr]
    token = csrf_of(client, "/queue")
    r = client.post(f"/cases/{case_id}/triage", data={**form, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303


def test_login_form_also_needs_csrf(fx: ConsoleFixture) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(fx.app)
    r = client.post("/login", data={"login": "curator", "password": "x" * 12}, follow_redirects=False)
    assert r.status_code == 403


def test_wrong_password_is_refused(fx: ConsoleFixture) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(fx.app)
    token = csrf_of(client)
    r = client.post("/login", data={"login": "curator", "password": "wrong-password", "csrf_token": token})
    assert r.status_code == 401
    assert "Неверное имя пользователя или пароль" in r.text
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_session_expires_after_idle_timeout(fx: ConsoleFixture) -> None:
    client = sign_in(fx, "curator")
    assert client.get("/queue").status_code == 200
    fx.clock.advance(seconds=fx.config.idle_timeout + 1)
    r = client.get("/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?expired=1"
    assert client.get("/api/queue").status_code == 401
    fx.clock.advance(seconds=-(fx.config.idle_timeout + 1))  # the session is gone, not just stale
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_session_expires_at_absolute_limit_even_when_active(fx: ConsoleFixture) -> None:
    client = sign_in(fx, "curator")
    step = fx.config.idle_timeout - 60
    for _ in range(fx.config.session_max_age // step):
        fx.clock.advance(seconds=step)
        if client.get("/queue", follow_redirects=False).status_code != 200:
            break
    fx.clock.advance(seconds=step)
    r = client.get("/queue", follow_redirects=False)
    assert r.status_code == 303 and "expired" in r.headers["location"]


def test_logout_ends_session(fx: ConsoleFixture) -> None:
    client = sign_in(fx, "curator")
    token = csrf_of(client, "/queue")
    client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_next_parameter_cannot_redirect_off_site(fx: ConsoleFixture) -> None:
    from fastapi.testclient import TestClient

    from console.testing import TEST_PASSWORD

    client = TestClient(fx.app)
    token = csrf_of(client)
    r = client.post("/login", data={"login": "curator", "password": TEST_PASSWORD, "csrf_token": token,
                                    "next": "//evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/queue"
