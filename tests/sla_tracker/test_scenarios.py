"""Six cases run on a simulated minute clock: due instants from the policy, alarms from the watcher.

The cases engine persists clocks and alarms; here the same policy and watcher are driven by a
tiny in-memory timeline, so every due time and breach below is checked against hand-computed values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sla_tracker.clocks import ClockKind
from sla_tracker.watcher import OpenClock, evaluate, mark
from tests.sla_tracker.kuzbass import local, policy

K = ClockKind


@dataclass
class Timeline:
    """Start/stop events per (case, clock, agency); ticks the watcher every simulated minute."""

    events: list[tuple[datetime, str, str, ClockKind, str, str, bool]] = field(default_factory=list)
    clocks: dict[tuple[str, ClockKind, str], OpenClock] = field(default_factory=dict)

    def start(self, at: datetime, case: str, kind: ClockKind, agency: str = "",
              importance: str = "normal", shortened: bool = False) -> None:
        self.events.append((at, "start", case, kind, agency, importance, shortened))

    def stop(self, at: datetime, case: str, kind: ClockKind, agency: str = "") -> None:
        self.events.append((at, "stop", case, kind, agency, "normal", False))

    def run(self, until: datetime) -> list[tuple[str, str, str, str, datetime]]:
        p = policy()
        pending = sorted(self.events, key=lambda e: (e[0], e[1] != "stop"))
        now = pending[0][0]
        open_: dict[int, OpenClock] = {}
        fired: list[tuple[str, str, str, str, datetime]] = []
        names: dict[int, tuple[str, str]] = {}
        while now <= until:
            while pending and pending[0][0] <= now:
                at, action, case, kind, agency, importance, shortened = pending.pop(0)
                key = (case, kind, agency)
                if action == "start":
                    clock = OpenClock(len(self.clocks) + 1, kind, at, p.due(kind, at, importance, shortened),
                                      p.warn_at(kind, at, importance, shortened), agency=agency or None)
                    self.clocks[key] = clock
                    open_[clock.clock_id] = clock
                    names[clock.clock_id] = (case, agency)
                else:
                    open_.pop(self.clocks[key].clock_id)
            alarms = evaluate(open_.values(), now)
            mark(open_.values(), alarms)
            fired += [(*names[a.clock_id], a.kind, a.level, a.at) for a in alarms]
            now += timedelta(minutes=1)
        return fired

    def due(self, case: str, kind: ClockKind, agency: str = "") -> datetime:
        return self.clocks[(case, kind, agency)].due_at


def test_six_cases_end_to_end() -> None:
    t = Timeline()
    d = local  # Kemerovo wall-clock; 2025-03-03 is an ordinary Monday

    # 1. normal case (R7.3, R13.2, R14, R16, R11): on time, but the draft crosses its 75 % mark
    t.start(d(2025, 3, 3, 10), "normal", K.ROUTING)
    t.start(d(2025, 3, 3, 10), "normal", K.DRAFT)
    t.start(d(2025, 3, 3, 10), "normal", K.REPLY)
    t.stop(d(2025, 3, 3, 10, 20), "normal", K.ROUTING)
    t.stop(d(2025, 3, 3, 14, 30), "normal", K.DRAFT)
    t.start(d(2025, 3, 3, 14, 30), "normal", K.APPROVAL)
    t.stop(d(2025, 3, 3, 14, 50), "normal", K.APPROVAL)
    t.start(d(2025, 3, 3, 14, 50), "normal", K.POSTING)
    t.stop(d(2025, 3, 3, 15, 10), "normal", K.POSTING)
    t.stop(d(2025, 3, 3, 15, 10), "normal", K.REPLY)

    # 2. high-importance case (R12): late routing, late draft, late posting; reply itself in time
    t.start(d(2025, 3, 3, 16), "high", K.ROUTING, importance="high")
    t.start(d(2025, 3, 3, 16), "high", K.DRAFT, importance="high")
    t.start(d(2025, 3, 3, 16), "high", K.REPLY, importance="high")
    t.stop(d(2025, 3, 3, 16, 40), "high", K.ROUTING)
    t.stop(d(2025, 3, 4, 9, 30), "high", K.DRAFT)
    t.start(d(2025, 3, 4, 9, 30), "high", K.APPROVAL)
    t.stop(d(2025, 3, 4, 9, 50), "high", K.APPROVAL)
    t.start(d(2025, 3, 4, 9, 50), "high", K.POSTING)
    t.stop(d(2025, 3, 4, 10, 30), "high", K.POSTING)
    t.stop(d(2025, 3, 4, 10, 30), "high", K.REPLY)

    # 3. returned as not competent (R9) in time, re-routed (R10) late
    t.start(d(2025, 3, 3, 10, 30), "returned", K.COMPETENCE_RETURN, "minzdrav")
    t.stop(d(2025, 3, 3, 10, 50), "returned", K.COMPETENCE_RETURN, "minzdrav")
    t.start(d(2025, 3, 3, 10, 50), "returned", K.REROUTING)
    t.stop(d(2025, 3, 3, 11, 30), "returned", K.REROUTING)

    # 4. joint case (R18.2): two agencies, one contributes in time, the other after lunch, too late
    for agency in ("minstroy", "kemerovo"):
        t.start(d(2025, 3, 3, 11), "joint", K.CONTRIBUTION, agency)
    t.stop(d(2025, 3, 3, 12), "joint", K.CONTRIBUTION, "minstroy")
    t.stop(d(2025, 3, 3, 14, 30), "joint", K.CONTRIBUTION, "kemerovo")

    # 5. interim reply on Wed 2025-05-07 (R17): final due after the 8–11 May holidays
    t.start(d(2025, 5, 7, 11), "interim", K.FINAL_AFTER_INTERIM)
    t.stop(d(2025, 5, 19, 12), "interim", K.FINAL_AFTER_INTERIM)

    # 6. repeat post (R19, R20) marked for a shortened term (R7.2): normal case on high limits
    t.start(d(2025, 3, 3, 12), "repeat", K.DRAFT, shortened=True)
    t.start(d(2025, 3, 3, 12), "repeat", K.REPLY, shortened=True)
    t.stop(d(2025, 3, 3, 15), "repeat", K.DRAFT)  # exactly at its due instant: on time, no breach
    t.stop(d(2025, 3, 3, 15), "repeat", K.REPLY)

    fired = t.run(until=d(2025, 5, 21, 9))

    assert t.due("normal", K.DRAFT) == d(2025, 3, 3, 15)
    assert t.due("normal", K.REPLY) == d(2025, 3, 4, 10)
    assert t.due("high", K.DRAFT) == d(2025, 3, 3, 18)
    assert t.due("high", K.REPLY) == d(2025, 3, 4, 11)
    assert t.due("returned", K.REROUTING) == d(2025, 3, 3, 11, 20)
    assert t.due("joint", K.CONTRIBUTION, "kemerovo") == d(2025, 3, 3, 13)
    assert t.due("interim", K.FINAL_AFTER_INTERIM) == d(2025, 5, 20, 18)
    assert t.due("repeat", K.REPLY) == d(2025, 3, 3, 17)

    half = timedelta(seconds=30)
    assert sorted(fired, key=lambda f: (f[4], f[0])) == sorted([
        ("normal", "", "draft", "warning", d(2025, 3, 3, 13)),  # 180 working min: exactly at lunch
        ("high", "", "routing", "warning", d(2025, 3, 3, 16, 22) + half),
        ("high", "", "routing", "breach", d(2025, 3, 3, 16, 30)),
        ("high", "", "draft", "warning", d(2025, 3, 3, 17, 30)),
        ("high", "", "draft", "breach", d(2025, 3, 3, 18)),
        ("high", "", "reply", "warning", d(2025, 3, 4, 10)),
        ("high", "", "posting", "warning", d(2025, 3, 4, 10, 12) + half),
        ("high", "", "posting", "breach", d(2025, 3, 4, 10, 20)),
        ("returned", "", "rerouting", "warning", d(2025, 3, 3, 11, 12) + half),
        ("returned", "", "rerouting", "breach", d(2025, 3, 3, 11, 20)),
        ("joint", "kemerovo", "contribution", "warning", d(2025, 3, 3, 12, 30)),
        ("joint", "kemerovo", "contribution", "breach", d(2025, 3, 3, 13)),
        ("repeat", "", "draft", "warning", d(2025, 3, 3, 14, 30)),
        ("interim", "", "final_after_interim", "warning", d(2025, 5, 19, 9, 30)),
    ], key=lambda f: (f[4], f[0]))
