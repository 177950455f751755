"""What the console needs from the shell; any settings-like object with these attributes will do."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    getter = getattr(value, "get_secret_value", None)
    return str(getter() if getter else value) or None


@dataclass
class ConsoleConfig:
    """Built from ``otklik.settings.Settings`` (or by hand in tests); ``now`` is injectable for expiry tests."""

    database_dsn: str
    secret_key: str
    region_dir: Path
    clickhouse_dsn: str | None = None
    session_max_age: int = 12 * 3600
    idle_timeout: int = 30 * 60
    secure_cookies: bool = False
    poll_seconds: int = 10
    short_clocks_working_time: bool = True
    detection_event: str = "surfaced"
    now: Callable[[], datetime] = field(default=utcnow)
    ephemeral_key: bool = False
    login_max_failures: int = 5
    login_window_seconds: int = 15 * 60
    login_lockout_seconds: int = 15 * 60
    history_dir: Path | None = None  # previous versions of edited region files; default: var/region-history

    @property
    def region_history(self) -> Path:
        return self.history_dir or self.region_dir.parent.parent / "var" / "region-history"

    @classmethod
    def from_settings(cls, settings: Any) -> ConsoleConfig:
        """Without a configured secret key, a random one is made: sessions then end when the process does."""
        key = _secret(getattr(settings, "secret_key", None))
        ephemeral = key is None
        clickhouse = getattr(settings, "clickhouse_dsn", None)
        return cls(
            database_dsn=str(settings.database_dsn),
            secret_key=key or secrets.token_urlsafe(48),
            region_dir=Path(settings.region_dir),
            clickhouse_dsn=str(clickhouse) if clickhouse else None,
            short_clocks_working_time=bool(getattr(settings, "short_clocks_working_time", True)),
            detection_event=str(getattr(settings, "detection_event", "surfaced")),
            ephemeral_key=ephemeral,
            history_dir=Path(settings.data_dir) / "region-history" if getattr(settings, "data_dir", None) else None,
        )
