"""Who receives an alert: routes and contacts from alerts.yaml, roles and agencies from people.yaml."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from schemas import Alert

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Contact:
    key: str
    """Stable id for deduplication: ``group:<name>#<n>`` or the person's login."""
    name: str
    email: str | None = None
    telegram_chat: str | None = None
    webhook: str | None = None


@dataclass(frozen=True)
class Person:
    login: str
    role: str
    agency: str | None


class DirectoryError(ValueError):
    """alerts.yaml or people.yaml is malformed."""


def _load(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except FileNotFoundError as exc:
        raise DirectoryError(f"нет файла {path}") from exc
    if not isinstance(data, dict):
        raise DirectoryError(f"{path}: ожидается словарь")
    return data


class Directory:
    def __init__(self, config: dict[str, Any], people: list[Person]) -> None:
        self.config = config
        self.routes: dict[str, list[str]] = {str(k): list(v) for k, v in (config.get("routes") or {}).items()}
        self.people = {p.login: p for p in people}
        self.contacts: dict[str, dict[str, Any]] = dict(config.get("contacts") or {})
        self.groups: dict[str, list[Contact]] = {}
        for name, members in (config.get("groups") or {}).items():
            self.groups[name] = [Contact(f"group:{name}#{i}", str(m.get("name", name)), m.get("email"),
                                         _opt(m.get("telegram_chat")), m.get("webhook"))
                                 for i, m in enumerate(members or [])]

    @classmethod
    def load(cls, region_dir: Path) -> Directory:
        people_doc = _load(region_dir / "people.yaml")
        people = [Person(str(p["login"]), str(p.get("role", "")), p.get("agency"))
                  for p in people_doc.get("people", [])]
        return cls(_load(region_dir / "alerts.yaml"), people)

    def _person(self, login: str) -> Contact | None:
        spec = self.contacts.get(login)
        if not spec:
            log.warning("alert recipient %s has no contacts in alerts.yaml", login)
            return None
        return Contact(login, login, spec.get("email"), _opt(spec.get("telegram_chat")), spec.get("webhook"))

    def _logins(self, token: str, alert: Alert) -> list[str]:
        agency = alert.data.get("agency")
        if token == "agency_lead":
            return [p.login for p in self.people.values() if p.role == "agency_lead" and agency and p.agency == agency]
        if token in ("executor", "role:executor"):
            named = alert.data.get("executor") or alert.data.get("person")
            if named:
                return [str(named)]
            return [p.login for p in self.people.values() if p.role == "executor" and agency and p.agency == agency]
        if token.startswith("role:"):
            role = token.removeprefix("role:")
            return [p.login for p in self.people.values() if p.role == role]
        return [token]

    def recipients(self, alert: Alert) -> list[Contact]:
        tokens = list(dict.fromkeys([*self.routes.get(str(alert.kind), []), *alert.recipients]))
        out: dict[str, Contact] = {}
        for token in tokens:
            if token.startswith("group:"):
                for member in self.groups.get(token.removeprefix("group:"), []):
                    out[member.key] = member
                continue
            for login in self._logins(token, alert):
                if login not in out and (contact := self._person(login)) is not None:
                    out[login] = contact
        return list(out.values())


def _opt(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
