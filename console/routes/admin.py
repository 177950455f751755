"""Admin pages: region data documents (validated editor) and people with roles; admin role only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Agency, Person
from console import admin_actions
from console.deps import Forbidden, ctx, get_db, require
from console.region_docs import DOCUMENTS
from console.routes.common import PAGE_DEPS, back, flash, render
from console.staff import PersonForm, StaffError
from console.users import ROLE_LABELS, Role, User

router = APIRouter(dependencies=PAGE_DEPS, include_in_schema=False)
Admin = Annotated[User, Depends(require(Role.ADMIN))]
Db = Annotated[Session, Depends(get_db)]
PersonId = Annotated[int, admin_actions.PERSON_ID]
MAX_FILE_BYTES = 200_000
TAKES_EFFECT = "Изменение вступит в силу после перезапуска этапов (они читают данные региона при запуске)."


def region_files(region_dir: Path) -> dict[str, Path]:
    """The files the admin may view, by display name: the region's YAML and the shared calendars it uses."""
    files = {p.name: p for p in sorted(region_dir.glob("*.yaml"))}
    for p in sorted((region_dir.parent / "calendars").glob("*.yaml")):
        files[f"calendars/{p.name}"] = p
    return files


def check_region_files(region_dir: Path) -> list[tuple[str, str, str]]:
    """(file, status, note) for every YAML file of the region: parsed, and the engine's loaders accept it."""
    from cases.config import load_networks
    from cases.seed import RegionDataError, agency_rows

    results: list[tuple[str, str, str]] = []
    for path in region_files(region_dir).values():
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                results.append((_name(region_dir, path), "ok", "большой файл, содержимое не показано"))
                continue
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            note = (f"записей: {len(data)}" if isinstance(data, list)
                    else f"разделов: {len(data)}" if isinstance(data, dict) else "")
            results.append((_name(region_dir, path), "ok", note))
        except (OSError, yaml.YAMLError) as exc:
            results.append((_name(region_dir, path), "error", f"не читается: {type(exc).__name__}"))
    for name, check in (("agencies.yaml", lambda: agency_rows(region_dir)),
                        ("networks.yaml", lambda: load_networks(region_dir))):
        try:
            check()
        except (RegionDataError, KeyError, ValueError, TypeError, OSError) as exc:
            results.append((name, "error", str(exc)[:300]))
    try:
        from cases.config import CaseConfig

        CaseConfig.load(region_dir)
        results.append(("расписание и календарь", "ok", "политика сроков загружена"))
    except Exception as exc:  # any failure of the region schedule is shown, not raised
        results.append(("расписание и календарь", "error", f"{type(exc).__name__}: {str(exc)[:300]}"))
    return results


def _name(region_dir: Path, path: Path) -> str:
    return path.name if path.parent == region_dir else f"calendars/{path.name}"


@router.get("/admin/files/{name:path}", response_class=HTMLResponse)
def region_file(request: Request, name: str, user: Admin) -> Response:
    """Read-only view of one data file; only names from the listing are served (no paths from the URL)."""
    path = region_files(ctx(request).config.region_dir).get(name)
    if path is None or path.stat().st_size > MAX_FILE_BYTES:
        raise Forbidden("Файл недоступен для просмотра")
    return render(request, "admin_file.html", user, file_name=name, content=path.read_text(encoding="utf-8"),
                  editable=name in DOCUMENTS)


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, user: Admin, db: Db) -> Response:
    region_dir = ctx(request).config.region_dir
    return render(
        request, "admin.html", user,
        agencies=list(db.scalars(select(Agency).order_by(Agency.active.desc(), Agency.kind.desc(), Agency.name))),
        files=check_region_files(region_dir),
        documents=DOCUMENTS,
        region_dir=region_dir.name,
    )


# --- people and roles -------------------------------------------------------------------------------------------

def _people_page(request: Request, user: User, db: Session, status: int = 200, error: str | None = None,
                 form: dict[str, str] | None = None) -> Response:
    return render(
        request, "admin_people.html", user, status=status,
        people=list(db.scalars(select(Person).order_by(Person.active.desc(), Person.role, Person.login))),
        role_labels={r.value: label for r, label in ROLE_LABELS.items()},
        agencies=ctx(request).agency_names.active(),
        error=error, form=form or {},
    )


