from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from publisher.outbox import Outbox
from publisher.text import Limits
from schemas import Attachment, Network, ReplyApproved

LIMITS = {"vk": Limits(4096), "ok": Limits(4096), "twitter": Limits(280), "instagram": Limits(2200),
          "telegram": Limits(4096), "blog": Limits(10000)}
TEXT = ("Здравствуйте! Подрядчик выйдет на ремонт ямы на ул. Кирова в Кемерове до 15 мая. "
        "Спасибо за сообщение.")


def reply(network: str, uid: str, reply_id: str = "r-1", text: str = TEXT,
          attachments: list[Attachment] | None = None) -> ReplyApproved:
    return ReplyApproved(reply_id=reply_id, case_id=42, post_uid=uid, network=Network(network), text=text,
                         attachments=attachments or [], approved_at=datetime(2026, 3, 2, 4, 0, tzinfo=UTC),
                         approved_by="curator")


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the publisher catches it."""


class CrashAfterSendOutbox(Outbox):
    """The network accepted the reply, then the process died before the outbox recorded it."""

    def mark_published(self, *args, **kwargs) -> None:
        raise Crash


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def outbox_path(tmp_path: Path) -> Path:
    return tmp_path / "outbox.sqlite"


@pytest.fixture
def outbox(outbox_path: Path) -> Iterator[Outbox]:
    box = Outbox(outbox_path)
    yield box
    box.close()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
