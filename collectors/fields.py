"""Small, strict converters shared by the normalisers: hostile payloads fail here, loudly."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

_TAG = re.compile(r"<[^>]{0,2000}>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/h\d)\s*/?\s*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_MAX_ID = 200


def ident(value: Any, what: str = "id") -> str:
    """A uid part: non-empty, no ':' (the uid separator), bounded; ints and strings only."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{what} must be an int or a string, got {type(value).__name__}")
    text = str(value).strip()
    if not text or ":" in text or len(text) > _MAX_ID or any(ch.isspace() for ch in text):
        raise ValueError(f"{what} {text[:50]!r} is not a usable identifier")
    return text


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"text must be a string, got {type(value).__name__}")
    return value


def count(value: Any) -> int:
    """A non-negative counter; absent or nonsense counts as 0 rather than losing the post."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(0, min(value, 2**53))
    if isinstance(value, dict):
        return count(value.get("count"))
    if isinstance(value, str) and value.isdigit() and len(value) < 16:
        return int(value)
    return 0


def from_unix(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"timestamp must be a number, got {type(value).__name__}")
    if not 0 <= value < 32_503_680_000:
        raise ValueError(f"timestamp {value} out of range")
    return datetime.fromtimestamp(value, UTC)


def from_iso(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 64:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError(f"timestamp must be an ISO 8601 string, got {type(value).__name__}")
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {value!r} carries no time zone")
    return parsed.astimezone(UTC)


def html_to_text(value: str) -> str:
    """Markup is stripped and entities decoded; the text is never interpreted beyond that."""
    value = _BREAK.sub("\n", value)
    value = _TAG.sub("", value)
    value = html.unescape(value)
    lines = [_SPACES.sub(" ", line).strip() for line in value.splitlines()]
    return "\n".join(line for line in lines if line)


def as_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object, got {type(value).__name__}")
    return value


def as_list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list, got {type(value).__name__}")
    return value
