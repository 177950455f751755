"""Editing region data documents (YAML) from the admin pages.

A candidate text is checked by the stages' own loaders run on a scratch copy of the whole region
(so cross-file references, e.g. routing rules naming agencies, are checked too). Only then is the
file replaced atomically; the previous version is kept as a timestamped copy.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import Agency
from cases.seed import agency_rows

MAX_DOC_BYTES = 200_000
CALENDARS = "calendars"


@dataclass(frozen=True)
class Document:
    name: str  # as in the URL: "agencies.yaml" or "calendars/ru.yaml"
    label: str
    reseeds_agencies: bool = False


DOCUMENTS: dict[str, Document] = {d.name: d for d in (
    Document("agencies.yaml", "Органы власти", reseeds_agencies=True),
    Document("routing.yaml", "Правила маршрутизации"),
    Document("sources.yaml", "Отслеживаемые источники"),
    Document("schedule.yaml", "Рабочее время"),
    Document("clocks.yaml", "Сроки регламента"),
    Document("calendars/ru.yaml", "Производственный календарь"),
)}


class DocumentInvalid(ValueError):
    """The loaders refused the text; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class DocumentChanged(RuntimeError):
    """The file changed after the form was opened; the save is refused so nobody's edit is lost."""


def path_of(region_dir: Path, name: str) -> Path:
    """Only names from ``DOCUMENTS`` map to paths; anything else is refused (no paths from the URL)."""
    if name not in DOCUMENTS:
        raise KeyError(name)
    if name.startswith(CALENDARS + "/"):
        return region_dir.parent / name
    return region_dir / name


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(region_dir: Path, name: str) -> tuple[str, str]:
    """(text, sha256 of the bytes on disk)."""
    data = path_of(region_dir, name).read_bytes()
    return data.decode("utf-8"), sha256(data)


def _parse_line(text: str) -> None:
    try:
        yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or str(exc)
        raise DocumentInvalid(f"Ошибка синтаксиса YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise DocumentInvalid(f"Ошибка синтаксиса YAML: {exc}") from None


def _scratch(region_dir: Path, into: Path) -> Path:
    region = into / region_dir.name
    shutil.copytree(region_dir, region, ignore=shutil.ignore_patterns("*.jsonl", "*.csv", "*.bin", "*.pkl"))
    calendars = region_dir.parent / CALENDARS
    if calendars.is_dir():
        shutil.copytree(calendars, into / CALENDARS)
    return region


Check = Callable[[Path], object]


def default_checks() -> list[tuple[str, Check]]:
    """The loaders each stage runs at start; imported here lazily so the console imports nothing at load."""
    import httpx

    from cases.config import CaseConfig
    from collectors.config import build_sources, load_config
    from collectors.credentials import Credentials
    from router.router import Router
    from sla_tracker.calendar import WorkingCalendar

    def sources(region: Path) -> object:
        quiet = logging.getLogger("otklik.collectors")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # "no credentials" warnings are expected in a dry build
        try:
            with httpx.Client() as http:  # no request is made: sources are only built
                return build_sources(load_config(region / "sources.yaml"), Credentials({}), http=http)
        finally:
            quiet.setLevel(level)

    def agencies(region: Path) -> object:
        codes = [row["code"] for row in agency_rows(region)]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"код органа повторяется: {', '.join(dupes)}")
        return codes

    return [
        ("органы (cases.seed)", agencies),
        ("маршрутизация (router)", Router.load),
        ("источники (collectors)", sources),
        ("календарь (sla_tracker)", WorkingCalendar.load),
        ("сроки (cases.config)", CaseConfig.load),
    ]


def validate(region_dir: Path, name: str, text: str, checks: list[tuple[str, Check]] | None = None) -> None:
    """Raise ``DocumentInvalid`` unless every stage loader accepts the region with ``text`` in place of ``name``."""
    if len(text.encode("utf-8")) > MAX_DOC_BYTES:
        raise DocumentInvalid(f"Документ больше {MAX_DOC_BYTES // 1000} КБ")
    _parse_line(text)
    with tempfile.TemporaryDirectory(prefix="otklik-region-") as tmp:
        region = _scratch(region_dir, Path(tmp))
        target = path_of(region, name)
        target.write_text(text, encoding="utf-8")
        for what, check in checks if checks is not None else default_checks():
            try:
                check(region)
            except Exception as exc:  # every loader's refusal is reported, whatever its class
                message = str(exc).replace(str(region.parent) + os.sep, "").replace(tmp, "")
                raise DocumentInvalid(f"{what}: {type(exc).__name__}: {message[:1000]}", _line_in(message)) from None


def _line_in(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def history_copy(history_dir: Path, name: str, now: datetime) -> Path:
    return history_dir / f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{name.replace('/', '__')}"


def save(region_dir: Path, name: str, text: str, expected_sha: str, history_dir: Path, now: datetime
         ) -> tuple[str, str]:
    """Atomic replace after the concurrency check; returns (sha before, sha after)."""
    path = path_of(region_dir, name)
    history_dir.mkdir(parents=True, exist_ok=True)
    with (history_dir / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two admins saving at once: the second sees the first's sha
        return _save_locked(path, name, text, expected_sha, history_dir, now)


def _save_locked(path: Path, name: str, text: str, expected_sha: str, history_dir: Path, now: datetime
                 ) -> tuple[str, str]:
    before = path.read_bytes()
    if sha256(before) != expected_sha:
        raise DocumentChanged("Файл изменён другим пользователем после открытия формы")
    history_copy(history_dir, name, now).write_bytes(before)
    data = text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha256(before), sha256(data)



def reseed_agencies(db: Session, region_dir: Path) -> tuple[int, int]:
    """Upsert the agencies table from the saved file; agencies gone from it are deactivated, never deleted
    (cases and people still refer to them). Returns (active, deactivated)."""
    rows = {r["code"]: r for r in agency_rows(region_dir)}
    total, gone = len(rows), 0
    for agency in db.scalars(select(Agency)):
        row = rows.pop(agency.code, None)
        if row is None:
            gone += int(agency.active)
            agency.active = False
            continue
        for key, value in row.items():
            setattr(agency, key, value)
        agency.active = True
    for row in rows.values():
        db.add(Agency(**row, active=True))
    db.flush()
    return total, gone
