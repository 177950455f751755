"""Bus topic names: one place so producers and consumers cannot drift apart."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    POSTS_RAW = "posts.raw"
    POSTS_REJECTED = "posts.rejected"
    POSTS_CLASSIFIED = "posts.classified"
    CASES_EVENTS = "cases.events"
    REPLIES_APPROVED = "replies.approved"
    REPLIES_PUBLISHED = "replies.published"
    ALERTS = "alerts"


ALL_TOPICS: tuple[str, ...] = tuple(t.value for t in Topic)