@router.get("/admin/people", response_class=HTMLResponse)
def people(request: Request, user: Admin, db: Db) -> Response:
    return _people_page(request, user, db)


Short = Annotated[str, Form(max_length=64)]
Name = Annotated[str, Form(max_length=400)]
Password = Annotated[str, Form(max_length=1024)]


@router.post("/admin/people")
def create_person(request: Request, user: Admin, db: Db, login: Short, full_name: Name, role: Short,
                  password: Password, agency: Short = "") -> Response:
    form = PersonForm(login, full_name, role, agency or None)
    try:
        admin_actions.commit(db, lambda: admin_actions.create(db, user, form, password, ctx(request).config.now()))
    except StaffError as exc:
        return _people_page(request, user, db, 422, str(exc),
                            {"login": login, "full_name": full_name, "role": role, "agency": agency})
    flash(request, f"Сотрудник {login.strip().lower()} создан")
    return back("/admin/people")


def _person_action(request: Request, db: Session, person_id: int, fn: admin_actions.StaffFn, ok: str) -> Response:
    try:
        person = admin_actions.commit(db, lambda: fn(ctx(request).config.now()))
    except StaffError as exc:
        flash(request, str(exc), "error")
        return back(f"/admin/people/{person_id}")
    flash(request, f"{person.login}: {ok}")
    return back(f"/admin/people/{person_id}")


@router.get("/admin/people/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, person_id: PersonId, user: Admin, db: Db) -> Response:
    person = db.get(Person, person_id)
    if person is None:
        raise Forbidden("Сотрудник не найден")
    return render(request, "admin_person.html", user, person=person, agencies=ctx(request).agency_names.active(),
                  role_labels={r.value: label for r, label in ROLE_LABELS.items()})


@router.post("/admin/people/{person_id}/role")
def person_role(request: Request, person_id: PersonId, user: Admin, db: Db, role: Short,
                agency: Short = "") -> Response:
    return _person_action(request, db, person_id,
                          admin_actions.role_change(db, user, person_id, role, agency or None),
                          "роль и орган изменены")


@router.post("/admin/people/{person_id}/name")
def person_name(request: Request, person_id: PersonId, user: Admin, db: Db, full_name: Name) -> Response:
    return _person_action(request, db, person_id, admin_actions.renaming(db, user, person_id, full_name),
                          "ФИО изменено")


@router.post("/admin/people/{person_id}/active")
def person_active(request: Request, person_id: PersonId, user: Admin, db: Db,
                  active: Annotated[str, Form(max_length=8)]) -> Response:
    on = active == "1"
    return _person_action(request, db, person_id, admin_actions.activation(db, user, person_id, on),
                          "учётная запись включена" if on else "учётная запись отключена")


@router.post("/admin/people/{person_id}/password")
def person_password(request: Request, person_id: PersonId, user: Admin, db: Db, password: Password) -> Response:
    return _person_action(request, db, person_id, admin_actions.password_reset(db, user, person_id, password),
                          "пароль сброшен")


# --- region documents -------------------------------------------------------------------------------------------

def _doc_page(request: Request, user: User, name: str, text: str, sha: str, status: int = 200,
              error: str | None = None, line: int | None = None) -> Response:
    return render(request, "admin_doc.html", user, status=status, doc=DOCUMENTS[name], text=text, sha=sha,
                  error=error, line=line, takes_effect=TAKES_EFFECT)


@router.get("/admin/region/{name:path}", response_class=HTMLResponse)
def region_doc(request: Request, name: str, user: Admin) -> Response:
    text, sha = admin_actions.open_document(ctx(request), name)
    return _doc_page(request, user, name, text, sha)


@router.post("/admin/region/{name:path}")
def save_region_doc(request: Request, name: str, user: Admin, db: Db,
                    text: Annotated[str, Form(max_length=admin_actions.MAX_TEXT)],
                    sha: Annotated[str, Form(min_length=64, max_length=64)]) -> Response:
    c = ctx(request)
    try:
        result = admin_actions.save_document(c, db, user, name, text, sha)
    except admin_actions.SaveRefused as exc:
        return _doc_page(request, user, name, exc.text, exc.sha, exc.status, str(exc), exc.line)
    flash(request, f"{name} сохранён ({result.note}). {TAKES_EFFECT}")
    return back(f"/admin/region/{name}")

