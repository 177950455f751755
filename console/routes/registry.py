"""R27 registry: published replies with filters, CSV and XLSX export."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from console import export, queries, refdata
from console.deps import ctx, get_db, require
from console.routes.common import PAGE_DEPS, render
from console.users import Role, User
from console.views import LOCAL_TZ

router = APIRouter(dependencies=PAGE_DEPS, include_in_schema=False)
Reader = Annotated[User, Depends(require(Role.CURATOR, Role.ANALYST, Role.ADMIN, Role.AGENCY_LEAD, Role.EXECUTOR))]
Db = Annotated[Session, Depends(get_db)]
Opt = Annotated[str | None, Query(max_length=100)]


def parse_filter(date_from: str | None, date_to: str | None, network: str | None, agency: str | None,
                 topic: str | None, municipality: str | None, importance: str | None,
                 timely: str | None) -> queries.RegistryFilter:
    """Dates are local calendar days; a bad date is ignored rather than failing the whole page."""

    def day(value: str | None, shift: int = 0) -> datetime | None:
        try:
            d = datetime.fromisoformat(value).date() if value else None
        except ValueError:
            return None
        return datetime.combine(d + timedelta(days=shift), time(0), LOCAL_TZ) if d else None

    return queries.RegistryFilter(
        date_from=day(date_from), date_to=day(date_to, 1), network=network or None, agency=agency or None,
        topic=topic or None, municipality=municipality or None,
        importance=importance if importance in ("normal", "high") else None,
        timely=timely if timely in ("on_time", "late") else None,
    )


def _filter(date_from: Opt = None, date_to: Opt = None, network: Opt = None, agency: Opt = None, topic: Opt = None,
            municipality: Opt = None, importance: Opt = None, timely: Opt = None) -> queries.RegistryFilter:
    return parse_filter(date_from, date_to, network, agency, topic, municipality, importance, timely)


Filter = Annotated[queries.RegistryFilter, Depends(_filter)]


@router.get("/registry", response_class=HTMLResponse)
def registry(request: Request, user: Reader, db: Db, f: Filter,
             page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    rows, total = queries.registry(db, user, f, page)
    region = ctx(request).config.region_dir
    return render(
        request, "registry.html", user, rows=rows, total=total, page=page, f=f,
        pages=max(1, -(-total // queries.PAGE_SIZE)), query=urlencode(f.query_items()),
        capped=total > queries.COUNT_CAP, cap=queries.COUNT_CAP,
        agencies=ctx(request).agency_names.active(), municipalities=refdata.municipalities(region),
        networks=refdata.networks(region), topics=refdata.topics(region),
    )


@router.get("/registry.csv")
def registry_csv(user: Reader, db: Db, f: Filter) -> Response:
    body = export.to_csv(queries.registry_all(db, user, f))
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="registry.csv"'})


@router.get("/registry.xlsx")
def registry_xlsx(user: Reader, db: Db, f: Filter) -> Response:
    body = export.to_xlsx(queries.registry_all(db, user, f))
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="registry.xlsx"'})
