"""The reconciliation counts what the workflow DB holds; each kind of loss or double effect is seen."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from bench.load import make_post
from cases.config import CaseConfig
from cases.db import make_engine, migrate, session_factory
from cases.intake import intake
from cases.models import AuditRecord, PostRow
from otklik.reconcile import reconcile
from schemas import ClassifiedPost, Suggestion
from schemas.posts import Post
from schemas.suggestions import ModerationFlag, RepeatCandidate

REGION = Path(__file__).resolve().parents[2] / "regions" / "kuzbass"


@pytest.fixture
def sessions(tmp_path: Path) -> Callable[[], Any]:
    from cases.seed import load_region

    dsn = f"sqlite:///{tmp_path / 'wf.sqlite'}"
    migrate(dsn)
    factory = session_factory(make_engine(dsn))
    with factory() as session:
        load_region(session, REGION)
        session.commit()
    return factory


def _posts(n: int) -> list[Post]:
    rnd = random.Random(3)
    return [make_post(i, "rec", rnd) for i in range(n)]


def _take(sessions: Callable[[], Any], post: Post, suggestion: Suggestion | None = None) -> int:
    with sessions() as session:
        result = intake(session, ClassifiedPost(post=post, suggestion=suggestion or Suggestion()),
                        datetime.now(UTC), config=CaseConfig.load(REGION))
        session.commit()
        return result.case_id


def test_every_outcome_is_counted(sessions: Callable[[], Any]) -> None:
    posts = _posts(6)
    first = _take(sessions, posts[0])
    _take(sessions, posts[1], Suggestion(moderation=[ModerationFlag(rule="insult", span=(0, 5), fragment="xxxxx")]))
    _take(sessions, posts[2], Suggestion(repeats=[RepeatCandidate(uid=posts[0].uid, case_id=first, similarity=0.9)]))
    _take(sessions, posts[3])
    _take(sessions, posts[3].model_copy(update={"version": 2, "text": "правка"}))
    _take(sessions, posts[3].model_copy(update={"version": 2, "text": "правка"}))  # delivered twice
    rejected = {posts[4].uid}
    result = reconcile(sessions, [p.uid for p in posts], rejected)
    assert result["sent"] == 6
    assert result["accounted"] == 5
    assert result["lost"] == 1 and result["lost_sample"] == [posts[5].uid]
    assert result["outcomes"] == {"case_opened": 2, "excluded": 1, "linked_repeat": 1, "rejected": 1,
                                  "updated_version": 1}
    assert result["excluded_reasons"] == {"R22: insult": 1}
    assert result["applied_twice"] == 0


def test_a_case_opened_twice_is_counted(sessions: Callable[[], Any]) -> None:
    post = _posts(1)[0]
    case_id = _take(sessions, post)
    with sessions() as session:
        session.execute(insert(AuditRecord).values(case_id=case_id, actor="system", at=datetime.now(UTC),
                                                   action="opened", details={}))
        session.commit()
    result = reconcile(sessions, [post.uid])
    assert result["lost"] == 0
    assert result["applied_twice"] == 1 and result["applied_twice_by_kind"]["opened_per_case"] == 1


def test_a_post_row_without_its_case_is_lost_work(sessions: Callable[[], Any]) -> None:
    """A crash between the post row and its case must not pass as handled (intake makes both in one
    transaction; this proves the count would see it if that ever broke)."""
    post = _posts(1)[0]
    now = datetime.now(UTC)
    with sessions() as session:
        session.add(PostRow(uid=post.uid, network="vk", author_id="a1", text=post.text, created_at=now,
                            collected_at=now, surfaced_at=now, version=1, raw={}))
        session.commit()
    result = reconcile(sessions, [post.uid])
    assert result["lost"] == 1 and result["accounted"] == 0
    assert result["outcomes"]["post_without_case"] == 1
