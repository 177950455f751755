"""A generated month of posts and case events, plus the expected figures computed in plain Python."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from schemas import (
    CaseEvent,
    CaseEventType,
    ClassifiedPost,
    ImportanceSuggestion,
    LocationSuggestion,
    ModerationFlag,
    Post,
    Suggestion,
    TopicCandidate,
)

ZONE = ZoneInfo("Asia/Novokuznetsk")
AGENCIES = ["min-zhkh", "min-health", "adm-novokuznetsk", "adm-prokopyevsk", "min-transport"]
PEOPLE = {a: [f"{a}-exec-{i}" for i in range(3)] for a in AGENCIES}
KINDS = ["routing", "draft", "approval", "posting", "reply", "revision", "final_after_interim"]
LIMITS = {"routing": 30, "draft": 240, "approval": 30, "posting": 30, "reply": 480, "revision": 60,
          "final_after_interim": 3360}
TOPICS = ["Дороги", "ЖКХ", "Здравоохранение", "Транспорт"]
MUNIS = ["kemerovo", "novokuznetsk", "prokopyevsk", "belovo"]
NETWORKS = ["vk", "ok", "twitter", "instagram"]
TEXTS = ["В Кемерове на ул. Весенней третий день нет горячей воды", "Яма на дороге в Новокузнецке у остановки",
         "В Прокопьевске не вывозят мусор со двора", "Автобус 10 в Белове не ходит по расписанию"]


FEBRUARY = datetime(2026, 2, 1, tzinfo=ZONE).astimezone(UTC)
MARCH = datetime(2026, 3, 1, tzinfo=ZONE).astimezone(UTC)
APRIL = datetime(2026, 4, 1, tzinfo=ZONE).astimezone(UTC)


def quantile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (Excel PERCENTILE.INC), written out by hand."""
    if not values:
        return None
    xs = sorted(values)
    h = (len(xs) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


@dataclass
class Clock:
    case_id: int
    agency: str
    person: str
    kind: str
    started: datetime
    due: datetime
    stopped: datetime | None
    minutes: float | None
    breached_event: bool


@dataclass
class Month:
    posts: list[ClassifiedPost] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)
    clocks: list[Clock] = field(default_factory=list)
    delays: dict[str, float] = field(default_factory=dict)
    start: datetime = MARCH
    end: datetime = APRIL
    prev_start: datetime = FEBRUARY

    # ---- expected figures, plain Python over the generated objects ----
    def in_month(self, t: datetime | None, start: datetime | None = None, end: datetime | None = None) -> bool:
        return t is not None and (start or self.start) <= t < (end or self.end)

    def resolved(self) -> list[Clock]:
        return [c for c in self.clocks if self.in_month(c.started) and (c.stopped is not None or c.breached_event)]

    @staticmethod
    def on_time(c: Clock) -> bool:
        return c.stopped is not None and not c.breached_event and c.stopped <= c.due

    @staticmethod
    def breached(c: Clock) -> bool:
        return c.breached_event or (c.stopped is not None and c.stopped > c.due)

    def timeliness(self, by: str) -> dict[str, tuple[int, int, int, float | None, float | None]]:
        groups: dict[str, list[Clock]] = defaultdict(list)
        for c in self.resolved():
            groups[getattr(c, by)].append(c)
        out = {}
        for key, cs in groups.items():
            mins = [c.minutes for c in cs if c.minutes is not None]
            out[key] = (len(cs), sum(self.on_time(c) for c in cs), sum(self.breached(c) for c in cs),
                        quantile(mins, 0.5), quantile(mins, 0.9))
        return out

    def transitions(self, state: str) -> int:
        return len({e.event_id for e in self.events
                    if e.type == CaseEventType.TRANSITION and e.to_state == state and self.in_month(e.at)})

    def posts_by(self, dim: str, previous: bool = False) -> dict[str, int]:
        start, end = (self.prev_start, self.start) if previous else (self.start, self.end)
        seen: dict[str, set[str]] = defaultdict(set)
        for cp in self.posts:
            if cp.suggestion.excluded or not self.in_month(cp.post.created_at, start, end):
                continue
            value = {"topic": cp.suggestion.topics[0].topic, "municipality": cp.suggestion.location.municipality,
                     "network": str(cp.post.network), "importance": str(cp.suggestion.importance.label)}[dim]
            seen[value or ""].add(cp.post.uid)
        return {k: len(v) for k, v in seen.items()}

    def acceptance(self) -> dict[str, tuple[int, int]]:
        latest: dict[tuple[int, str], tuple[datetime, bool]] = {}
        for e in self.events:
            if "decided" in e.data and self.in_month(e.at):
                for f, v in e.data["decided"].items():
                    key = (e.case_id, f)
                    if key not in latest or latest[key][0] < e.at:
                        latest[key] = (e.at, e.data["suggested"].get(f) == v)
        out: dict[str, tuple[int, int]] = {}
        for (_, f), (_, ok) in latest.items():
            a, d = out.get(f, (0, 0))
            out[f] = (a + int(ok), d + 1)
        return out


