"""Agency actions the engine leaves to the console: attachment links and posting a reply by hand (R16, R21)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cases.errors import IllegalTransition, InvalidInput, PermissionDenied
from cases.journal import record
from cases.models import Case
from cases.publishing import apply_published
from console.users import User
from console.views import safe_url
from schemas import Attachment, ReplyPublished

MEDIA_KINDS = ("photo", "video")
MAX_ATTACHMENTS = 10


def parse_attachments(text: str) -> list[Attachment]:
    """One per line: ``photo https://…`` or ``video https://…`` (media already uploaded to the network or CDN)."""
    found: list[Attachment] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        kind, _, url = line.partition(" ")
        if kind not in MEDIA_KINDS or not safe_url(url.strip()):
            raise ValueError(f"Вложение в строке {number}: нужно «photo|video https://…»")
        found.append(Attachment(kind=kind, url=url.strip()))
    if len(found) > MAX_ATTACHMENTS:
        raise ValueError(f"Не более {MAX_ATTACHMENTS} вложений")
    return found


def record_posted_by_hand(db: Any, user: User, case: Case, url: str, now: datetime, config: Any) -> None:
    """The executor's link to the reply they posted: recorded exactly as the publisher's success would be."""
    if not user.in_agency or not any(a.agency_code == user.agency_code for a in case.assignments):
        raise PermissionDenied("Отметить размещение может только исполнитель органа, которому поручено дело")
    link = safe_url(url)
    if not link:
        raise InvalidInput("Ссылка на размещённый ответ должна начинаться с http:// или https://")
    approved = [d for d in case.drafts if d.reply_id and d.published_at is None]
    if not approved:
        raise IllegalTransition("Нет согласованного ответа, ожидающего размещения")
    draft = approved[-1]
    record(db, case, user.login, "posted_by_hand", now, details={"reply_id": draft.reply_id, "url": link})
    apply_published(
        db,
        ReplyPublished(reply_id=draft.reply_id or "", case_id=case.id, ok=True, url=link, published_at=now),
        now,
        config=config,
    )
