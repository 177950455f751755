"""The adapter contract every network implements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from schemas import Attachment, parse_uid


@dataclass(frozen=True)
class Target:
    """Where the reply goes, from the post uid ``network:owner:post[:comment]``."""

    network: str
    owner: str
    post: str
    comment: str | None

    @classmethod
    def from_uid(cls, uid: str) -> Target:
        network, owner, post, comment = parse_uid(uid)
        return cls(network, owner, post, comment)


@dataclass(frozen=True)
class Posted:
    remote_id: str
    url: str | None
    at: datetime | None = None


@dataclass(frozen=True)
class Outgoing:
    """What to post: the adapted text, the attachments, and the idempotency key."""

    reply_id: str
    text: str
    attachments: tuple[Attachment, ...] = ()


class Adapter(Protocol):
    network: str

    def post(self, target: Target, reply: Outgoing) -> Posted:
        """Raise RateLimited / TransientError / PermanentError on failure."""
        ...

    def find(self, target: Target, reply: Outgoing) -> Posted | None:
        """Look for a reply this account already posted with this text (after an uncertain send)."""
        ...
