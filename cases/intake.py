"""Turning a classified post into a case: idempotent on (uid, version), one transaction with its events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import timers
from cases.config import CaseConfig, default_config
from cases.journal import SYSTEM, record
from cases.models import Case, CaseState, PostRow, SuggestionRow
from schemas import CaseEventType, ClassifiedPost, Post, Suggestion

DETECTION_CLOCKS = ("routing", "draft", "reply")


class IntakeOutcome(StrEnum):
    OPENED = "opened"
    EXCLUDED = "excluded"
    UPDATED = "updated"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class IntakeResult:
    outcome: IntakeOutcome
    case_id: int
    post_id: int


def _post_fields(post: Post) -> dict[str, object]:
    return {
        "network": post.network.value,
        "url": post.url,
        "author_id": post.author.id,
        "author_name": post.author.name,
        "author_url": post.author.url,
        "text": post.text,
        "created_at": post.created_at,
        "collected_at": post.collected_at,
        "version": post.version,
        "deleted": post.deleted,
        "raw": post.model_dump(
            mode="json",
            include={"raw", "author", "metrics", "geo", "reply_to", "attachments", "edited_at", "truncated", "source"},
        ),
    }


def _keep_suggestion(session: Session, row: PostRow, suggestion: Suggestion, now: datetime) -> None:
    session.add(
        SuggestionRow(
            post_id=row.id,
            post_version=row.version,
            model_version=suggestion.model_version,
            data=suggestion.model_dump(mode="json"),
            created_at=now,
        )
    )


def start_detection_clocks(session: Session, config: CaseConfig, case: Case, at: datetime, now: datetime) -> None:
    """R7.3, R13.2, R11/R12 all run from the detection instant."""
    case.detected_at = at
    timers.start_many(session, config, case, DETECTION_CLOCKS, at, now)


def _link_repeats(session: Session, case: Case, suggestion: Suggestion) -> list[int]:
    """R19.1: the classifier's repeat candidates become links when the earlier case exists here."""
    linked: list[int] = []
    for cand in suggestion.repeats:
        earlier: Case | None = None
        if cand.case_id is not None:
            earlier = session.get(Case, cand.case_id)
        if earlier is None:
            earlier = session.scalar(
                select(Case).join(PostRow, Case.post_id == PostRow.id).where(PostRow.uid == cand.uid)
            )
        if earlier is not None and earlier.id != case.id and earlier not in case.repeat_of:
            case.repeat_of.append(earlier)
            linked.append(earlier.id)
    return linked


def intake(
    session: Session, classified: ClassifiedPost, now: datetime, *, config: CaseConfig | None = None
) -> IntakeResult:
    """Open, update or ignore. The caller commits; events are in the same transaction."""
    config = config or default_config()
    post, suggestion = classified.post, classified.suggestion
    row = session.scalar(select(PostRow).where(PostRow.uid == post.uid))
    if row is not None:
        case = session.scalar(select(Case).where(Case.post_id == row.id))
        if case is None:
            raise RuntimeError(f"post {row.id} is stored without a case; the database is inconsistent")
        newly_deleted = post.deleted and not row.deleted
        if post.version <= row.version and not newly_deleted:
            return IntakeResult(IntakeOutcome.DUPLICATE, case.id, row.id)
        old_version = row.version
        for key, value in _post_fields(post).items():
            setattr(row, key, value)
        row.version = max(old_version, post.version)
        row.deleted = row.deleted or post.deleted
        _keep_suggestion(session, row, suggestion, now)
        record(
            session,
            case,
            SYSTEM,
            "post_deleted" if newly_deleted else "post_updated",
            now,
            details={"old_version": old_version, "version": row.version, "deleted": row.deleted},
        )
        return IntakeResult(IntakeOutcome.UPDATED, case.id, row.id)

    row = PostRow(uid=post.uid, surfaced_at=now, **_post_fields(post))
    session.add(row)
    session.flush()
    _keep_suggestion(session, row, suggestion, now)
    excluded = suggestion.excluded
    case = Case(
        post_id=row.id,
        state=CaseState.DETECTED.value,
        importance=suggestion.importance.label.value,
        shortened=False,
        opened_at=now,
        updated_at=now,
        clocks=[],  # a new case has none: spares a lazy load per collection
        assignments=[],
        drafts=[],
        repeat_of=[],
    )
    session.add(case)
    session.flush()
    linked = _link_repeats(session, case, suggestion)
    details: dict[str, object] = {"uid": post.uid, "network": post.network.value, "repeat_of": linked}
    if excluded:
        rules = sorted({flag.rule for flag in suggestion.moderation})
        case.excluded_reason = "R22: " + ", ".join(rules)
        details["moderation"] = rules
        record(
            session,
            case,
            SYSTEM,
            "opened",
            now,
            to_state=CaseState.EXCLUDED.value,
            details=details,
            event_type=CaseEventType.OPENED,
        )
        return IntakeResult(IntakeOutcome.EXCLUDED, case.id, row.id)
    record(
        session,
        case,
        SYSTEM,
        "opened",
        now,
        to_state=CaseState.DETECTED.value,
        details=details,
        event_type=CaseEventType.OPENED,
    )
    if config.detection_event == "surfaced":
        start_detection_clocks(session, config, case, now, now)
    return IntakeResult(IntakeOutcome.OPENED, case.id, row.id)
