"""Network credentials from the environment or a secrets directory; never in the repo, never logged.

Each credential is looked up as ``OTKLIK_<NAME>`` in the environment, then as a file named
``otklik_<name>`` (or ``OTKLIK_<NAME>``) in ``OTKLIK_SECRETS_DIR``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

NAMES = (
    "VK_TOKEN", "OK_APP_KEY", "OK_SECRET_KEY", "OK_ACCESS_TOKEN", "TWITTER_BEARER_TOKEN",
    "INSTAGRAM_TOKEN", "INSTAGRAM_USER_ID", "TELEGRAM_API_ID", "TELEGRAM_API_HASH", "TELEGRAM_SESSION",
)


class Secret:
    """A string that refuses to show itself in reprs, f-strings and logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


class Credentials:
    def __init__(self, values: Mapping[str, Secret]) -> None:
        self._values = dict(values)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, secrets_dir: str | Path | None = None) -> Credentials:
        env = os.environ if env is None else env
        where = secrets_dir or env.get("OTKLIK_SECRETS_DIR")
        folder = Path(where) if where else None
        found: dict[str, Secret] = {}
        for name in NAMES:
            value = env.get(f"OTKLIK_{name}")
            if not value and folder is not None:
                for candidate in (folder / f"otklik_{name.lower()}", folder / f"OTKLIK_{name}"):
                    if candidate.is_file():
                        value = candidate.read_text(encoding="utf-8").strip()
                        break
            if value:
                found[name] = Secret(value)
        return cls(found)

    def get(self, name: str) -> str | None:
        secret = self._values.get(name)
        return secret.reveal() if secret else None

    def has(self, *names: str) -> bool:
        return all(n in self._values for n in names)

    def __repr__(self) -> str:
        return f"Credentials({sorted(self._values)})"
