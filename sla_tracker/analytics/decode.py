"""Bus bytes -> the contract model of one message the analytics read.

The full contract, not a lighter view of the fields analytics use: a message intake refuses must not
be counted here either, or the warehouse would hold posts that have no case.
"""

from __future__ import annotations

from collections.abc import Callable

from schemas import CaseEvent, ClassifiedPost
from schemas.topics import Topic

_READERS: dict[str, Callable[[bytes], ClassifiedPost | CaseEvent]] = {
    Topic.CASES_EVENTS: CaseEvent.from_bytes,
    Topic.POSTS_CLASSIFIED: ClassifiedPost.from_bytes,
}


def decode(topic: str, value: bytes) -> ClassifiedPost | CaseEvent | None:
    """The validated message; ``None`` for a topic analytics does not read.

    Raises ``pydantic.ValidationError`` (a ``ValueError``) for a message that breaks the contract."""
    read = _READERS.get(topic)
    return None if read is None else read(value)


__all__ = ["decode"]
