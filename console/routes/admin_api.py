"""JSON API for the admin: the same checks, audit and role guard as the admin pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Person
from console import admin_actions
from console.deps import ctx, get_db, require
from console.security import check_csrf
from console.staff import PersonForm, StaffError
from console.users import Role, User

router = APIRouter(prefix="/api/admin", dependencies=[Depends(check_csrf)], tags=["admin"])
Admin = Annotated[User, Depends(require(Role.ADMIN))]
Db = Annotated[Session, Depends(get_db)]
PersonId = Annotated[int, admin_actions.PERSON_ID]


class PersonOut(BaseModel):
    id: int
    login: str
    full_name: str
    role: str
    agency: str | None
    active: bool
    has_password: bool

    @classmethod
    def of(cls, p: Person) -> PersonOut:
        return cls(id=p.id, login=p.login, full_name=p.full_name, role=p.role, agency=p.agency_code,
                   active=p.active, has_password=p.password_hash is not None)


class PersonIn(BaseModel):
    login: str = Field(max_length=64)
    full_name: str = Field(max_length=400)
    role: str = Field(max_length=32)
    agency: str | None = Field(default=None, max_length=64)
    password: str = Field(max_length=1024)


class RoleIn(BaseModel):
    role: str = Field(max_length=32)
    agency: str | None = Field(default=None, max_length=64)


class ActiveIn(BaseModel):
    active: bool


class PasswordIn(BaseModel):
    password: str = Field(max_length=1024)


class DocumentOut(BaseModel):
    name: str
    text: str
    sha256: str


class DocumentIn(BaseModel):
    text: str = Field(max_length=admin_actions.MAX_TEXT)
    sha256: str = Field(min_length=64, max_length=64, description="sha256 of the version the edit started from")


class SavedOut(BaseModel):
    name: str
    sha256_before: str
    sha256_after: str
    note: str


def _staff(db: Session, fn: admin_actions.StaffFn, request: Request) -> PersonOut:
    try:
        return PersonOut.of(admin_actions.commit(db, lambda: fn(ctx(request).config.now())))
    except StaffError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/people")
def list_people(user: Admin, db: Db) -> list[PersonOut]:
    return [PersonOut.of(p) for p in db.scalars(select(Person).order_by(Person.login).limit(5000))]


@router.post("/people", status_code=201)
def create_person(request: Request, body: PersonIn, user: Admin, db: Db) -> PersonOut:
    form = PersonForm(body.login, body.full_name, body.role, body.agency)
    return _staff(db, lambda now: admin_actions.create(db, user, form, body.password, now), request)


@router.post("/people/{person_id}/role")
def change_role(request: Request, person_id: PersonId, body: RoleIn, user: Admin, db: Db) -> PersonOut:
    return _staff(db, admin_actions.role_change(db, user, person_id, body.role, body.agency), request)


@router.post("/people/{person_id}/active")
def set_active(request: Request, person_id: PersonId, body: ActiveIn, user: Admin, db: Db) -> PersonOut:
    return _staff(db, admin_actions.activation(db, user, person_id, body.active), request)


@router.post("/people/{person_id}/password")
def reset_password(request: Request, person_id: PersonId, body: PasswordIn, user: Admin, db: Db) -> PersonOut:
    return _staff(db, admin_actions.password_reset(db, user, person_id, body.password), request)


@router.get("/region/{name:path}")
def get_document(request: Request, name: str, user: Admin) -> DocumentOut:
    text, sha = admin_actions.open_document(ctx(request), name)
    return DocumentOut(name=name, text=text, sha256=sha)


@router.put("/region/{name:path}")
def put_document(request: Request, name: str, body: DocumentIn, user: Admin, db: Db) -> SavedOut:
    try:
        saved = admin_actions.save_document(ctx(request), db, user, name, body.text, body.sha256)
    except admin_actions.SaveRefused as exc:
        detail = f"строка {exc.line}: {exc}" if exc.line else str(exc)
        raise HTTPException(exc.status, detail) from None
    return SavedOut(name=name, sha256_before=saved.sha_before, sha256_after=saved.sha_after, note=saved.note)
