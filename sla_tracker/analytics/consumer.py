"""The bus side of the analytics writer: (topic, value) pairs from ``posts.classified`` and ``cases.events``.

Rows are flushed before returning, so the caller may commit offsets right after (at least once;
the tables make redelivery harmless).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import ValidationError

from schemas import CaseEvent, ClassifiedPost
from schemas.topics import Topic
from sla_tracker.analytics.writer import SlaWriter

log = logging.getLogger(__name__)


def handle_values(writer: SlaWriter, messages: Sequence[tuple[str, bytes]]) -> int:
    """Returns the number of rows written; unreadable messages are logged and left in their topic."""
    for topic, value in messages:
        try:
            if topic == Topic.POSTS_CLASSIFIED:
                writer.add(ClassifiedPost.from_bytes(value))
            elif topic == Topic.CASES_EVENTS:
                writer.add(CaseEvent.from_bytes(value))
        except (ValidationError, ValueError) as exc:
            log.error("analytics: unreadable %s message skipped: %s", topic, str(exc)[:500])
    return writer.flush()
