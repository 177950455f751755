"""One test per row of the clocks table (CLAUSES.md), named by its clause id, plus R7.2 and the settings."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from sla_tracker.clocks import ClockConfigError, ClockKind, ClockPolicy
from tests.sla_tracker.kuzbass import REGION_DIR, local, policy

MON_10 = local(2025, 3, 3, 10, 0)  # an ordinary Monday, 10:00 in Kemerovo
FRI_1745 = local(2025, 3, 14, 17, 45)  # an ordinary Friday, 15 minutes before closing


def due(kind: ClockKind, start: datetime, importance: str = "normal", shortened: bool = False) -> datetime:
    return policy().due(kind, start, importance=importance, shortened=shortened)


def test_r7_3_routing_30_calendar_minutes() -> None:
    """R7.3 says calendar minutes outright, so the short-clock setting does not touch it."""
    for working in (True, False):
        spec = policy(working).spec(ClockKind.ROUTING)
        assert (spec.clause, spec.amount, spec.unit, spec.starts_at) == ("R7.3", 30, "calendar_minutes", "detected")
    assert due(ClockKind.ROUTING, MON_10) == local(2025, 3, 3, 10, 30)
    assert due(ClockKind.ROUTING, FRI_1745) == local(2025, 3, 14, 18, 15)  # after closing: still 30 minutes


def test_r9_competence_return_30_minutes_from_receipt() -> None:
    spec = policy().spec(ClockKind.COMPETENCE_RETURN)
    assert (spec.clause, spec.amount, spec.starts_at) == ("R9", 30, "received")
    assert due(ClockKind.COMPETENCE_RETURN, local(2025, 3, 3, 12, 45)) == local(2025, 3, 3, 14, 15)  # over lunch


def test_r10_rerouting_30_minutes_from_return() -> None:
    spec = policy().spec(ClockKind.REROUTING)
    assert (spec.clause, spec.amount, spec.starts_at) == ("R10", 30, "returned")
    assert due(ClockKind.REROUTING, MON_10) == local(2025, 3, 3, 10, 30)


def test_r13_2_draft_4_working_hours_normal_2_high() -> None:
    assert policy().spec(ClockKind.DRAFT).clause == "R13.2"
    assert due(ClockKind.DRAFT, MON_10) == local(2025, 3, 3, 15, 0)  # 3 h before lunch + 1 h after
    assert due(ClockKind.DRAFT, MON_10, "high") == local(2025, 3, 3, 12, 0)


def test_r13_2_draft_is_due_halfway_to_the_reply() -> None:
    cal = policy().calendar
    for importance in ("normal", "high"):
        start = local(2025, 4, 30, 16, 10)  # a short pre-holiday day
        draft, reply = due(ClockKind.DRAFT, start, importance), due(ClockKind.REPLY, start, importance)
        assert cal.working_minutes_between(draft, reply) == cal.working_minutes_between(start, draft)


def test_r14_approval_30_minutes_from_draft_received() -> None:
    spec = policy().spec(ClockKind.APPROVAL)
    assert (spec.clause, spec.amount, spec.starts_at) == ("R14", 30, "draft_received")
    assert due(ClockKind.APPROVAL, FRI_1745) == local(2025, 3, 17, 9, 15)


def test_r15_revision_1_hour_from_return_for_revision() -> None:
    spec = policy().spec(ClockKind.REVISION)
    assert (spec.clause, spec.amount, spec.starts_at) == ("R15", 60, "returned_for_revision")
    assert due(ClockKind.REVISION, local(2025, 3, 3, 12, 30)) == local(2025, 3, 3, 14, 30)


def test_r16_posting_30_minutes_from_approval() -> None:
    spec = policy().spec(ClockKind.POSTING)
    assert (spec.clause, spec.amount, spec.starts_at) == ("R16", 30, "approved")
    assert due(ClockKind.POSTING, MON_10) == local(2025, 3, 3, 10, 30)


def test_r11_reply_8_working_hours_from_detection() -> None:
    spec = policy().spec(ClockKind.REPLY)
    assert (spec.clause, spec.amount, spec.starts_at) == ("R11", 480, "detected")
    assert due(ClockKind.REPLY, MON_10) == local(2025, 3, 4, 10, 0)
    # detected on the evening before the May holidays of 2025: the clock waits for 5 May
    assert due(ClockKind.REPLY, local(2025, 4, 30, 20, 0)) == local(2025, 5, 5, 18, 0)


def test_r12_high_importance_reply_4_working_hours() -> None:
    spec = policy().spec(ClockKind.REPLY, "high")
    assert (spec.clause, spec.amount) == ("R12", 240)
    assert due(ClockKind.REPLY, MON_10, "high") == local(2025, 3, 3, 15, 0)


def test_r17_final_after_interim_7_working_days() -> None:
    spec = policy().spec(ClockKind.FINAL_AFTER_INTERIM)
    assert (spec.clause, spec.amount, spec.unit, spec.starts_at) == ("R17", 7, "working_days", "interim_posted")
    # interim posted Wed 2025-05-07; 8–11 May off -> 12,13,14,15,16,19,20 May
    assert due(ClockKind.FINAL_AFTER_INTERIM, local(2025, 5, 7, 11, 0)) == local(2025, 5, 20, 18, 0)
    # importance does not change it
    assert due(ClockKind.FINAL_AFTER_INTERIM, local(2025, 5, 7, 11, 0), "high", True) == local(2025, 5, 20, 18, 0)


def test_r18_2_agency_contribution_2_hours_from_receipt() -> None:
    spec = policy().spec(ClockKind.CONTRIBUTION)
    assert (spec.clause, spec.amount, spec.starts_at) == ("R18.2", 120, "received")
    assert due(ClockKind.CONTRIBUTION, local(2025, 3, 3, 12, 0)) == local(2025, 3, 3, 15, 0)


def test_r7_2_shortened_normal_case_gets_high_limits() -> None:
    assert due(ClockKind.REPLY, MON_10, "normal", shortened=True) == due(ClockKind.REPLY, MON_10, "high")
    assert due(ClockKind.DRAFT, MON_10, "normal", shortened=True) == due(ClockKind.DRAFT, MON_10, "high")
    assert policy().spec(ClockKind.REPLY, "normal", shortened=True).clause == "R11"


def test_r7_2_shortened_high_case_halves_the_high_limits() -> None:
    assert policy().spec(ClockKind.REPLY, "high", shortened=True).amount == 120
    assert due(ClockKind.REPLY, MON_10, "high", shortened=True) == local(2025, 3, 3, 12, 0)
    assert due(ClockKind.DRAFT, MON_10, "high", shortened=True) == local(2025, 3, 3, 11, 0)


def test_r7_2_shortened_does_not_touch_fixed_clocks() -> None:
    for kind in (ClockKind.ROUTING, ClockKind.APPROVAL, ClockKind.REVISION, ClockKind.CONTRIBUTION):
        assert policy().spec(kind, "high", True).amount == policy().spec(kind).amount


SHORT = (ClockKind.COMPETENCE_RETURN, ClockKind.REROUTING, ClockKind.APPROVAL,
         ClockKind.REVISION, ClockKind.POSTING, ClockKind.CONTRIBUTION)


def test_short_clocks_become_calendar_time_by_setting() -> None:
    calendar_policy = policy(False)
    for kind in SHORT:
        assert calendar_policy.spec(kind).unit == "calendar_minutes"
    assert calendar_policy.due(ClockKind.REROUTING, FRI_1745) == local(2025, 3, 14, 18, 15)
    assert calendar_policy.due(ClockKind.REVISION, local(2025, 3, 3, 12, 30)) == local(2025, 3, 3, 13, 30)
    # working-hour clocks stay working time
    assert calendar_policy.spec(ClockKind.REPLY).unit == "working_minutes"
    assert calendar_policy.due(ClockKind.REPLY, MON_10) == due(ClockKind.REPLY, MON_10)


def test_warning_at_75_percent_in_working_time() -> None:
    p = policy()
    assert p.warn_at(ClockKind.REPLY, MON_10) == local(2025, 3, 3, 17, 0)  # 6 working h
    assert p.warn_at(ClockKind.REROUTING, FRI_1745) == local(2025, 3, 17, 9, 7).replace(second=30)  # 22.5 working min
    # R17: 75% of the working minutes up to the due instant
    start = local(2025, 5, 7, 11, 0)
    warn = p.warn_at(ClockKind.FINAL_AFTER_INTERIM, start)
    full = p.calendar.working_minutes_between(start, p.due(ClockKind.FINAL_AFTER_INTERIM, start))
    assert p.calendar.working_minutes_between(start, warn) == pytest.approx(0.75 * full)


def test_warning_at_75_percent_in_calendar_time() -> None:
    assert policy(False).warn_at(ClockKind.REROUTING, FRI_1745) == local(2025, 3, 14, 18, 7).replace(second=30)
    assert policy().warn_at(ClockKind.ROUTING, FRI_1745) == local(2025, 3, 14, 18, 7).replace(second=30)


def test_kind_may_be_given_as_string_and_bad_input_is_refused() -> None:
    assert policy().due("routing", MON_10) == due(ClockKind.ROUTING, MON_10)
    with pytest.raises(ValueError):
        policy().spec("coffee_break")
    with pytest.raises(ValueError):
        policy().spec(ClockKind.REPLY, "urgent")
    with pytest.raises(ValueError, match="naive"):
        policy().due(ClockKind.REPLY, datetime(2025, 3, 3, 10, 0))


def _region_with(tmp_path: Path, edit: dict[str, object]) -> Path:
    region = tmp_path / "kuzbass"
    shutil.copytree(REGION_DIR, region)
    shutil.copytree(REGION_DIR.parent / "calendars", tmp_path / "calendars")
    data = yaml.safe_load((region / "clocks.yaml").read_text(encoding="utf-8"))
    for dotted, value in edit.items():
        node = data
        *path, last = dotted.split(".")
        for key in path:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
    (region / "clocks.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return region


def test_limits_are_data(tmp_path: Path) -> None:
    region = _region_with(tmp_path, {"clocks.routing.limit": 45, "shortened.high_factor": 0.25})
    p = ClockPolicy.load(region)
    assert p.due(ClockKind.ROUTING, MON_10) == local(2025, 3, 3, 10, 45)
    assert p.spec(ClockKind.REPLY, "high", shortened=True).amount == 60


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"clocks.routing": None}, "missing"),
        ({"clocks.routing.unit": "fortnights"}, "unit"),
        ({"clocks.reply.limit": {"normal": 480}}, "lacks"),
        ({"clocks.draft.limit": -5}, "positive"),
        ({"clocks.final_after_interim.limit": 6.5}, "whole"),
        ({"clocks.lunch": {"clause": "R0", "limit": 1, "unit": "working_minutes"}}, "unknown clock"),
        ({"warn_fraction": 1.5}, "warn_fraction"),
        ({"shortened.normal": "urgent"}, "shortened.normal"),
    ],
)
def test_bad_clocks_yaml_is_a_clear_error(tmp_path: Path, edit: dict[str, object], message: str) -> None:
    with pytest.raises(ClockConfigError, match=message):
        ClockPolicy.load(_region_with(tmp_path, edit))


def test_every_clock_kind_has_a_row() -> None:
    for kind in ClockKind:
        assert policy().spec(kind).clause.startswith("R")


def test_detection_deadlines_are_routing_draft_reply() -> None:
    out = policy().detection_deadlines(MON_10, "high")
    assert out == {
        ClockKind.ROUTING: due(ClockKind.ROUTING, MON_10),
        ClockKind.DRAFT: due(ClockKind.DRAFT, MON_10, "high"),
        ClockKind.REPLY: due(ClockKind.REPLY, MON_10, "high"),
    }
