from datetime import UTC, datetime, timedelta

from schemas import CaseEvent, CaseEventType
from sla_tracker.analytics.processor import clause_for, process

T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def _event(type_: CaseEventType, **kw) -> CaseEvent:
    return CaseEvent(event_id="e1", case_id=5, type=type_, at=T0, **kw)


def test_opened_event_gives_only_the_event_row() -> None:
    rows = process(_event(CaseEventType.OPENED, data={"post_uid": "vk:-1:2"}))
    assert [r.table for r in rows] == ["case_events"]
    assert rows[0].values["data"] == '{"post_uid": "vk:-1:2"}'


def test_clock_stop_becomes_a_partial_clock_outcome() -> None:
    rows = process(_event(CaseEventType.CLOCK_STOPPED, agency="min-zhkh", clock="approval",
                          due_at=T0 + timedelta(minutes=30),
                          data={"clock_id": "77", "person": "ivanova", "working_minutes": 12.5}))
    clock = next(r.values for r in rows if r.table == "clock_outcomes")
    assert clock["stopped_at"] == T0 and clock["started_at"] is None
    assert clock["working_minutes"] == 12.5 and clock["clause"] == "R14" and clock["person"] == "ivanova"


def test_r12_reply_clock_of_a_high_importance_case_names_r12() -> None:
    assert clause_for("reply", "high") == "R12"
    assert clause_for("reply", "normal") == "R11"
    rows = process(_event(CaseEventType.CLOCK_BREACHED, agency="gzhi", clock="reply",
                          data={"clock_id": "9", "importance": "high"}))
    clock = next(r.values for r in rows if r.table == "clock_outcomes")
    assert clock["breached"] == 1 and clock["breached_at"] == T0 and clock["clause"] == "R12"


def test_bad_working_minutes_are_ignored_not_fatal() -> None:
    rows = process(_event(CaseEventType.CLOCK_STOPPED, clock="draft", data={"working_minutes": "много"}))
    assert next(r.values for r in rows if r.table == "clock_outcomes")["working_minutes"] is None


def test_curator_decision_rows_compare_suggestion_and_decision() -> None:
    rows = process(_event(CaseEventType.TRANSITION, to_state="routed", actor="curator-2", data={
        "post_uid": "ok:1:2", "suggested": {"topic": "ЖКХ", "agency": "gzhi"},
        "decided": {"topic": "ЖКХ", "agency": "min-zhkh"}}))
    decisions = {r.values["field"]: r.values["accepted"] for r in rows if r.table == "suggestion_decisions"}
    assert decisions == {"topic": 1, "agency": 0}


def test_hostile_event_text_is_bounded() -> None:
    rows = process(_event(CaseEventType.TRANSITION, actor="x" * 10_000, data={"blob": "я" * 200_000}))
    assert len(rows[0].values["actor"]) == 512 and len(rows[0].values["data"]) <= 65_536


def test_clocks_started_with_an_event_become_partial_clock_outcomes() -> None:
    """Intake reports its three detection clocks on ``opened``: one partial row each, as their own
    clock_started events would give; entries without a kind or an aware start are skipped."""
    due = T0 + timedelta(minutes=30)
    good = {"kind": "reply", "clock_id": 12, "started_at": T0.isoformat(), "due_at": due.isoformat()}
    rows = process(_event(CaseEventType.OPENED, data={"importance": "high", "clocks": [
        good, {"kind": "routing", "clock_id": 11, "started_at": T0.isoformat(), "due_at": None},
        {"kind": "draft", "started_at": "2026-03-02T03:00:00"}, {"started_at": T0.isoformat()}, "routing", 7]}))
    assert [r.table for r in rows] == ["case_events", "clock_outcomes", "clock_outcomes"]
    reply, routing = (r.values for r in rows[1:])
    assert (reply["kind"], reply["clock_id"], reply["clause"], reply["importance"]) == ("reply", "12", "R12", "high")
    assert (reply["started_at"], reply["due_at"], reply["stopped_at"], reply["person"]) == (T0, due, None, None)
    assert (routing["clause"], routing["due_at"]) == ("R7.3", None)
    started = process(_event(CaseEventType.CLOCK_STARTED, clock="reply", due_at=due,
                             data={"clock_id": 12, "importance": "high"}))[1].values
    assert reply == started  # the same partial row as a clock_started event


def test_clocks_that_are_not_a_list_are_ignored() -> None:
    assert [r.table for r in process(_event(CaseEventType.OPENED, data={"clocks": {"kind": "reply"}}))] == [
        "case_events"]
