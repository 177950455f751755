"""Delivery channels. Each sends one alert to one address and raises DeliveryError on failure.

Alert text may quote a citizen's post: it is sent as plain text everywhere (no HTML e-mail,
no Telegram parse mode), header values are stripped of line breaks, and its size is bounded.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import httpx

from schemas import Alert

MAX_BODY_CHARS = 8_000


class DeliveryError(RuntimeError):
    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    name: str

    def send(self, alert: Alert, address: str) -> None: ...


def subject(alert: Alert) -> str:
    case = f" [обращение №{alert.case_id}]" if alert.case_id is not None else ""
    return " ".join(f"{alert.title}{case}".split())[:250]


def text(alert: Alert) -> str:
    body = alert.body[:MAX_BODY_CHARS]
    return f"{subject(alert)}\n\n{body}".strip()


@dataclass
class EmailChannel:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout_s: float = 15.0
    name: str = "email"

    def send(self, alert: Alert, address: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = address
        message["Subject"] = subject(alert)
        message["Message-ID"] = f"<{hashlib.sha256(alert.alert_id.encode()).hexdigest()[:32]}@otklik>"
        message.set_content(text(alert))
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user and self.password:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError("адрес отклонён почтовым сервером", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {type(exc).__name__}") from exc


@dataclass
class TelegramBotChannel:
    """Bot API ``sendMessage`` (plain text) at a configurable base URL."""

    base_url: str
    token: str
    http: httpx.Client
    name: str = "telegram"

    def send(self, alert: Alert, address: str) -> None:
        url = f"{self.base_url.rstrip('/')}/bot{self.token}/sendMessage"
        try:
            response = self.http.post(url, json={"chat_id": address, "text": text(alert)[:4096],
                                                 "disable_web_page_preview": True})
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DeliveryError(f"Telegram: {type(exc).__name__}") from exc  # never the URL: it holds the token
        if not body.get("ok"):
            code = int(body.get("error_code", response.status_code))
            raise DeliveryError(f"Telegram: {code} {str(body.get('description', ''))[:200]}",
                                permanent=code in (400, 403))


@dataclass
class WebhookChannel:
    http: httpx.Client
    secret: str | None = None
    name: str = "webhook"

    def send(self, alert: Alert, address: str) -> None:
        payload = json.dumps(alert.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "X-Otklik-Alert-Id": alert.alert_id}
        if self.secret:
            headers["X-Otklik-Signature"] = "sha256=" + hmac.new(self.secret.encode(), payload,
                                                                  hashlib.sha256).hexdigest()
        try:
            response = self.http.post(address, content=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise DeliveryError(f"webhook: HTTP {response.status_code}",
                                permanent=400 <= response.status_code < 500 and response.status_code != 429)
