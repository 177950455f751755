"""What the classifier and router suggest for a post; the curator decides (R7.1)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from schemas.base import Message
from schemas.posts import Post


class Importance(StrEnum):
    NORMAL = "normal"
    HIGH = "high"


class TopicCandidate(BaseModel):
    topic: str
    group: str | None = None
    confidence: float = Field(ge=0, le=1)


class LocationSuggestion(BaseModel):
    municipality: str | None = None
    settlement: str | None = None
    address: str | None = None
    confidence: float = Field(default=0.0, ge=0, le=1)
    span: tuple[int, int] | None = None
    matched: str | None = None
    candidates: list[str] = Field(default_factory=list)
    source: str = Field(default="text", description="text | geotag | none")


class ImportanceSuggestion(BaseModel):
    label: Importance = Importance.NORMAL
    score: float = Field(default=0.0, ge=0)
    reasons: list[str] = Field(default_factory=list)


class ModerationFlag(BaseModel):
    """An R22 finding: the rule that fired and the exact span, so the curator can check it."""

    rule: str = Field(description="obscenity | insult | threat_harm | threat_official")
    span: tuple[int, int]
    fragment: str


class RepeatCandidate(BaseModel):
    uid: str
    case_id: int | None = None
    similarity: float = Field(ge=0, le=1)
    reason: str = ""


class RouteSuggestion(BaseModel):
    agency: str
    confidence: float = Field(default=0.0, ge=0, le=1)
    reason: str = ""


class Suggestion(BaseModel):
    topics: list[TopicCandidate] = Field(default_factory=list)
    location: LocationSuggestion = Field(default_factory=LocationSuggestion)
    importance: ImportanceSuggestion = Field(default_factory=ImportanceSuggestion)
    moderation: list[ModerationFlag] = Field(default_factory=list)
    repeats: list[RepeatCandidate] = Field(default_factory=list)
    routes: list[RouteSuggestion] = Field(default_factory=list)
    model_version: str = "unknown"

    @property
    def excluded(self) -> bool:
        """R22: a post with any moderation flag is suggested for exclusion."""
        return bool(self.moderation)


class ClassifiedPost(Message):
    post: Post
    suggestion: Suggestion
