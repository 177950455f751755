"""Common base for every message on the bus: versioned, strict, JSON round-trippable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, field_validator


class SchemaVersionError(ValueError):
    """A message carries a schema version this code cannot read."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    """A bus message. Subclasses bump ``SCHEMA_VERSION`` on breaking changes.

    Readers accept their own version and older ones they know how to upgrade;
    a newer version is refused loudly instead of being half-understood.
    """

    model_config = ConfigDict(extra="ignore", frozen=False, populate_by_name=True)

    SCHEMA_VERSION: ClassVar[int] = 1
    schema_version: int = 1

    def model_post_init(self, __context: Any) -> None:
        if self.schema_version > self.SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{type(self).__name__} schema version {self.schema_version} is newer than "
                f"supported {self.SCHEMA_VERSION}"
            )

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes | str) -> Self:
        return cls.model_validate_json(data)


def as_utc(value: datetime) -> datetime:
    """Stored instants are UTC; naive input is refused rather than guessed."""
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a time zone")
    return value.astimezone(UTC)


class UtcModel(BaseModel):
    """Mixin-like base that normalises every aware datetime field to UTC."""

    @field_validator("*", mode="after")
    @classmethod
    def _utc(cls, value: Any) -> Any:
        if isinstance(value, datetime):
            return as_utc(value)
        return value


__all__ = ["AwareDatetime", "Message", "SchemaVersionError", "UtcModel", "as_utc", "utcnow"]
