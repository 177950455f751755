"""Names and spheres for report labels, read from the region's data files (never hard-coded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class RegionLabels:
    zone: str
    agencies: dict[str, str] = field(default_factory=dict)
    agency_sphere: dict[str, str] = field(default_factory=dict)
    spheres: dict[str, str] = field(default_factory=dict)
    municipalities: dict[str, str] = field(default_factory=dict)
    municipal_sphere: str = "municipal"

    def agency(self, code: str) -> str:
        return self.agencies.get(code, code or "—")

    def sphere_of(self, code: str) -> str:
        if code in self.agency_sphere:
            return self.agency_sphere[code]
        return self.municipal_sphere if code.startswith("adm-") else ""

    def sphere(self, key: str) -> str:
        return self.spheres.get(key, key or "Сфера не указана")

    def municipality(self, code: str) -> str:
        return self.municipalities.get(code, code or "не определено")


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_labels(region_dir: Path) -> RegionLabels:
    card = _load(region_dir / "region.yaml")
    agencies_doc = _load(region_dir / "agencies.yaml")
    municipality_file = region_dir / card.get("municipalities", "municipalities.yaml")
    municipalities = {m["code"]: m["name"] for m in _load(municipality_file)}
    municipal = agencies_doc.get("municipal", {})
    template = municipal.get("name_template", "{municipality}")
    agencies = {a["code"]: a["name"] for a in agencies_doc.get("regional", [])}
    spheres_of = {a["code"]: a.get("sphere", "") for a in agencies_doc.get("regional", [])}
    for code, name in municipalities.items():
        agencies[f"adm-{code}"] = template.format(municipality=name)
    return RegionLabels(zone=card["zone"], agencies=agencies, agency_sphere=spheres_of,
                        spheres=dict(agencies_doc.get("spheres", {})), municipalities=municipalities,
                        municipal_sphere=municipal.get("sphere", "municipal"))
