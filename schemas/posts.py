"""A post (or comment) from an open source, normalised from any network."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from schemas.base import Message, as_utc, utcnow

MAX_TEXT_CHARS = 20_000
"""Post text is hostile input: anything longer is cut (and flagged ``truncated``)."""


class Network(StrEnum):
    VK = "vk"
    OK = "ok"
    TWITTER = "twitter"
    INSTAGRAM = "instagram"
    BLOG = "blog"
    TELEGRAM = "telegram"
    REPLAY = "replay"


class Author(BaseModel):
    id: str
    name: str | None = None
    url: str | None = None
    followers: int | None = Field(default=None, ge=0)
    is_official: bool = False


class Attachment(BaseModel):
    kind: str = Field(description="photo | video | link | doc | audio")
    url: str | None = None
    title: str | None = None


class Metrics(BaseModel):
    likes: int = Field(default=0, ge=0)
    reposts: int = Field(default=0, ge=0)
    comments: int = Field(default=0, ge=0)
    views: int = Field(default=0, ge=0)


class Geo(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    place_name: str | None = None


def make_uid(network: str, owner_id: str, post_id: str, comment_id: str | None = None) -> str:
    parts = [network, owner_id, post_id] + ([comment_id] if comment_id else [])
    for part in parts:
        if not part or ":" in part:
            raise ValueError(f"uid part {part!r} must be non-empty and contain no ':'")
    return ":".join(parts)


def parse_uid(uid: str) -> tuple[str, str, str, str | None]:
    parts = uid.split(":")
    if len(parts) not in (3, 4) or not all(parts):
        raise ValueError(f"malformed post uid {uid!r}: expected network:owner:post[:comment]")
    return parts[0], parts[1], parts[2], (parts[3] if len(parts) == 4 else None)


class Post(Message):
    """One version of a post. The uid is the Kafka key; edits bump ``version``."""

    uid: str
    network: Network
    url: str | None = None
    author: Author
    text: str = ""
    created_at: AwareDatetime
    collected_at: AwareDatetime = Field(default_factory=utcnow)
    version: int = Field(default=1, ge=1)
    edited_at: AwareDatetime | None = None
    deleted: bool = False
    truncated: bool = False
    metrics: Metrics = Field(default_factory=Metrics)
    geo: Geo | None = None
    reply_to: str | None = Field(default=None, description="uid of the post this comment answers")
    attachments: list[Attachment] = Field(default_factory=list)
    source: str | None = Field(default=None, description="configured source that found it")
    raw: dict[str, Any] = Field(default_factory=dict, description="the network's payload, kept as is")

    @field_validator("uid")
    @classmethod
    def _uid(cls, value: str) -> str:
        parse_uid(value)
        return value

    @field_validator("created_at", "collected_at", "edited_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None

    @field_validator("text")
    @classmethod
    def _bound(cls, value: str) -> str:
        return value.replace("\x00", "")

    def model_post_init(self, __context: Any) -> None:
        super().model_post_init(__context)
        if len(self.text) > MAX_TEXT_CHARS:
            self.text = self.text[:MAX_TEXT_CHARS]
            self.truncated = True


class PostRejection(Message):
    """A payload a collector could not turn into a Post: kept with its error, never dropped."""

    network: str
    source: str | None = None
    error: str
    raw: Any = None
    rejected_at: AwareDatetime = Field(default_factory=utcnow)
