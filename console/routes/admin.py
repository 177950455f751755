"""Admin: read-only views of region data and staff, each data file validated on display."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Agency, Person
from console.deps import Forbidden, ctx, get_db, require
from console.routes.common import PAGE_DEPS, render
from console.users import ROLE_LABELS, Role, User

router = APIRouter(dependencies=PAGE_DEPS, include_in_schema=False)
MAX_FILE_BYTES = 200_000


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
def region_file(request: Request, name: str, user: Annotated[User, Depends(require(Role.ADMIN))]) -> Response:
    """Read-only view of one data file; only names from the listing are served (no paths from the URL)."""
    path = region_files(ctx(request).config.region_dir).get(name)
    if path is None or path.stat().st_size > MAX_FILE_BYTES:
        raise Forbidden("Файл недоступен для просмотра")
    return render(request, "admin_file.html", user, file_name=name, content=path.read_text(encoding="utf-8"))


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, user: Annotated[User, Depends(require(Role.ADMIN))],
          db: Annotated[Session, Depends(get_db)]) -> Response:
    region_dir = ctx(request).config.region_dir
    return render(
        request, "admin.html", user,
        agencies=list(db.scalars(select(Agency).order_by(Agency.kind.desc(), Agency.name))),
        people=list(db.scalars(select(Person).order_by(Person.role, Person.login))),
        role_labels={r.value: label for r, label in ROLE_LABELS.items()},
        files=check_region_files(region_dir),
        region_dir=region_dir.name,
    )
