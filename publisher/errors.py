"""How a network call failed decides what the publisher does next: wait, retry, or give up."""

from __future__ import annotations


class PublishError(RuntimeError):
    """Base class; ``sent_maybe`` means the request may have reached the network (look it up before retrying)."""

    sent_maybe: bool = False


class RateLimited(PublishError):
    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class TransientError(PublishError):
    def __init__(self, message: str, sent_maybe: bool = False) -> None:
        super().__init__(message)
        self.sent_maybe = sent_maybe


class PermanentError(PublishError):
    """The network refused the reply for good (deleted post, comments closed, bad token, text rejected)."""


class ConfigError(ValueError):
    """Publishing configuration or a secret is missing or malformed."""
