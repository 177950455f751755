"""Inputs schemathesis found: ids beyond the database's integer range are a 422, never a 500."""

from __future__ import annotations

from console.testing import ConsoleFixture
from tests.console.conftest import api_token, sign_in

HUGE = 9223372036854775808  # 2**63: overflowed SQLite's INTEGER before the bound


def test_huge_case_and_assignment_ids_are_rejected_as_invalid(fx: ConsoleFixture) -> None:
    curator = sign_in(fx, "curator")
    h = api_token(curator)
    assert curator.get(f"/api/cases/{HUGE}").status_code == 422
    assert curator.get(f"/cases/{HUGE}").status_code == 422
    assert curator.post(f"/api/cases/{HUGE}/approve", headers=h).status_code == 422
    assert curator.post(f"/api/cases/{fx.case_ids[0]}/link", headers=h, json={"earlier": [HUGE]}).status_code == 422
    executor = sign_in(fx, "kem-exec1")
    assert executor.post(f"/api/assignments/{HUGE}/receive", headers=api_token(executor)).status_code == 422


def test_huge_ids_in_page_forms_are_refused_with_a_message(fx: ConsoleFixture) -> None:
    curator = sign_in(fx, "curator")
    h = api_token(curator)
    r = curator.post(f"/cases/{fx.case_ids[0]}/link", data={"earlier": str(HUGE), "csrf_token": h["X-CSRF-Token"]})
    assert r.status_code == 200 and "Номера дел должны быть числами" in r.text
    r = curator.post("/queue/bulk-exclude", data={"case_ids": str(HUGE), "reason": "дубль",
                                                  "csrf_token": h["X-CSRF-Token"]})
    assert r.status_code == 422
