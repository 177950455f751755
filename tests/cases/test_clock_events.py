"""What a stopped clock tells analytics: elapsed working time on the region's calendar (docs/analytics.md)."""

from __future__ import annotations

import json

from cases import outbox
from schemas import CaseEvent, CaseEventType
from tests.cases.flow import Flow
from tests.cases.helpers import local


def _stopped(flow: Flow) -> list[CaseEvent]:
    events = [CaseEvent.model_validate(json.loads(r.payload)) for r in outbox.pending(flow.s, limit=10_000)
              if r.topic == "cases.events"]
    return [e for e in events if e.type == CaseEventType.CLOCK_STOPPED]


def test_r7_3_routing_stop_carries_working_minutes_over_lunch(flow: Flow) -> None:
    """Surfaced 12:50, routed 14:20 on a working Monday: 90 calendar minutes, 30 of them working."""
    case_id = flow.open("vk:-1:900", local(2, 12, 50))
    flow.triage(case_id, local(2, 12, 55))
    flow.route(case_id, local(2, 14, 20), ("min-zhkh",))
    routing = [e for e in _stopped(flow) if e.clock == "routing"]
    assert len(routing) == 1
    data = routing[0].data
    assert data["working_minutes"] == 30.0
    assert data["started_at"] == local(2, 12, 50).isoformat()
    assert data["late"] is True  # R7.3 counts calendar minutes: due 13:20
    assert data["importance"] == "normal"
