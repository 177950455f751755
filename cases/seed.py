"""Loading region facts (agencies, demo people) from the YAML files into the workflow database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Agency, Person, Role


class RegionDataError(ValueError):
    """A region data file is missing or malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class SeedResult:
    agencies: int
    people: int


def _read(path: Path) -> Any:
    if not path.exists():
        raise RegionDataError(f"{path}: file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RegionDataError(f"{path}: not valid YAML ({exc})") from exc


def municipal_agency_code(municipality: str) -> str:
    return f"adm-{municipality}"


def agency_rows(region_dir: Path) -> list[dict[str, Any]]:
    """Regional bodies plus one administration per municipality, as plain dicts."""
    data = _read(region_dir / "agencies.yaml") or {}
    municipalities = _read(region_dir / "municipalities.yaml") or []
    rows: list[dict[str, Any]] = []
    for entry in data.get("regional", []):
        if not entry.get("code") or not entry.get("name"):
            raise RegionDataError(f"agencies.yaml: regional entry without code/name: {entry!r}")
        rows.append(
            {
                "code": entry["code"],
                "name": entry["name"],
                "kind": "regional",
                "municipality": None,
                "sphere": entry.get("sphere"),
            }
        )
    municipal = data.get("municipal", {})
    template = municipal.get("name_template", "Администрация: {municipality}")
    for m in municipalities:
        if not m.get("code") or not m.get("name"):
            raise RegionDataError(f"municipalities.yaml: entry without code/name: {m!r}")
        rows.append(
            {
                "code": municipal_agency_code(m["code"]),
                "name": template.format(municipality=m["name"]),
                "kind": "municipal",
                "municipality": m["code"],
                "sphere": municipal.get("sphere", "municipal"),
            }
        )
    return rows


def load_region(session: Session, region_dir: Path) -> SeedResult:
    """Idempotent upsert: running it again changes nothing; edited YAML updates names/spheres.

    People are matched by login; their password hash and active flag are never touched here.
    """
    region_dir = Path(region_dir)
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    rows = agency_rows(region_dir)
    for row in rows:
        agency = agencies.get(row["code"])
        if agency is None:
            agency = Agency(**row, active=True)
            session.add(agency)
            agencies[agency.code] = agency
        else:
            for key, value in row.items():
                setattr(agency, key, value)
    session.flush()

    people_file = region_dir / "people.yaml"
    entries = (_read(people_file) or {}).get("people", []) if people_file.exists() else []
    known = {p.login: p for p in session.scalars(select(Person))}
    roles = {r.value for r in Role}
    for entry in entries:
        login, role, agency_code = entry.get("login"), entry.get("role"), entry.get("agency")
        if not login or not entry.get("full_name") or role not in roles:
            raise RegionDataError(f"people.yaml: entry needs login, full_name and a role of {sorted(roles)}")
        if agency_code is not None and agency_code not in agencies:
            raise RegionDataError(f"people.yaml: {login}: unknown agency {agency_code!r}")
        if role in (Role.AGENCY_LEAD, Role.EXECUTOR) and agency_code is None:
            raise RegionDataError(f"people.yaml: {login}: role {role} needs an agency")
        person = known.get(login)
        if person is None:
            person = Person(login=login, full_name=entry["full_name"], role=role, agency_code=agency_code, active=True)
            session.add(person)
            known[login] = person
        else:
            person.full_name, person.role, person.agency_code = entry["full_name"], role, agency_code
    session.flush()
    return SeedResult(agencies=len(rows), people=len(entries))
