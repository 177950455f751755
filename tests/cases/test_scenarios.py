"""End-to-end scenarios on a simulated clock: every due time and every breach is checked.

Week of Monday 2 March 2026 in Novokuznetsk (09:00-18:00, lunch 13:00-14:00; Monday 9 March is the
day off for 8 March). The watcher ticks after every step, as the running system does each minute.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from cases import drafting
from cases.errors import InvalidDraft
from cases.models import Breach
from schemas import RepeatCandidate
from tests.cases.flow import Flow
from tests.cases.helpers import TEXTS, clock_of, local


class Sim:
    """Runs steps in time order and ticks the watcher before each one (a real minute-by-minute watcher
    would have fired at exactly the same instants, because alarms carry the instant they became due)."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.now = local(2, 9)

    def at(self, when: datetime) -> Flow:
        assert when >= self.now, "simulated time only moves forward"
        self.now = when
        self.flow.tick(when)
        return self.flow

    def breaches(self, case_id: int) -> list[tuple[str, str | None, datetime]]:
        rows = self.flow.s.scalars(select(Breach).where(Breach.case_id == case_id).order_by(Breach.id))
        return [(b.kind, b.agency_code, b.due_at) for b in rows]


def dues(flow: Flow, case_id: int) -> dict[str, datetime]:
    return {
        c.kind + (f"@{c.assignment.agency_code}" if c.assignment else ""): c.due_at for c in flow.case(case_id).clocks
    }


@pytest.fixture
def sim(flow: Flow) -> Sim:
    return Sim(flow)


def test_normal_case_on_time(sim: Sim) -> None:
    f = sim.at(local(2, 10))
    cid = f.open("vk:-9:1", sim.now)
    assert dues(f, cid) == {"routing": local(2, 10, 30), "draft": local(2, 15), "reply": local(3, 10)}
    sim.at(local(2, 10, 5)).triage(cid, sim.now)
    (a,) = sim.at(local(2, 10, 15)).route(cid, sim.now)
    sim.at(local(2, 10, 20)).receive(a, sim.now)
    assert clock_of(f.case(cid), "competence_return").due_at == local(2, 10, 50)
    sim.at(local(2, 12)).draft(cid, sim.now)
    assert clock_of(f.case(cid), "approval").due_at == local(2, 12, 30)
    d = sim.at(local(2, 12, 20)).approve(cid, sim.now)
    assert clock_of(f.case(cid), "posting").due_at == local(2, 12, 50)
    sim.at(local(2, 12, 40)).published(d.reply_id or "", cid, sim.now)
    sim.at(local(4, 12))
    case = f.case(cid)
    assert case.state == "published" and all(c.stopped_at is not None for c in case.clocks)
    assert all(c.stopped_at <= c.due_at for c in case.clocks if c.stopped_at)
    assert sim.breaches(cid) == []


def test_high_importance_case_with_late_draft(sim: Sim) -> None:
    f = sim.at(local(2, 10))
    cid = f.open("vk:-9:2", sim.now, text=TEXTS["heat"])
    sim.at(local(2, 10, 5)).triage(cid, sim.now, importance="high")
    assert dues(f, cid) == {"routing": local(2, 10, 30), "draft": local(2, 12), "reply": local(2, 15)}
    (a,) = sim.at(local(2, 10, 20)).route(cid, sim.now, ["adm-novokuznetsk"])
    sim.at(local(2, 10, 25)).receive(a, sim.now)
    sim.at(local(2, 12, 10)).draft(cid, sim.now, agency="adm-novokuznetsk")
    d = sim.at(local(2, 12, 35)).approve(cid, sim.now)
    assert clock_of(f.case(cid), "posting").due_at == local(2, 14, 5)  # 25 min before lunch + 5 after
    sim.at(local(2, 14)).published(d.reply_id or "", cid, sim.now)
    sim.at(local(3, 12))
    assert sim.breaches(cid) == [("draft", "adm-novokuznetsk", local(2, 12))]
    assert f.case(cid).state == "published"


def test_returned_and_rerouted_case_late_rerouting(sim: Sim) -> None:
    f = sim.at(local(2, 10))
    cid = f.open("vk:-9:3", sim.now)
    sim.at(local(2, 10, 5)).triage(cid, sim.now)
    (a,) = sim.at(local(2, 10, 10)).route(cid, sim.now, ["min-zhkh"])
    sim.at(local(2, 10, 12)).receive(a, sim.now)
    assert clock_of(f.case(cid), "competence_return").due_at == local(2, 10, 42)
    sim.at(local(2, 10, 30)).give_back(a, sim.now, "Двор относится к администрации Кемерова")
    assert clock_of(f.case(cid), "rerouting").due_at == local(2, 11)
    (b,) = sim.at(local(2, 11, 10)).route(cid, sim.now, ["adm-kemerovo"])
    sim.at(local(2, 11, 15)).receive(b, sim.now)
    sim.at(local(2, 11, 45)).draft(cid, sim.now, agency="adm-kemerovo")
    assert clock_of(f.case(cid), "approval").due_at == local(2, 12, 15)
    d = sim.at(local(2, 12)).approve(cid, sim.now)
    sim.at(local(2, 12, 10)).published(d.reply_id or "", cid, sim.now)
    sim.at(local(3, 12))
    assert sim.breaches(cid) == [("rerouting", None, local(2, 11))]
    assert [x.state for x in f.case(cid).assignments] == ["returned", "closed"]


