"""The bus side of the publisher: ``replies.approved`` values in, ``replies.published`` and ``alerts`` out.

The lead wires this into ``otklik``'s consume-process-produce loop; it deals only in bytes and
topic names so this package never imports the shell.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import ValidationError

from publisher.core import Outcome, Publisher
from schemas import PostRejection, ReplyApproved
from schemas.topics import Topic

log = logging.getLogger(__name__)

Output = tuple[str, str | None, bytes]
"""(topic, key, value), the shape of ``otklik.bus.processing.Output``."""


def _outputs(reply_post_uid: str, outcome: Outcome) -> list[Output]:
    outputs: list[Output] = []
    if outcome.published is not None:
        outputs.append((Topic.REPLIES_PUBLISHED.value, reply_post_uid, outcome.published.to_bytes()))
    outputs.extend((Topic.ALERTS.value, alert.alert_id, alert.to_bytes()) for alert in outcome.alerts)
    return outputs


def resume_outputs(publisher: Publisher, older_than_s: float = 300.0) -> list[Output]:
    """For the loop's idle hook: finish replies whose earlier attempts ran out of retries or crashed."""
    outputs: list[Output] = []
    for outcome in publisher.resume(older_than_s):
        key = None
        if outcome.published is not None:
            entry = publisher.outbox.get(outcome.published.reply_id)
            key = entry.post_uid if entry else None
        outputs.extend(_outputs(key or "", outcome))
    return outputs


def handle_values(publisher: Publisher, values: Sequence[bytes]) -> list[Output]:
    """One batch. A malformed command cannot be answered (no reply id): it goes to ``posts.rejected`` with its error."""
    outputs: list[Output] = []
    for value in values:
        try:
            reply = ReplyApproved.from_bytes(value)
        except (ValidationError, ValueError) as exc:
            log.error("unreadable replies.approved message rejected: %s", str(exc)[:500])
            rejection = PostRejection(network="publisher", source=Topic.REPLIES_APPROVED.value,
                                      error=f"invalid ReplyApproved: {str(exc)[:2000]}",
                                      raw=value[:65_536].decode("utf-8", "replace"))
            outputs.append((Topic.POSTS_REJECTED.value, None, rejection.to_bytes()))
            continue
        outputs.extend(_outputs(reply.post_uid, publisher.handle(reply)))
    return outputs
