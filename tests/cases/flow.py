"""A thin driver over the engine for tests: each step is one committed transaction, like the console."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cases import drafting, publishing, watch, workflow
from cases.config import CaseConfig
from cases.intake import IntakeResult, intake
from cases.models import Case, Draft
from schemas import ReplyPublished
from tests.cases.helpers import classified

EXECUTOR = {
    "min-zhkh": "zhkh-exec1",
    "min-health": "health-exec1",
    "min-transport": "transport-exec1",
    "adm-kemerovo": "kem-exec1",
    "adm-novokuznetsk": "nkz-exec1",
    "adm-prokopyevsk": "prk-exec1",
}
CURATOR = "curator"


class Flow:
    def __init__(self, session: Session, config: CaseConfig) -> None:
        self.s = session
        self.config = config

    def case(self, case_id: int) -> Case:
        self.s.expire_all()
        case = self.s.get(Case, case_id)
        assert case is not None
        return case

    def intake(self, uid: str, at: datetime, **kw: Any) -> IntakeResult:
        result = intake(self.s, classified(uid, **kw), at, config=self.config)
        self.s.commit()
        return result

    def open(self, uid: str, at: datetime, **kw: Any) -> int:
        return self.intake(uid, at, **kw).case_id

    def triage(self, case_id: int, at: datetime, importance: str = "normal", shortened: bool = False) -> None:
        workflow.triage(
            self.s,
            CURATOR,
            case_id,
            topic="roads",
            municipality="kemerovo",
            importance=importance,
            shortened=shortened,
            now=at,
            config=self.config,
        )
        self.s.commit()

    def route(self, case_id: int, at: datetime, agencies: Sequence[str] = ("min-zhkh",)) -> list[int]:
        created = workflow.route(self.s, CURATOR, case_id, list(agencies), at, config=self.config)
        self.s.commit()
        return [a.id for a in created]

    def receive(self, assignment_id: int, at: datetime, who: str | None = None) -> None:
        from cases.states import load_assignment

        agency = load_assignment(self.s, assignment_id).agency_code
        workflow.receive(self.s, who or EXECUTOR[agency], assignment_id, at, config=self.config)
        self.s.commit()

    def give_back(self, assignment_id: int, at: datetime, reason: str = "Вопрос относится к муниципалитету") -> None:
        from cases.states import load_assignment

        agency = load_assignment(self.s, assignment_id).agency_code
        workflow.return_not_competent(self.s, EXECUTOR[agency], assignment_id, reason, at, config=self.config)
        self.s.commit()

    def draft(
        self,
        case_id: int,
        at: datetime,
        kind: str = "final",
        agency: str = "min-zhkh",
        text: str = "Добрый день! Люк закроют до конца недели.",
        measures: str | None = None,
    ) -> Draft:
        d = drafting.submit_draft(
            self.s, EXECUTOR[agency], case_id, kind, text, at, measures=measures, config=self.config
        )
        self.s.commit()
        return d

    def contribute(self, assignment_id: int, at: datetime, text: str = "Наша часть ответа.") -> Draft:
        from cases.states import load_assignment

        agency = load_assignment(self.s, assignment_id).agency_code
        d = drafting.submit_contribution(self.s, EXECUTOR[agency], assignment_id, text, at)
        self.s.commit()
        return d

    def joint(
        self, case_id: int, at: datetime, text: str = "Совместный ответ органов.", measures: str | None = None
    ) -> Draft:
        d = drafting.write_joint_draft(self.s, CURATOR, case_id, text, at, measures=measures, config=self.config)
        self.s.commit()
        return d

    def approve(self, case_id: int, at: datetime) -> Draft:
        d = drafting.approve(self.s, CURATOR, case_id, at, config=self.config)
        self.s.commit()
        return d

    def send_back(self, case_id: int, at: datetime, comment: str = "Уточните сроки работ") -> Draft:
        d = drafting.return_for_revision(self.s, CURATOR, case_id, comment, at, config=self.config)
        self.s.commit()
        return d

    def published(self, reply_id: str, case_id: int, at: datetime) -> publishing.PublishOutcome:
        msg = ReplyPublished(
            reply_id=reply_id,
            case_id=case_id,
            ok=True,
            url=f"https://vk.com/wall-1_1?reply={reply_id}",
            published_at=at,
        )
        out = publishing.apply_published(self.s, msg, at, config=self.config)
        self.s.commit()
        return out

    def tick(self, at: datetime) -> list[watch.Fired]:
        fired = watch.tick(self.s, at)
        self.s.commit()
        return fired