def test_joint_two_agency_case_late_contribution(sim: Sim) -> None:
    f = sim.at(local(2, 10))
    cid = f.open("vk:-9:4", sim.now)
    sim.at(local(2, 10, 5)).triage(cid, sim.now)
    kem, zhkh = sim.at(local(2, 10, 10)).route(cid, sim.now, ["adm-kemerovo", "min-zhkh"])
    sim.at(local(2, 10, 15)).receive(kem, sim.now)
    sim.at(local(2, 10, 15)).receive(zhkh, sim.now)
    assert dues(f, cid)["contribution@adm-kemerovo"] == local(2, 12, 15)
    assert dues(f, cid)["contribution@min-zhkh"] == local(2, 12, 15)
    sim.at(local(2, 11)).contribute(zhkh, sim.now, "Министерство проверит подрядчика.")
    sim.at(local(2, 12, 30)).contribute(kem, sim.now, "Администрация закроет люк.")
    sim.at(local(2, 14, 30)).joint(cid, sim.now, "Люк закроют, подрядчик проверен.")
    assert clock_of(f.case(cid), "approval").due_at == local(2, 15)
    d = sim.at(local(2, 14, 45)).approve(cid, sim.now)
    sim.at(local(2, 15)).published(d.reply_id or "", cid, sim.now)
    sim.at(local(3, 12))
    assert sim.breaches(cid) == [("contribution", "adm-kemerovo", local(2, 12, 15))]
    assert clock_of(f.case(cid), "draft").stopped_at == local(2, 14, 30)  # joint draft inside R13.2/R11


def test_interim_then_final_case_late_final(sim: Sim) -> None:
    f = sim.at(local(2, 10))
    cid = f.open("vk:-9:5", sim.now, text=TEXTS["clinic"])
    sim.at(local(2, 10, 5)).triage(cid, sim.now)
    (a,) = sim.at(local(2, 10, 10)).route(cid, sim.now, ["min-health"])
    sim.at(local(2, 10, 15)).receive(a, sim.now)
    sim.at(local(2, 11)).draft(cid, sim.now, kind="interim", agency="min-health", text="Проверяем, ответим.")
    d = sim.at(local(2, 11, 10)).approve(cid, sim.now)
    sim.at(local(2, 11, 20)).published(d.reply_id or "", cid, sim.now)
    r17 = clock_of(f.case(cid), "final_after_interim")
    # seven working days counted from the next day, 9 March being a day off: Thursday 12 March, end of day
    assert r17.due_at == local(12, 18)
    sim.at(local(13, 10)).draft(cid, sim.now, agency="min-health", text="Запись к терапевту восстановлена.")
    d = sim.at(local(13, 10, 20)).approve(cid, sim.now)
    sim.at(local(13, 10, 30)).published(d.reply_id or "", cid, sim.now)
    sim.at(local(16, 12))
    assert sim.breaches(cid) == [("final_after_interim", "min-health", local(12, 18))]
    case = f.case(cid)
    assert case.state == "published" and [x.kind for x in case.drafts] == ["interim", "final"]
    assert clock_of(case, "reply").stopped_at == local(2, 11, 20)  # the interim reply met R11


def test_repeat_case_reports_measures_and_late_revision(sim: Sim) -> None:
    f = sim.at(local(2, 10))
    first = f.open("vk:-9:6", sim.now, text=TEXTS["bus"])
    sim.at(local(2, 10, 5)).triage(first, sim.now)
    (a,) = sim.at(local(2, 10, 10)).route(first, sim.now, ["min-transport"])
    sim.at(local(2, 10, 15)).receive(a, sim.now)
    sim.at(local(2, 11)).draft(first, sim.now, agency="min-transport", text="Перевозчику сделано замечание.")
    d = sim.at(local(2, 11, 10)).approve(first, sim.now)
    sim.at(local(2, 11, 20)).published(d.reply_id or "", first, sim.now)

    f = sim.at(local(3, 10))
    cid = f.open(
        "vk:-9:7",
        sim.now,
        text=TEXTS["bus"],
        repeats=[RepeatCandidate(uid="vk:-9:6", similarity=0.93, reason="тот же маршрут")],
    )
    assert [c.id for c in f.case(cid).repeat_of] == [first]
    assert dues(f, cid) == {"routing": local(3, 10, 30), "draft": local(3, 15), "reply": local(4, 10)}
    sim.at(local(3, 10, 5)).triage(cid, sim.now)
    (b,) = sim.at(local(3, 10, 10)).route(cid, sim.now, ["min-transport"])
    sim.at(local(3, 10, 15)).receive(b, sim.now)
    with pytest.raises(InvalidDraft):
        drafting.submit_draft(f.s, "transport-exec1", cid, "final", "Разберёмся.", local(3, 11), config=f.config)
    f.s.rollback()
    sim.at(local(3, 11)).draft(
        cid,
        sim.now,
        agency="min-transport",
        text="Расписание маршрута 28 восстановлено.",
        measures="Перевозчик оштрафован, выпуск автобусов на линию проверяется ежедневно.",
    )
    sim.at(local(3, 11, 20)).send_back(cid, sim.now, "Укажите дату проверки")
    assert clock_of(f.case(cid), "revision").due_at == local(3, 12, 20)
    sim.at(local(3, 12, 40)).draft(
        cid,
        sim.now,
        agency="min-transport",
        text="Маршрут 28 проверен 3 марта.",
        measures="Перевозчик оштрафован, проверка 3 марта.",
    )
    d = sim.at(local(3, 12, 50)).approve(cid, sim.now)
    sim.at(local(3, 12, 55)).published(d.reply_id or "", cid, sim.now)
    sim.at(local(5, 12))
    assert sim.breaches(first) == []
    assert sim.breaches(cid) == [("revision", "min-transport", local(3, 12, 20))]
    assert f.case(cid).drafts[-1].measures == "Перевозчик оштрафован, проверка 3 марта."
