"""Case events leave the workflow database through its outbox onto ``cases.events``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, Field, field_validator

from schemas.base import Message, as_utc


class CaseEventType(StrEnum):
    OPENED = "opened"
    TRANSITION = "transition"
    CLOCK_STARTED = "clock_started"
    CLOCK_STOPPED = "clock_stopped"
    CLOCK_WARNING = "clock_warning"
    CLOCK_BREACHED = "clock_breached"


class CaseEvent(Message):
    event_id: str = Field(description="unique; consumers deduplicate on it")
    case_id: int
    type: CaseEventType
    at: AwareDatetime
    actor: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    agency: str | None = None
    clock: str | None = None
    due_at: AwareDatetime | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("at", "due_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None
