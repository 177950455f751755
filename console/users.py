"""The signed-in person as the console sees it, and the role rules every route enforces."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cases.models import Person


class Role(StrEnum):
    CURATOR = "curator"
    AGENCY_LEAD = "agency_lead"
    EXECUTOR = "executor"
    ANALYST = "analyst"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.CURATOR: "куратор",
    Role.AGENCY_LEAD: "руководитель органа",
    Role.EXECUTOR: "исполнитель",
    Role.ANALYST: "аналитик",
    Role.ADMIN: "администратор",
}

AGENCY_ROLES = frozenset({Role.AGENCY_LEAD, Role.EXECUTOR})
SEE_ALL_CASES = frozenset({Role.CURATOR, Role.ANALYST, Role.ADMIN})


@dataclass(frozen=True)
class User:
    id: int
    login: str
    full_name: str
    role: Role
    agency_code: str | None

    @classmethod
    def of(cls, person: Person) -> User:
        return cls(person.id, person.login, person.full_name, Role(person.role), person.agency_code)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def in_agency(self) -> bool:
        return self.role in AGENCY_ROLES

    @property
    def home(self) -> str:
        return {
            Role.CURATOR: "/queue",
            Role.AGENCY_LEAD: "/inbox",
            Role.EXECUTOR: "/inbox",
            Role.ANALYST: "/registry",
            Role.ADMIN: "/admin",
        }[self.role]
