"""People and roles managed by the admin: every change checked against the role rules, then audited.

The audit record names the person and what changed; it never carries a password or its hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.journal import record_admin
from cases.models import Agency, Person
from console.passwords import WeakPassword, check_policy, hash_password
from console.users import AGENCY_ROLES, ROLE_LABELS, Role

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MAX_NAME = 200


class StaffError(ValueError):
    """A refused change, in Russian for the page; nothing was written."""


@dataclass(frozen=True)
class PersonForm:
    login: str
    full_name: str
    role: str
    agency_code: str | None


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise StaffError(f"Неизвестная роль «{value[:40]}»") from None


def _check_agency(db: Session, role: Role, agency_code: str | None) -> str | None:
    """Executors and leads belong to an existing active agency; other roles belong to none."""
    code = (agency_code or "").strip() or None
    if role in AGENCY_ROLES:
        if code is None:
            raise StaffError(f"Для роли «{ROLE_LABELS[role]}» нужно указать орган")
        agency = db.get(Agency, code)
        if agency is None or not agency.active:
            raise StaffError(f"Орган «{code[:64]}» не найден среди действующих")
        return code
    if code is not None:
        raise StaffError(f"Роль «{ROLE_LABELS[role]}» не относится к органу: оставьте поле «Орган» пустым")
    return None


def _check_name(full_name: str) -> str:
    name = " ".join(full_name.split())
    if not name or len(name) > MAX_NAME:
        raise StaffError(f"ФИО обязательно, не длиннее {MAX_NAME} символов")
    return name


def _person(db: Session, person_id: int) -> Person:
    person = db.get(Person, person_id)
    if person is None:
        raise StaffError("Сотрудник не найден")
    return person


def _audit(db: Session, actor: str, action: str, now: datetime, person: Person, **details: Any) -> None:
    record_admin(db, actor, action, now, details={"login": person.login, **details})


def create_person(db: Session, actor: str, form: PersonForm, password: str, now: datetime) -> Person:
    login = form.login.strip().lower()
    if not LOGIN_RE.match(login):
        raise StaffError("Логин: 2–64 символа, латинские строчные буквы, цифры, точка, дефис, подчёркивание")
    if db.scalar(select(Person.id).where(Person.login == login)) is not None:
        raise StaffError(f"Логин «{login}» уже занят")
    role = _role(form.role)
    agency = _check_agency(db, role, form.agency_code)
    name = _check_name(form.full_name)
    try:
        check_policy(password, login)
        pw_hash = hash_password(password)
    except WeakPassword as exc:
        raise StaffError(str(exc)) from None
    person = Person(login=login, full_name=name, role=role.value, agency_code=agency, password_hash=pw_hash,
                    active=True)
    db.add(person)
    db.flush()
    _audit(db, actor, "person_created", now, person, role=role.value, agency=agency)
    return person


def change_role(db: Session, actor: str, person_id: int, role_value: str, agency_code: str | None,
                now: datetime) -> Person:
    person = _person(db, person_id)
    role = _role(role_value)
    agency = _check_agency(db, role, agency_code)
    if person.login == actor and role != Role.ADMIN:
        raise StaffError("Нельзя снять роль администратора с самого себя")
    before = {"role": person.role, "agency": person.agency_code}
    if before == {"role": role.value, "agency": agency}:
        raise StaffError("Роль и орган не изменились")
    person.role, person.agency_code = role.value, agency
    _audit(db, actor, "person_role_changed", now, person, before=before, after={"role": role.value, "agency": agency})
    return person


def rename(db: Session, actor: str, person_id: int, full_name: str, now: datetime) -> Person:
    person = _person(db, person_id)
    name = _check_name(full_name)
    if name == person.full_name:
        raise StaffError("ФИО не изменилось")
    person.full_name = name
    _audit(db, actor, "person_renamed", now, person)
    return person


def set_active(db: Session, actor: str, person_id: int, active: bool, now: datetime) -> Person:
    person = _person(db, person_id)
    if person.login == actor and not active:
        raise StaffError("Нельзя отключить собственную учётную запись")
    if person.active == active:
        raise StaffError("Учётная запись уже " + ("активна" if active else "отключена"))
    if active and person.role in AGENCY_ROLES:
        _check_agency(db, Role(person.role), person.agency_code)
    person.active = active
    _audit(db, actor, "person_reactivated" if active else "person_deactivated", now, person)
    return person


def reset_password(db: Session, actor: str, person_id: int, password: str, now: datetime) -> Person:
    person = _person(db, person_id)
    try:
        check_policy(password, person.login)
        person.password_hash = hash_password(password)
    except WeakPassword as exc:
        raise StaffError(str(exc)) from None
    _audit(db, actor, "person_password_reset", now, person)
    return person