def generate(seed: int = 7, cases: int = 240) -> Month:
    rnd = random.Random(seed)
    m = Month()
    n = 0

    def event(case_id: int, type_: CaseEventType, at: datetime, **kw: object) -> CaseEvent:
        nonlocal n
        n += 1
        e = CaseEvent(event_id=f"ev-{n}", case_id=case_id, type=type_, at=at, **kw)  # type: ignore[arg-type]
        m.events.append(e)
        return e

    for case_id in range(1, cases + 1):
        # a fifth of the cases land in the previous month, for the dynamics comparison
        base = m.prev_start if case_id % 5 == 0 else m.start
        opened = base + timedelta(minutes=rnd.randrange(0, 27 * 24 * 60))
        agency = rnd.choice(AGENCIES)
        person = rnd.choice(PEOPLE[agency])
        topic, muni, net = rnd.choice(TOPICS), rnd.choice(MUNIS), rnd.choice(NETWORKS)
        high = rnd.random() < 0.2
        excluded = rnd.random() < 0.05
        uid = f"{net}:-{100 + case_id % 7}:{case_id}"
        published = opened - timedelta(minutes=rnd.randint(1, 600))
        m.delays[uid] = (opened - published).total_seconds() / 60
        for version in (1, 2) if rnd.random() < 0.2 else (1,):
            post = Post(uid=uid, network=net, author={"id": f"a{case_id}"}, text=rnd.choice(TEXTS),  # type: ignore[arg-type]
                        created_at=published, version=version)
            m.posts.append(ClassifiedPost(post=post, suggestion=Suggestion(
                topics=[TopicCandidate(topic=topic, confidence=0.8)],
                location=LocationSuggestion(municipality=muni, confidence=0.9),
                importance=ImportanceSuggestion(label="high" if high else "normal"),  # type: ignore[arg-type]
                moderation=[ModerationFlag(rule="insult", span=(0, 3), fragment="xxx")] if excluded else [])))
        repeat = {"repeat_of": str(case_id - 1)} if rnd.random() < 0.1 else {}
        event(case_id, CaseEventType.OPENED, opened, data={"post_uid": uid, **repeat})
        decided_agency = agency if rnd.random() < 0.8 else rnd.choice(AGENCIES)
        decided_topic = topic if rnd.random() < 0.7 else rnd.choice(TOPICS)
        event(case_id, CaseEventType.TRANSITION, opened + timedelta(minutes=3), actor="curator-1",
              from_state="triaged", to_state="routed", agency=decided_agency,
              data={"post_uid": uid, "suggested": {"topic": topic, "agency": agency, "importance": "normal"},
                    "decided": {"topic": decided_topic, "agency": decided_agency,
                                "importance": "high" if high else "normal"}})
        if rnd.random() < 0.1:
            event(case_id, CaseEventType.TRANSITION, opened + timedelta(minutes=20), actor=person,
                  from_state="routed", to_state="returned", agency=agency)
        for _ in range(rnd.choice([1, 1, 2])):
            event(case_id, CaseEventType.TRANSITION, opened + timedelta(minutes=60), actor=person,
                  from_state="in_work", to_state="under_approval", agency=agency)
        if rnd.random() < 0.3:
            event(case_id, CaseEventType.TRANSITION, opened + timedelta(minutes=70), actor="curator-1",
                  from_state="under_approval", to_state="revision", agency=agency)
        for k, kind in enumerate(rnd.sample(KINDS, rnd.randint(2, 5))):
            started = opened + timedelta(minutes=k * 7)
            due = started + timedelta(minutes=LIMITS[kind])
            fate = rnd.random()
            minutes = float(rnd.randint(1, int(LIMITS[kind] * 1.6)))
            clock_id = f"{case_id}-{kind}"
            data = {"clock_id": clock_id, "person": person}
            event(case_id, CaseEventType.CLOCK_STARTED, started, agency=agency, clock=kind, due_at=due, data=data)
            stopped: datetime | None = None
            breached_event = False
            if fate < 0.75:
                stopped = started + timedelta(minutes=minutes)
                if stopped > due:
                    breached_event = True
                    event(case_id, CaseEventType.CLOCK_BREACHED, due, agency=agency, clock=kind, due_at=due, data=data)
                event(case_id, CaseEventType.CLOCK_STOPPED, stopped, agency=agency, clock=kind, due_at=due,
                      data={**data, "working_minutes": minutes})
            elif fate < 0.9:
                breached_event = True
                event(case_id, CaseEventType.CLOCK_BREACHED, due, agency=agency, clock=kind, due_at=due, data=data)
                minutes = None  # type: ignore[assignment]
            else:
                minutes = None  # type: ignore[assignment]  # still running at month end
            m.clocks.append(Clock(case_id, agency, person, kind, started, due, stopped, minutes, breached_event))
    return m
