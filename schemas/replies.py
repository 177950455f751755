"""Reply commands to the publisher, its outcome, and alerts."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, Field

from schemas.base import Message, utcnow
from schemas.posts import Attachment, Network


class ReplyKind(StrEnum):
    FINAL = "final"
    INTERIM = "interim"
    CLARIFICATION = "clarification"


class ReplyApproved(Message):
    """An approved reply to post under the citizen's post (R16). ``reply_id`` is the idempotency key."""

    reply_id: str
    case_id: int
    post_uid: str
    network: Network
    kind: ReplyKind = ReplyKind.FINAL
    text: str
    attachments: list[Attachment] = Field(default_factory=list)
    approved_at: AwareDatetime
    approved_by: str


class ReplyPublished(Message):
    reply_id: str
    case_id: int
    ok: bool
    url: str | None = None
    published_at: AwareDatetime | None = None
    error: str | None = None
    permanent: bool = False


class AlertKind(StrEnum):
    HIGH_IMPORTANCE = "high_importance"
    CLOCK_WARNING = "clock_warning"
    CLOCK_BREACH = "clock_breach"
    SOURCE_DOWN = "source_down"
    PUBLISH_FAILED = "publish_failed"


class Alert(Message):
    alert_id: str = Field(description="deduplication key")
    kind: AlertKind
    case_id: int | None = None
    title: str
    body: str = ""
    recipients: list[str] = Field(default_factory=list, description="roles or person ids")
    created_at: AwareDatetime = Field(default_factory=utcnow)
    data: dict[str, Any] = Field(default_factory=dict)
