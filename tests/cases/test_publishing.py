"""The publisher's outcome: failures are recorded (permanent ones alert the curator), unknown replies refused."""

from __future__ import annotations

import pytest

from cases import outbox
from cases.errors import NotFound
from cases.publishing import apply_published
from schemas import Alert, ReplyPublished
from tests.cases.flow import Flow
from tests.cases.helpers import local


def _approved(flow: Flow, uid: str) -> tuple[int, str]:
    case_id = flow.open(uid, local(2, 10))
    flow.triage(case_id, local(2, 10, 5))
    (a,) = flow.route(case_id, local(2, 10, 10))
    flow.receive(a, local(2, 10, 15))
    flow.draft(case_id, local(2, 11))
    return case_id, flow.approve(case_id, local(2, 11, 10)).reply_id or ""


def test_transient_failure_recorded_once_then_success_closes(flow: Flow) -> None:
    case_id, reply_id = _approved(flow, "vk:-4:1")
    fail = ReplyPublished(reply_id=reply_id, case_id=case_id, ok=False, error="HTTP 503")
    assert apply_published(flow.s, fail, local(2, 11, 12), config=flow.config).applied
    assert not apply_published(flow.s, fail, local(2, 11, 13), config=flow.config).applied
    flow.s.commit()
    case = flow.case(case_id)
    assert case.state == "approved" and case.drafts[-1].publish_error == "HTTP 503"
    assert flow.published(reply_id, case_id, local(2, 11, 15)).state == "published"
    assert flow.case(case_id).drafts[-1].publish_error is None


def test_permanent_failure_alerts_the_curator(flow: Flow) -> None:
    case_id, reply_id = _approved(flow, "vk:-4:2")
    msg = ReplyPublished(reply_id=reply_id, case_id=case_id, ok=False, error="post deleted", permanent=True)
    apply_published(flow.s, msg, local(2, 11, 12), config=flow.config)
    flow.s.commit()
    alerts = [Alert.from_bytes(r.payload) for r in outbox.pending(flow.s, 10_000) if r.topic == "alerts"]
    assert [(a.kind, a.case_id, a.recipients) for a in alerts] == [("publish_failed", case_id, ["curator"])]


def test_unknown_reply_is_refused_with_a_named_error(flow: Flow) -> None:
    with pytest.raises(NotFound):
        apply_published(
            flow.s, ReplyPublished(reply_id="reply-999", case_id=1, ok=True), local(2, 11), config=flow.config
        )
