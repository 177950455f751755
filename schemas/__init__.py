"""Data contracts shared by every stage: the only package every other one may import."""

from schemas.base import Message, SchemaVersionError
from schemas.cases import CaseEvent, CaseEventType
from schemas.posts import Attachment, Author, Geo, Metrics, Network, Post, PostRejection, parse_uid
from schemas.replies import Alert, AlertKind, ReplyApproved, ReplyKind, ReplyPublished
from schemas.suggestions import (
    ClassifiedPost,
    Importance,
    ImportanceSuggestion,
    LocationSuggestion,
    ModerationFlag,
    RepeatCandidate,
    RouteSuggestion,
    Suggestion,
    TopicCandidate,
)
from schemas.topics import ALL_TOPICS, Topic

__all__ = [
    "ALL_TOPICS",
    "Alert",
    "AlertKind",
    "Attachment",
    "Author",
    "CaseEvent",
    "CaseEventType",
    "ClassifiedPost",
    "Geo",
    "Importance",
    "ImportanceSuggestion",
    "LocationSuggestion",
    "Message",
    "Metrics",
    "ModerationFlag",
    "Network",
    "Post",
    "PostRejection",
    "RepeatCandidate",
    "ReplyApproved",
    "ReplyKind",
    "ReplyPublished",
    "RouteSuggestion",
    "SchemaVersionError",
    "Suggestion",
    "Topic",
    "TopicCandidate",
    "parse_uid",
]
