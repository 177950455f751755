"""Breach watcher: warning at 75 %, breach at 100 %, each once; R24 facts and escalation."""

from __future__ import annotations

from sqlalchemy import select

from cases import outbox
from cases.models import Breach
from schemas import Alert, CaseEvent
from tests.cases.flow import Flow
from tests.cases.helpers import clock_of, local


def _alerts(flow: Flow) -> list[Alert]:
    return [Alert.from_bytes(r.payload) for r in outbox.pending(flow.s, limit=10_000) if r.topic == "alerts"]


def test_warning_then_breach_each_fire_once(flow: Flow) -> None:
    case_id = flow.open("vk:-2:1", local(2, 10))
    routing = clock_of(flow.case(case_id), "routing")
    assert flow.tick(local(2, 10, 10)) == []
    warned = flow.tick(routing.warn_at)
    assert [(f.kind, f.level) for f in warned] == [("routing", "warning")]
    assert flow.tick(local(2, 10, 29)) == []
    breached = flow.tick(local(2, 10, 31))
    assert [(f.kind, f.level, f.at) for f in breached] == [("routing", "breach", local(2, 10, 30))]
    assert flow.tick(local(2, 10, 40)) == []
    clock = clock_of(flow.case(case_id), "routing")
    assert clock.warned_at == routing.warn_at and clock.breached_at == local(2, 10, 30)
    events = [
        CaseEvent.from_bytes(r.payload) for r in outbox.pending(flow.s, limit=10_000) if r.topic == "cases.events"
    ]
    assert [str(e.type) for e in events].count("clock_warning") == 1
    assert [str(e.type) for e in events].count("clock_breached") == 1


def test_stopped_clock_never_fires(flow: Flow) -> None:
    case_id = flow.open("vk:-2:2", local(2, 10))
    flow.triage(case_id, local(2, 10, 5))
    flow.route(case_id, local(2, 10, 6))
    fired = flow.tick(local(2, 10, 45))
    assert "routing" not in [f.kind for f in fired]


def test_breach_jumped_over_warning_records_both_once(flow: Flow) -> None:
    flow.open("vk:-2:3", local(2, 10))
    fired = flow.tick(local(2, 11))
    assert sorted((f.kind, f.level) for f in fired if f.kind == "routing") == [
        ("routing", "breach"),
        ("routing", "warning"),
    ]
    assert flow.tick(local(2, 11, 1)) == []


def test_r24_breach_is_a_fact_per_agency_and_person_escalated_to_lead_and_curator(flow: Flow) -> None:
    case_id = flow.open("vk:-2:4", local(2, 10))
    flow.triage(case_id, local(2, 10, 5))
    (a,) = flow.route(case_id, local(2, 10, 10), ["adm-kemerovo"])
    flow.receive(a, local(2, 10, 15))
    flow.tick(local(2, 15, 1))  # the 4-hour draft clock ran out at 15:00
    breach = flow.s.scalars(select(Breach).where(Breach.kind == "draft")).one()
    assert breach.case_id == case_id and breach.agency_code == "adm-kemerovo"
    assert breach.due_at == local(2, 15) and breach.breached_at == local(2, 15)
    (alert,) = [x for x in _alerts(flow) if x.kind == "clock_breach" and x.data["clock"] == "draft"]
    assert alert.case_id == case_id and alert.alert_id == f"clock-{breach.clock_id}-breach"
    assert alert.recipients == ["kem-lead", "curator"]
    assert alert.data["person"] == "kem-exec1" and "Нарушен срок" in alert.title
