"""Admin actions shared by the pages and the API: one transaction each, refusals leave nothing behind."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path as FsPath
from typing import TypeVar

from fastapi import Path
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cases.journal import record_admin
from cases.models import Person
from console import region_docs, staff
from console.deps import Ctx, Forbidden
from console.users import User

log = logging.getLogger("otklik.console")
T = TypeVar("T")
PERSON_ID = Path(ge=1, le=2**31 - 1)
MAX_TEXT = region_docs.MAX_DOC_BYTES
StaffFn = Callable[[datetime], Person]


def commit(db: Session, fn: Callable[[], T]) -> T:
    """Run, then commit; a refusal or a database error rolls everything back."""
    try:
        result = fn()
        db.commit()
        return result
    except staff.StaffError:
        db.rollback()
        raise
    except SQLAlchemyError as exc:
        db.rollback()
        log.error("admin change failed in the database: %s", type(exc).__name__)
        raise staff.StaffError("Ошибка базы данных, изменение не сохранено; повторите позже") from exc


def create(db: Session, user: User, form: staff.PersonForm, password: str, now: datetime) -> Person:
    return staff.create_person(db, user.login, form, password, now)


def role_change(db: Session, user: User, person_id: int, role: str, agency: str | None) -> StaffFn:
    return lambda now: staff.change_role(db, user.login, person_id, role, agency, now)


def renaming(db: Session, user: User, person_id: int, full_name: str) -> StaffFn:
    return lambda now: staff.rename(db, user.login, person_id, full_name, now)


def activation(db: Session, user: User, person_id: int, active: bool) -> StaffFn:
    return lambda now: staff.set_active(db, user.login, person_id, active, now)


def password_reset(db: Session, user: User, person_id: int, password: str) -> StaffFn:
    return lambda now: staff.reset_password(db, user.login, person_id, password, now)


# --- region documents -------------------------------------------------------------------------------------------

class SaveRefused(Exception):
    """Nothing was changed; the page shows the message and the user's own text again."""

    def __init__(self, message: str, text: str, sha: str, status: int, line: int | None = None) -> None:
        super().__init__(message)
        self.text, self.sha, self.status, self.line = text, sha, status, line


@dataclass(frozen=True)
class Saved:
    sha_before: str
    sha_after: str
    note: str


def open_document(c: Ctx, name: str) -> tuple[str, str]:
    try:
        return region_docs.read(c.config.region_dir, name)
    except (KeyError, OSError, UnicodeDecodeError) as exc:
        raise Forbidden("Документ недоступен для правки") from exc


def save_document(c: Ctx, db: Session, user: User, name: str, text: str, sha: str) -> Saved:
    """Validate with the stages' loaders, replace the file, audit (and re-seed agencies) in one transaction;
    if the database part fails, the previous file is put back."""
    region_dir = c.config.region_dir
    open_document(c, name)  # unknown names are refused before anything else
    text = text.replace("\r\n", "\n")
    try:
        region_docs.validate(region_dir, name, text)
    except region_docs.DocumentInvalid as exc:
        raise SaveRefused(str(exc), text, sha, 422, exc.line) from None
    now = c.config.now()
    try:
        before, after = region_docs.save(region_dir, name, text, sha, c.config.region_history, now)
    except region_docs.DocumentChanged as exc:
        raise SaveRefused(f"{exc}. Скопируйте свой текст, откройте документ заново и внесите правку ещё раз.",
                          text, sha, 409) from None
    note = "проверен загрузчиками этапов"
    try:
        if region_docs.DOCUMENTS[name].reseeds_agencies:
            total, gone = region_docs.reseed_agencies(db, region_dir)
            note += f"; органы обновлены в базе: {total}, выведено из действия: {gone}"
        record_admin(db, user.login, "region_document_saved", now,
                     details={"document": name, "sha256_before": before, "sha256_after": after})
        db.commit()
    except SQLAlchemyError:
        db.rollback()
        _restore(region_docs.path_of(region_dir, name), c.config.region_history, name, now)
        log.error("saving region document %s: database part failed, file restored", name)
        raise SaveRefused("Ошибка базы данных: изменение не сохранено, файл оставлен прежним", text, before,
                          503) from None
    if c.agency_names is not None:
        c.agency_names.invalidate()
    return Saved(before, after, note)


def _restore(path: FsPath, history: FsPath, name: str, now: datetime) -> None:
    copy = region_docs.history_copy(history, name, now)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(copy.read_bytes())
    os.replace(tmp, path)
