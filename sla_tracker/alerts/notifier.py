"""Send one alert to everyone it concerns, over every channel they have, exactly once per address."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from schemas import Alert
from sla_tracker.alerts.channels import Channel, DeliveryError, EmailChannel, TelegramBotChannel, WebhookChannel
from sla_tracker.alerts.directory import Contact, Directory
from sla_tracker.alerts.ledger import Ledger

log = logging.getLogger(__name__)
LEDGER_FILE = "alerts-ledger.sqlite"


def mask(address: str) -> str:
    """Addresses are personal data: logs keep only enough to tell them apart."""
    if "@" in address:
        user, _, domain = address.partition("@")
        return f"{user[:1]}***@{domain}"
    if address.startswith("http"):
        return re.sub(r"(https?://[^/]+).*", r"\1/…", address)
    return f"***{address[-3:]}"


@dataclass
class NotifyResult:
    delivered: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)


class Notifier:
    def __init__(self, directory: Directory, channels: Mapping[str, Channel], ledger: Ledger, *, attempts: int = 3,
                 backoff_s: float = 2.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.directory = directory
        self.channels = dict(channels)
        self.ledger = ledger
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.sleep = sleep

    @staticmethod
    def _addresses(contact: Contact) -> list[tuple[str, str]]:
        pairs = [("email", contact.email), ("telegram", contact.telegram_chat), ("webhook", contact.webhook)]
        return [(channel, address) for channel, address in pairs if address]

    def notify(self, alert: Alert) -> NotifyResult:
        result = NotifyResult()
        for contact in self.directory.recipients(alert):
            for channel_name, address in self._addresses(contact):
                key = f"{contact.key}:{address}"
                if self.ledger.delivered(alert.alert_id, channel_name, key):
                    result.skipped.append((channel_name, contact.key))
                    continue
                channel = self.channels.get(channel_name)
                if channel is None:
                    result.failed.append((channel_name, contact.key, "канал не настроен"))
                    continue
                error = self._send(channel, alert, address)
                if error is None:
                    self.ledger.record(alert.alert_id, channel_name, key)
                    result.delivered.append((channel_name, contact.key))
                else:
                    log.error("alert %s not delivered by %s to %s: %s", alert.alert_id, channel_name, mask(address),
                              error)
                    result.failed.append((channel_name, contact.key, error))
        return result

    def _send(self, channel: Channel, alert: Alert, address: str) -> str | None:
        for attempt in range(1, self.attempts + 1):
            try:
                channel.send(alert, address)
                return None
            except DeliveryError as exc:
                if exc.permanent or attempt == self.attempts:
                    return str(exc)
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
        return "не доставлено"


def build_channels(config: dict[str, object], env: Mapping[str, str], http: httpx.Client) -> dict[str, Channel]:
    """Channels whose settings are present; secrets only from ``env``."""
    transports = config.get("transports") or {}
    assert isinstance(transports, dict)
    channels: dict[str, Channel] = {}
    email = transports.get("email") or {}
    if host := env.get(str(email.get("host_env", ""))):
        channels["email"] = EmailChannel(host, int(env.get(str(email.get("port_env", "")), "") or 25),
                                         str(email.get("sender", "otklik@localhost")),
                                         env.get(str(email.get("user_env", ""))) or None,
                                         env.get(str(email.get("password_env", ""))) or None,
                                         bool(email.get("starttls", True)))
    telegram = transports.get("telegram") or {}
    if token := env.get(str(telegram.get("token_env", ""))):
        channels["telegram"] = TelegramBotChannel(str(telegram.get("base_url", "https://api.telegram.org")), token,
                                                  http)
    webhook = transports.get("webhook") or {}
    channels["webhook"] = WebhookChannel(http, env.get(str(webhook.get("secret_env", ""))) or None)
    return channels


def build_notifier(data_dir: Path, region_dir: Path, env: Mapping[str, str] | None = None) -> Notifier:
    env = os.environ if env is None else env
    directory = Directory.load(region_dir)
    delivery = directory.config.get("delivery") or {}
    http = httpx.Client(timeout=float((directory.config.get("transports") or {}).get("webhook", {})
                                      .get("timeout_s", 10)))
    return Notifier(directory, build_channels(directory.config, env, http), Ledger(data_dir / LEDGER_FILE),
                    attempts=int(delivery.get("attempts", 3)), backoff_s=float(delivery.get("backoff_s", 2.0)))
