"""Login throttling: too many failed sign-ins for one login from one address lock that pair for a while.

Kept in the workflow database (a table of the console's own metadata, created at app start), so a
lock survives a restart and is shared by every console process behind the same database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Integer, MetaData, String, Table, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

metadata = MetaData()

login_failures = Table(
    "console_login_failures",
    metadata,
    Column("login", String(64), primary_key=True),
    Column("address", String(64), primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("window_start", Integer, nullable=False),  # epoch seconds, UTC
    Column("locked_until", Integer, nullable=True),
)


def create_tables(engine: Engine) -> None:
    """Idempotent; the cases migrations do not own this table, so the console makes it itself."""
    metadata.create_all(engine, checkfirst=True)


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 5
    window_seconds: int = 15 * 60
    lockout_seconds: int = 15 * 60


class LoginLocked(Exception):
    """Refused before the password is even checked; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(f"Слишком много неудачных попыток входа. Вход для этой учётной записи с вашего адреса "
                         f"временно заблокирован, повторите через {minutes} мин.")
        self.retry_after = retry_after


def _key(login: str, address: str | None) -> tuple[str, str]:
    return login.strip().lower()[:64], (address or "unknown")[:64]


class LoginThrottle:
    def __init__(self, sessions: sessionmaker[Session], now: Callable[[], datetime],
                 policy: ThrottlePolicy | None = None) -> None:
        self.sessions = sessions
        self.now = now
        self.policy = policy or ThrottlePolicy()

    def _ts(self) -> int:
        return int(self.now().timestamp())

    def check(self, login: str, address: str | None) -> None:
        """Raise ``LoginLocked`` while the pair is locked."""
        login_key, addr = _key(login, address)
        with self.sessions() as db:
            row = db.execute(select(login_failures.c.locked_until).where(
                login_failures.c.login == login_key, login_failures.c.address == addr)).first()
        now = self._ts()
        if row is not None and row.locked_until is not None and now < row.locked_until:
            raise LoginLocked(row.locked_until - now)

    def failed(self, login: str, address: str | None) -> None:
        """Count one failure; the ``max_failures``-th within the window starts the lockout."""
        try:
            self._failed(login, address)
        except IntegrityError:  # a concurrent first failure inserted the row: count again on top of it
            self._failed(login, address)

    def _failed(self, login: str, address: str | None) -> None:
        login_key, addr = _key(login, address)
        now, p = self._ts(), self.policy
        where = (login_failures.c.login == login_key, login_failures.c.address == addr)
        with self.sessions() as db:
            row = db.execute(select(login_failures).where(*where).with_for_update()).first()
            if row is None:
                db.execute(login_failures.insert().values(login=login_key, address=addr, failures=1,
                                                          window_start=now, locked_until=None))
                failures = 1
            else:
                expired = now - row.window_start >= p.window_seconds or (
                    row.locked_until is not None and now >= row.locked_until)
                failures = 1 if expired else row.failures + 1
                db.execute(login_failures.update().where(*where).values(
                    failures=failures, window_start=now if expired else row.window_start, locked_until=None))
            if failures >= p.max_failures:
                db.execute(login_failures.update().where(*where).values(
                    failures=0, window_start=now, locked_until=now + p.lockout_seconds))
            db.commit()

    def succeeded(self, login: str, address: str | None) -> None:
        login_key, addr = _key(login, address)
        with self.sessions() as db:
            db.execute(delete(login_failures).where(login_failures.c.login == login_key,
                                                    login_failures.c.address == addr))
            db.commit()
