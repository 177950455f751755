"""Alerts against a real local SMTP server (aiosmtpd), a local webhook receiver and a local Bot API."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from otklik.settings import REPO_ROOT
from schemas import CaseEvent, CaseEventType
from sla_tracker.alerts.channels import Channel, EmailChannel, TelegramBotChannel, WebhookChannel
from sla_tracker.alerts.directory import Directory, Person
from sla_tracker.alerts.events import alert_for_event, high_importance_alert
from sla_tracker.alerts.ledger import Ledger
from sla_tracker.alerts.notifier import Notifier, build_notifier, mask
from tests.publisher.fakeapi import Request, Response, serve


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[Request]]]:
    state = {"fail": 0}

    def app(req: Request) -> Response:
        if req.path.startswith("/bot"):
            if req.json["chat_id"] == "403403":
                return Response(403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked"})
            return Response(200, {"ok": True, "result": {"message_id": 1, "chat": {"id": req.json["chat_id"]}}})
        if req.path == "/flaky" and state["fail"] < 1:
            state["fail"] += 1
            return Response(503, {"error": "busy"})
        return Response(204, raw=b"")

    with serve(app) as (base, seen):
        yield base, seen


CONFIG = {
    "routes": {"high_importance": ["group:governor_office", "role:curator"],
               "clock_breach": ["agency_lead", "executor", "role:curator"]},
    "groups": {"governor_office": [{"name": "Приёмная", "email": "priemnaya@example.ru",
                                    "telegram_chat": "-1009000000001", "webhook": "WEBHOOK"}]},
    "contacts": {"curator": {"email": "curator@example.ru", "telegram_chat": "403403"},
                 "zhkh-lead": {"email": "zhkh-lead@example.ru"}, "zhkh-exec1": {"email": "zhkh-exec1@example.ru"},
                 "health-lead": {"email": "health-lead@example.ru"}},
}
PEOPLE = [Person("curator", "curator", None), Person("zhkh-lead", "agency_lead", "min-zhkh"),
          Person("zhkh-exec1", "executor", "min-zhkh"), Person("health-lead", "agency_lead", "min-health")]


def notifier(tmp_path: Path, smtp_port: int, base: str, webhook_path: str = "/hook") -> Notifier:
    config = json.loads(json.dumps(CONFIG).replace("WEBHOOK", f"{base}{webhook_path}"))
    http = httpx.Client(timeout=5)
    channels: dict[str, Channel] = {"email": EmailChannel("127.0.0.1", smtp_port, "otklik@example.ru", starttls=False),
                "telegram": TelegramBotChannel(base, "123:bot-secret", http),
                "webhook": WebhookChannel(http, secret="hook-key")}
    return Notifier(Directory(config, PEOPLE), channels, Ledger(tmp_path / "ledger.sqlite"), attempts=2,
                    sleep=lambda s: None)


def test_r26_high_importance_post_reaches_the_governors_office_by_every_channel(smtp, receiver, tmp_path) -> None:
    box, port = smtp
    base, seen = receiver
    alert = high_importance_alert(7, "vk:-1:2", "В Прокопьевске <b>прорыв</b> теплотрассы, без тепла 40 домов")
    result = notifier(tmp_path, port, base).notify(alert)
    assert sorted(result.delivered) == sorted([("email", "group:governor_office#0"),
                                               ("telegram", "group:governor_office#0"),
                                               ("webhook", "group:governor_office#0"), ("email", "curator")])
    assert result.failed == [("telegram", "curator", "Telegram: 403 Forbidden: bot was blocked")]
    rcpts = sorted(r for rcpt, _ in box.messages for r in rcpt)
    assert rcpts == ["curator@example.ru", "priemnaya@example.ru"]
    message = box.messages[0][1]
    assert message["Subject"] == "Сообщение высокой важности [обращение №7]"
    assert "теплотрассы" in message.get_content() and message.get_content_type() == "text/plain"
    hook = next(r for r in seen if r.path == "/hook")
    expected = "sha256=" + hmac.new(b"hook-key", hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["X-Otklik-Signature"] == expected and json.loads(hook.body)["alert_id"] == "high:7"
    bot = next(r for r in seen if r.path == "/bot123:bot-secret/sendMessage" and r.json["chat_id"].startswith("-100"))
    assert "parse_mode" not in bot.json and "<b>прорыв</b>" in bot.json["text"]


def test_r26_alert_is_deduplicated_durably(smtp, receiver, tmp_path) -> None:
    box, port = smtp
    base, seen = receiver
    alert = high_importance_alert(8, "ok:-1:2", "Обрушение кровли школы в Белове")
    notifier(tmp_path, port, base).notify(alert)
    sent = (len(box.messages), len(seen))
    again = notifier(tmp_path, port, base).notify(alert)  # a new process, same ledger file
    assert (len(box.messages), len(seen)) == (sent[0], sent[1] + 1)  # only the failed Telegram chat is retried
    assert len(again.skipped) == 4 and not again.delivered


def test_r24_breach_reaches_agency_lead_executor_and_curators(smtp, receiver, tmp_path) -> None:
    box, port = smtp
    base, _ = receiver
    event = CaseEvent(event_id="ev-9", case_id=9, type=CaseEventType.CLOCK_BREACHED,
                      at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), agency="min-zhkh", clock="approval",
                      due_at=datetime(2026, 3, 2, 8, 30, tzinfo=UTC), data={"person": "zhkh-exec1"})
    alert = alert_for_event(event)
    assert alert is not None and alert.alert_id == "breach:ev-9"
    result = notifier(tmp_path, port, base).notify(alert)
    assert sorted(c for _, c in result.delivered) == ["curator", "zhkh-exec1", "zhkh-lead"]
    assert all("health" not in r for rcpt, _ in box.messages for r in rcpt)
    assert "согласование проекта" in box.messages[0][1]["Subject"]
    assert alert_for_event(event.model_copy(update={"type": CaseEventType.OPENED})) is None


def test_webhook_transient_failure_is_retried_and_refused_mail_reported(smtp, receiver, tmp_path) -> None:
    box, port = smtp
    base, seen = receiver
    box.refuse.add("curator@example.ru")
    result = notifier(tmp_path, port, base, webhook_path="/flaky").notify(
        high_importance_alert(10, "vk:-1:3", "Подтопление в Новокузнецке"))
    assert ("webhook", "group:governor_office#0") in result.delivered
    assert [r.path for r in seen].count("/flaky") == 2
    assert ("email", "curator", "адрес отклонён почтовым сервером") in result.failed


def test_header_injection_in_title_is_neutralised(smtp, receiver, tmp_path) -> None:
    box, port = smtp
    base, _ = receiver
    alert = high_importance_alert(11, "vk:-1:4", "x").model_copy(
        update={"title": "Важно\r\nBcc: victim@example.ru", "alert_id": "inj"})
    notifier(tmp_path, port, base).notify(alert)
    assert all("victim@example.ru" not in r for rcpt, _ in box.messages for r in rcpt)


def test_masking_and_region_files_load(tmp_path) -> None:
    assert mask("priemnaya@example.ru") == "p***@example.ru"
    assert mask("https://sc.example.ru/hook?token=1") == "https://sc.example.ru/…"
    built = build_notifier(tmp_path, REPO_ROOT / "regions" / "kuzbass", env={})
    contacts = built.directory.recipients(high_importance_alert(1, "vk:-1:2", "x"))
    assert any(c.key.startswith("group:governor_office") for c in contacts)
    assert set(built.channels) == {"webhook"}  # no SMTP host / bot token in this environment
