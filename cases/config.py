"""What the case engine needs to know about the region: clock policy, network formats, detection event."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from sla_tracker.clocks import ClockPolicy

DEFAULT_REGION_DIR = Path(__file__).resolve().parent.parent / "regions" / "kuzbass"
DETECTION_EVENTS = ("surfaced", "marked")


@dataclass(frozen=True)
class NetworkFormat:
    """R21: how a reply must look in one network."""

    max_chars: int
    markup: str = "none"
    attachments: tuple[str, ...] = ()


def load_networks(region_dir: Path) -> dict[str, NetworkFormat]:
    path = region_dir / "networks.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    formats: dict[str, NetworkFormat] = {}
    for name, spec in (data.get("networks") or {}).items():
        max_chars = int(spec["max_chars"])
        if max_chars <= 0:
            raise ValueError(f"{path}: {name}: max_chars must be positive")
        formats[str(name)] = NetworkFormat(
            max_chars=max_chars,
            markup=str(spec.get("markup", "none")),
            attachments=tuple(spec.get("attachments") or ()),
        )
    return formats


@dataclass
class CaseConfig:
    """Built once per process (by the shell from settings) and passed to every engine call."""

    policy: ClockPolicy
    networks: dict[str, NetworkFormat] = field(default_factory=dict)
    detection_event: str = "surfaced"

    def __post_init__(self) -> None:
        if self.detection_event not in DETECTION_EVENTS:
            raise ValueError(f"detection_event must be one of {DETECTION_EVENTS}, not {self.detection_event!r}")

    @classmethod
    def load(
        cls,
        region_dir: Path = DEFAULT_REGION_DIR,
        *,
        short_clocks_working_time: bool = True,
        detection_event: str = "surfaced",
    ) -> CaseConfig:
        from sla_tracker.clocks import ClockPolicy

        region_dir = Path(region_dir)
        return cls(
            policy=ClockPolicy.load(region_dir, short_clocks_working_time=short_clocks_working_time),
            networks=load_networks(region_dir),
            detection_event=detection_event,
        )


_default: CaseConfig | None = None


def default_config() -> CaseConfig:
    """The Kuzbass defaults, for callers that pass no config (tests, quick scripts)."""
    global _default
    if _default is None:
        _default = CaseConfig.load()
    return _default
