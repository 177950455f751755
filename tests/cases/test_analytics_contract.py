"""What case events tell analytics (docs/analytics.md): working time of clocks, suggestion vs decision."""

from __future__ import annotations

import json

from cases import outbox, workflow
from schemas import CaseEvent, CaseEventType
from sla_tracker.analytics.processor import decision_rows, process
from tests.cases.flow import CURATOR, EXECUTOR, Flow
from tests.cases.helpers import local


def _events(flow: Flow) -> list[CaseEvent]:
    return [CaseEvent.model_validate(json.loads(r.payload)) for r in outbox.pending(flow.s, limit=10_000)
            if r.topic == "cases.events"]


def _stopped(flow: Flow) -> list[CaseEvent]:
    return [e for e in _events(flow) if e.type == CaseEventType.CLOCK_STOPPED]


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


def test_r7_1_triage_event_pairs_suggestion_and_decision_for_analytics(flow: Flow) -> None:
    """The classifier said roads / kemerovo / normal; the curator kept the topic and corrected the rest."""
    case_id = flow.open("vk:-1:901", local(2, 10))
    workflow.triage(flow.s, CURATOR, case_id, topic="roads", municipality="novokuznetsk", importance="high",
                    now=local(2, 10, 5), config=flow.config)
    flow.s.commit()
    triaged = [e for e in _events(flow) if e.data.get("action") == "triaged"]
    assert len(triaged) == 1
    rows = {r.values["field"]: r.values for r in decision_rows(triaged[0])}
    assert {f: (v["suggested"], v["decided"], v["accepted"]) for f, v in rows.items()} == {
        "topic": ("roads", "roads", 1),
        "municipality": ("kemerovo", "novokuznetsk", 0),
        "importance": ("normal", "high", 0),
    }
    assert rows["topic"]["post_uid"] == "vk:-1:901"
    assert rows["topic"]["decided_by"] == CURATOR


def test_r24_stopped_clocks_name_the_person_whose_work_stopped_them(flow: Flow) -> None:
    """Breaches are counted per person: the curator routes, the executor drafts, the curator approves,
    and a service publication counts for the reply's author."""
    case_id = flow.open("vk:-1:902", local(2, 10))
    flow.triage(case_id, local(2, 10, 5))
    (assignment,) = flow.route(case_id, local(2, 10, 10), ("min-zhkh",))
    flow.receive(assignment, local(2, 10, 20))
    flow.draft(case_id, local(2, 11))
    draft = flow.approve(case_id, local(2, 11, 30))
    assert draft.reply_id is not None
    flow.published(draft.reply_id, case_id, local(2, 11, 40))
    people = {e.clock: e.actor for e in _stopped(flow)}
    assert people["routing"] == CURATOR
    assert people["draft"] == EXECUTOR["min-zhkh"]
    assert people["approval"] == CURATOR
    assert people["posting"] is None  # the publisher service posted it
    assert people["reply"] == EXECUTOR["min-zhkh"]


def test_r7_3_r11_r13_2_detection_clocks_reach_analytics_with_the_opened_event(flow: Flow) -> None:
    """Intake announces its three detection clocks on ``opened`` (one event per post, not four);
    analytics still gets one started row per clock, with the clock's id and due time."""
    case_id = flow.open("vk:-1:903", local(2, 10))
    (opened,) = [e for e in _events(flow) if e.case_id == case_id]
    assert opened.type == CaseEventType.OPENED
    started = {r.values["kind"]: r.values for r in process(opened) if r.table == "clock_outcomes"}
    clocks = {c.kind: c for c in flow.case(case_id).clocks}
    assert set(started) == set(clocks) == {"routing", "draft", "reply"}
    for kind, row in started.items():
        assert (row["clock_id"], row["started_at"], row["due_at"]) == (
            str(clocks[kind].id), clocks[kind].started_at, clocks[kind].due_at)
    assert (started["routing"]["clause"], started["draft"]["clause"], started["reply"]["clause"]) == (
        "R7.3", "R13.2", "R11")
