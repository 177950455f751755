"""Intake: idempotent on (uid, version), R22 recorded not dropped, events in the same transaction."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases import outbox
from cases.config import CaseConfig
from cases.intake import IntakeOutcome, intake
from cases.models import Case, Clock, OutboxMessage, PostRow, SuggestionRow
from schemas import CaseEvent, ModerationFlag
from tests.cases.conftest import Db
from tests.cases.flow import Flow
from tests.cases.helpers import TEXTS, classified, local


def _count(db: Db, model: type) -> int:
    with db.Session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_new_post_opens_detected_case_with_detection_clocks(flow: Flow) -> None:
    t0 = local(2, 10)
    result = flow.intake("vk:-100:1", t0)
    assert result.outcome is IntakeOutcome.OPENED
    case = flow.case(result.case_id)
    assert case.state == "detected" and case.detected_at == t0 and case.post.surfaced_at == t0
    assert sorted(c.kind for c in case.clocks) == ["draft", "reply", "routing"]
    assert all(c.started_at == t0 for c in case.clocks)
    events = [CaseEvent.from_bytes(r.payload) for r in outbox.pending(flow.s)]
    assert events[0].type == "opened" and events[0].case_id == case.id
    assert [e.type for e in events] == ["opened"]  # the detection clocks ride on it, not as clock_started
    started = {c["kind"]: (c["clock_id"], datetime.fromisoformat(c["due_at"])) for c in events[0].data["clocks"]}
    assert started == {c.kind: (c.id, c.due_at) for c in case.clocks}


def test_repeated_delivery_is_a_noop_and_newer_version_updates(db: Db, flow: Flow) -> None:
    first = flow.intake("vk:-100:2", local(2, 10))
    before = _count(db, OutboxMessage)
    again = flow.intake("vk:-100:2", local(2, 10, 5))
    assert again.outcome is IntakeOutcome.DUPLICATE and again.case_id == first.case_id
    assert _count(db, OutboxMessage) == before
    updated = flow.intake("vk:-100:2", local(2, 10, 7), version=2, text=TEXTS["heat"])
    assert updated.outcome is IntakeOutcome.UPDATED and updated.case_id == first.case_id
    older = flow.intake("vk:-100:2", local(2, 10, 9), version=1)
    assert older.outcome is IntakeOutcome.DUPLICATE
    case = flow.case(first.case_id)
    assert case.post.version == 2 and case.post.text == TEXTS["heat"]
    assert case.detected_at == local(2, 10)  # clocks keep running from the first detection
    assert _count(db, PostRow) == 1 and _count(db, Case) == 1 and _count(db, SuggestionRow) == 2


def test_deleted_post_is_marked_and_case_kept(flow: Flow) -> None:
    first = flow.intake("vk:-100:3", local(2, 10))
    result = flow.intake("vk:-100:3", local(2, 11), deleted=True)
    assert result.outcome is IntakeOutcome.UPDATED
    case = flow.case(first.case_id)
    assert case.post.deleted and case.state == "detected"
    assert flow.intake("vk:-100:3", local(2, 11, 5), deleted=True).outcome is IntakeOutcome.DUPLICATE


def test_r22_flagged_post_is_recorded_as_excluded_without_clocks(flow: Flow) -> None:
    flag = ModerationFlag(rule="threat_official", span=(0, 5), fragment="xxxxx")
    result = flow.intake("vk:-100:4", local(2, 10), moderation=[flag])
    assert result.outcome is IntakeOutcome.EXCLUDED
    case = flow.case(result.case_id)
    assert case.state == "excluded" and "threat_official" in (case.excluded_reason or "")
    assert case.clocks == []


def test_failed_transaction_leaves_no_case_and_no_event(db: Db, config: CaseConfig) -> None:
    with db.Session() as s:
        intake(s, classified("vk:-100:5"), local(2, 10), config=config)
        assert s.scalar(select(func.count()).select_from(OutboxMessage))
        s.rollback()
    assert _count(db, OutboxMessage) == 0 and _count(db, Case) == 0 and _count(db, Clock) == 0
    with db.Session() as s:
        intake(s, classified("vk:-100:6"), local(2, 10), config=config)
        with pytest.raises(ValueError, match="naive"):
            intake(s, classified("vk:-100:7"), local(2, 10).replace(tzinfo=None), config=config)
            s.commit()
        s.rollback()
    assert _count(db, OutboxMessage) == 0 and _count(db, PostRow) == 0


def test_detection_at_curator_marking_when_configured(session: Session, config: CaseConfig) -> None:
    marked = CaseConfig(policy=config.policy, networks=config.networks, detection_event="marked")
    flow = Flow(session, marked)
    case_id = flow.open("vk:-100:8", local(2, 10))
    assert flow.case(case_id).clocks == [] and flow.case(case_id).detected_at is None
    flow.triage(case_id, local(2, 10, 40))
    case = flow.case(case_id)
    assert case.detected_at == local(2, 10, 40)
    assert {c.kind: c.started_at for c in case.clocks} == {k: local(2, 10, 40) for k in ("routing", "draft", "reply")}


def test_hostile_text_is_stored_verbatim_not_evaluated(flow: Flow) -> None:
    text = "<script>alert(1)</script> {{ 7*7 }} '; DROP TABLE cases; --"
    case = flow.case(flow.open("vk:-100:9", local(2, 10), text=text))
    assert case.post.text == text
