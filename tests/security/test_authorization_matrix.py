"""Every console route × every role against an explicit table; a route missing from the table fails the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.authz_matrix import FORBIDDEN as F
from console.authz_matrix import LOGIN as L
from console.authz_matrix import OK as A
from console.authz_matrix import ROLES, prepare, probe_all
from console.routemap import endpoints

#            anonymous curator lead exec_own exec_other analyst admin
PUBLIC = (A, A, A, A, A, A, A)
CURATOR_ONLY = (L, A, F, F, F, F, F)
AGENCY_HOME = (L, F, A, A, A, F, F)  # each agency person sees their own inbox
AGENCY_CASE = (L, F, A, A, F, F, F)  # actions on a case of the person's own agency only
CASE_VIEW = (L, A, A, A, F, A, A)
REGISTRY = (L, A, A, A, A, A, A)  # rows are filtered by agency inside
ADMIN_ONLY = (L, F, F, F, F, F, A)
ABSENCE_VIEW = (L, A, A, A, A, F, A)
ABSENCE_EDIT = (L, A, A, F, F, F, A)

EXPECTED: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/static/{path:path}"): PUBLIC,
    ("GET", "/api/openapi.json"): PUBLIC,
    ("GET", "/api/session"): PUBLIC,
    ("POST", "/api/session"): PUBLIC,
    # curator: queue, triage, routing, exclusion (R22), repeats (R19), approval (R14, R15, R18.3)
    ("GET", "/queue"): CURATOR_ONLY,
    ("GET", "/queue/rows"): CURATOR_ONLY,
    ("POST", "/queue/bulk-exclude"): CURATOR_ONLY,
    ("GET", "/approval"): CURATOR_ONLY,
    ("GET", "/api/queue"): CURATOR_ONLY,
    **{(m, p + a): CURATOR_ONLY
       for p in ("/cases/{case_id}", "/api/cases/{case_id}")
       for m, a in (("POST", "/triage"), ("POST", "/route"), ("POST", "/exclude"), ("POST", "/link"),
                    ("POST", "/approve"), ("POST", "/return"), ("POST", "/joint"))},
    # agencies: inbox, receipt and return (R9), drafts (R13.1), parts (R18.2), posting by hand (R16)
    ("GET", "/inbox"): AGENCY_HOME,
    ("GET", "/api/inbox"): AGENCY_HOME,
    **{("POST", p + a): AGENCY_CASE
       for p in ("", "/api")
       for a in ("/cases/{case_id}/draft", "/cases/{case_id}/posted", "/assignments/{assignment_id}/receive",
                 "/assignments/{assignment_id}/return", "/assignments/{assignment_id}/contribution")},
    ("GET", "/cases/{case_id}"): CASE_VIEW,
    ("GET", "/api/cases/{case_id}"): CASE_VIEW,
    ("GET", "/registry"): REGISTRY,
    ("GET", "/registry.csv"): REGISTRY,
    ("GET", "/registry.xlsx"): REGISTRY,
    ("GET", "/api/registry"): REGISTRY,
    ("GET", "/admin"): ADMIN_ONLY,
    ("GET", "/admin/files/{name:path}"): ADMIN_ONLY,
    ("GET", "/admin/people"): ADMIN_ONLY,
    ("POST", "/admin/people"): ADMIN_ONLY,
    ("GET", "/admin/people/{person_id}"): ADMIN_ONLY,
    **{("POST", f"/admin/people/{{person_id}}/{a}"): ADMIN_ONLY for a in ("role", "name", "active", "password")},
    ("GET", "/admin/region/{name:path}"): ADMIN_ONLY,
    ("POST", "/admin/region/{name:path}"): ADMIN_ONLY,
    ("GET", "/api/admin/people"): ADMIN_ONLY,
    ("POST", "/api/admin/people"): ADMIN_ONLY,
    **{("POST", f"/api/admin/people/{{person_id}}/{a}"): ADMIN_ONLY for a in ("role", "active", "password")},
    ("GET", "/api/admin/region/{name:path}"): ADMIN_ONLY,
    ("PUT", "/api/admin/region/{name:path}"): ADMIN_ONLY,
    ("GET", "/absences"): ABSENCE_VIEW,
    ("POST", "/absences"): ABSENCE_EDIT,
}


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, str]]:
    probe = prepare(Path(tmp_path_factory.mktemp("authz")))
    missing = [r for r in endpoints(probe.fx.app) if r not in EXPECTED]
    assert not missing, f"routes without an entry in the authorisation table: {missing}"
    return probe_all(probe)


def test_every_route_has_an_expected_row(observed: dict[tuple[str, str], dict[str, str]]) -> None:
    assert set(observed) == set(EXPECTED), f"stale table rows: {set(EXPECTED) - set(observed)}"


def test_every_route_and_role_matches_the_table(observed: dict[tuple[str, str], dict[str, str]]) -> None:
    wrong = [
        f"{method} {path} as {role}: expected {want}, got {observed[(method, path)][role]}"
        for (method, path), row in EXPECTED.items()
        for role, want in zip(ROLES, row, strict=True)
        if observed[(method, path)][role] != want
    ]
    assert not wrong, "\n".join(wrong)


def test_matrix_is_not_trivially_open_or_closed(observed: dict[tuple[str, str], dict[str, str]]) -> None:
    outcomes = [o for row in observed.values() for o in row.values()]
    assert outcomes.count(F) > 50 and outcomes.count(L) > 30 and outcomes.count(A) > 80
