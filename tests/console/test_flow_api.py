"""The same workflow through the JSON API, and the R27 registry with its masked exports."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from console.testing import ConsoleFixture, SamplePost
from tests.console.conftest import api_token, sign_in


def _publish_one(fx: ConsoleFixture, case_id: int, agency: str, executor: str, text: str) -> None:
    curator = sign_in(fx, "curator")
    ch = api_token(curator)
    r = curator.post(f"/api/cases/{case_id}/triage", headers=ch,
                     json={"topic": "ЖКХ", "importance": "normal", "municipality": "kemerovo", "agencies": [agency]})
    assert r.status_code == 200 and r.json()["state"] == "routed", r.text
    exe = sign_in(fx, executor)
    eh = api_token(exe)
    inbox = exe.get("/api/inbox").json()
    assert [c["id"] for c in inbox] == [case_id]
    with fx.session() as db:
        from cases.models import Assignment

        assignment_id = db.query(Assignment).filter_by(case_id=case_id).one().id
    assert exe.post(f"/api/assignments/{assignment_id}/receive", headers=eh).status_code == 200
    r = exe.post(f"/api/cases/{case_id}/draft", headers=eh, json={"kind": "final", "text": text})
    assert r.json()["state"] == "under_approval", r.text
    assert curator.post(f"/api/cases/{case_id}/approve", headers=ch).json()["state"] == "approved"
    r = exe.post(f"/api/cases/{case_id}/posted", headers=eh, json={"url": "https://vk.com/wall-10001_501?reply=7"})
    assert r.json()["state"] == "published", r.text


def test_r27_published_case_appears_in_registry_api_and_page(fx: ConsoleFixture) -> None:
    case_id = fx.case_ids[0]
    _publish_one(fx, case_id, "adm-kemerovo", "kem-exec1", "Здравствуйте! Горячую воду дадут сегодня к 18:00.")
    analyst = sign_in(fx, "analyst")
    assert [c["id"] for c in analyst.get("/api/registry").json()] == [case_id]
    assert [c["id"] for c in analyst.get("/api/registry?agency=adm-novokuznetsk").json()] == []
    assert [c["id"] for c in analyst.get("/api/registry?timely=on_time&network=vk").json()] == [case_id]
    assert analyst.get("/api/registry?timely=late").json() == []
    page = analyst.get("/registry").text
    assert f'href="/cases/{case_id}"' in page and "в срок" in page
    # agency people see only their agency's replies, whatever filter they send
    nkz = sign_in(fx, "nkz-exec1")
    assert nkz.get("/api/registry?agency=adm-kemerovo").json() == []
    assert f'href="/cases/{case_id}"' not in nkz.get("/registry?agency=adm-kemerovo").text
    assert [c["id"] for c in sign_in(fx, "kem-lead").get("/api/registry").json()] == [case_id]


def test_r21_draft_longer_than_network_limit_is_refused(fx: ConsoleFixture) -> None:
    case_id = fx.add_post(SamplePost("Кемерово, лифт не работает", network="twitter"), "twitter:kuz:77")
    curator = sign_in(fx, "curator")
    curator.post(f"/api/cases/{case_id}/triage", headers=api_token(curator),
                 json={"topic": "ЖКХ", "importance": "normal", "agencies": ["adm-kemerovo"]})
    exe = sign_in(fx, "kem-exec1")
    h = api_token(exe)
    with fx.session() as db:
        from cases.models import Assignment

        aid = db.query(Assignment).filter_by(case_id=case_id).one().id
    exe.post(f"/api/assignments/{aid}/receive", headers=h)
    r = exe.post(f"/api/cases/{case_id}/draft", headers=h, json={"kind": "final", "text": "я" * 281})
    assert r.status_code == 409 and "280" in r.json()["detail"]


def test_r9_return_not_competent_goes_back_to_curator_queue(fx: ConsoleFixture) -> None:
    case_id = fx.case_ids[0]
    curator = sign_in(fx, "curator")
    curator.post(f"/api/cases/{case_id}/triage", headers=api_token(curator),
                 json={"topic": "ЖКХ", "importance": "normal", "agencies": ["adm-kemerovo"]})
    exe = sign_in(fx, "kem-exec1")
    h = api_token(exe)
    with fx.session() as db:
        from cases.models import Assignment

        aid = db.query(Assignment).filter_by(case_id=case_id).one().id
    exe.post(f"/api/assignments/{aid}/receive", headers=h)
    reason = "Сети горячей воды — ресурсоснабжающая организация"
    r = exe.post(f"/api/assignments/{aid}/return", headers=h, json={"reason": reason})
    assert r.json()["state"] == "returned"
    queue = curator.get("/queue").text
    assert "повторно (п. 10)" in queue


def test_exports_mask_personal_data(fx: ConsoleFixture) -> None:
    case_id = fx.add_post(
        SamplePost("Прокопьевск, звоните мне +7 913 123-45-67 или пишите ivan.petrov@mail.ru — мусор не вывозят",
                   author="Петров Иван Сергеевич"),
        "vk:-30001:42",
    )
    _publish_one(fx, case_id, "adm-kemerovo", "kem-exec1", "Вывоз мусора назначен на завтра.")
    analyst = sign_in(fx, "analyst")
    csv_text = analyst.get("/registry.csv").content.decode("utf-8-sig")
    assert "913 123-45-67" not in csv_text and "ivan.petrov@mail.ru" not in csv_text
    assert "+7 *** ***-**-67" in csv_text and "Петров И. С." in csv_text
    assert "Иван Сергеевич" not in csv_text
    wb = load_workbook(io.BytesIO(analyst.get("/registry.xlsx").content))
    cells = [str(c.value) for row in wb.active.iter_rows() for c in row]
    assert not any("ivan.petrov" in c or "123-45-67" in c for c in cells)
    assert str(case_id) in cells


def test_bulk_exclude_duplicates_r22_recorded(fx: ConsoleFixture) -> None:
    from tests.console.conftest import csrf_of

    curator = sign_in(fx, "curator")
    token = csrf_of(curator, "/queue")
    ids = fx.case_ids[:2]
    form = {"case_ids": [str(i) for i in ids], "reason": "Дубль", "csrf_token": token}
    r = curator.post("/queue/bulk-exclude", data=form, follow_redirects=False)
    assert r.status_code == 303
    with fx.session() as db:
        from cases.models import Case

        assert {db.get(Case, i).state for i in ids} == {"excluded"}  # type: ignore[union-attr]
