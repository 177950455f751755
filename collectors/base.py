"""The contract every collector shares: sources yield pages of normalised items, sinks take them.

A normaliser is a pure function from one network payload to :class:`schemas.Post`; it may
raise anything on hostile input. :func:`normalise_safely` turns every failure into a
:class:`schemas.PostRejection`, so a bad payload is recorded, never dropped and never fatal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from schemas import Alert, Post, PostRejection

Item = Post | PostRejection
MAX_DEPTH = 64
MAX_RAW_CHARS = 64_000
"""A rejected payload is kept, but bounded: hostile input must not blow up the bus."""


class CollectorError(RuntimeError):
    """Base class: something stopped one poll of one source."""


class TransientError(CollectorError):
    """Network hiccup, 5xx, malformed page: retry with exponential backoff."""


class RateLimited(CollectorError):
    """The API itself said "slow down"; ``retry_after`` seconds come from its own signal."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(0.0, float(retry_after))


class SourceDown(CollectorError):
    """Bad token, banned account, revoked access: the source stops until an operator acts."""


@dataclass
class Page:
    """One fetch. ``cursor`` is what to persist once these items are durably on the bus;
    ``more`` says another page is ready right now (keep paging before the next scheduled poll)."""

    items: list[Item] = field(default_factory=list)
    cursor: str | None = None
    more: bool = False

    @property
    def posts(self) -> list[Post]:
        return [i for i in self.items if isinstance(i, Post)]


class Source(Protocol):
    name: str
    network: str
    interval_s: float

    def fetch(self, cursor: str | None) -> Page: ...


class PostSink(Protocol):
    """Where collected items go. The bus-backed implementation lives in ``otklik`` (CLI wiring)."""

    def emit(self, post: Post) -> None: ...

    def reject(self, rejection: PostRejection) -> None: ...

    def alert(self, alert: Alert) -> None: ...

    def flush(self) -> None:
        """Return only when everything emitted so far is durable."""

    def mark(self) -> Any:
        """An opaque position of the output log, taken before a batch is published."""

    def published_since(self, mark: Any, uids: set[str]) -> set[tuple[str, int]]:
        """(uid, version) pairs among ``uids`` that reached the log after ``mark``: crash recovery."""


def _too_deep(value: Any, limit: int = 0) -> bool:
    """Iterative depth check: a payload nested deeper than ``MAX_DEPTH`` cannot go on the bus."""
    limit = limit or MAX_DEPTH
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= limit:
                return True
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return False


def bounded_raw(raw: Any) -> Any:
    """JSON-safe and size-bounded copy of a payload for a rejection record."""
    if _too_deep(raw):
        return {"unserialisable_payload": f"{type(raw).__name__} nested deeper than {MAX_DEPTH} levels"}
    try:
        text = json.dumps(raw, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr(raw)[:MAX_RAW_CHARS]
    if len(text) <= MAX_RAW_CHARS:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return {"truncated_payload": text[:MAX_RAW_CHARS]}


def normalise_safely(
    normaliser: Callable[..., Post], raw: Any, *, network: str, source: str | None = None, **kwargs: Any
) -> Item:
    """Never raises: a Post, or a rejection carrying the error and the (bounded) payload."""
    try:
        post = normaliser(raw, source=source, **kwargs)
        if _too_deep(post.raw):
            raise ValueError(f"payload nested deeper than {MAX_DEPTH} levels")
        return post
    except RecursionError:
        return PostRejection(network=network, source=source, error="payload nested too deeply", raw=None)
    except Exception as exc:  # hostile input may break any step; the rejection records which
        return PostRejection(
            network=network, source=source, error=f"{type(exc).__name__}: {str(exc)[:500]}", raw=bounded_raw(raw)
        )


def normalise_many(
    normaliser: Callable[..., Post], raws: Sequence[Any] | Any, *, network: str, source: str | None = None,
    **kwargs: Any,
) -> list[Item]:
    if not isinstance(raws, list):
        return [PostRejection(network=network, source=source, error="expected a list of items",
                              raw=bounded_raw(raws))]
    return [normalise_safely(normaliser, raw, network=network, source=source, **kwargs) for raw in raws]
