"""Versioned model artifacts: ``model.joblib.xz`` plus ``meta.json`` (version, data, figures).

The version is the training date plus a hash of the artifact, so a suggestion records
exactly which model made it; the shipped model lives in ``classifier/models/current``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib

from classifier.topic import TopicModel

SHIPPED = Path(__file__).with_name("models") / "current"
ARTIFACT = "model.joblib.xz"
META = "meta.json"


class ModelMissing(FileNotFoundError):
    """No trained model where one was expected."""


@dataclass
class StoredModel:
    model: TopicModel
    version: str
    meta: dict[str, Any]


def save(model: TopicModel, out_dir: Path, meta: dict[str, Any]) -> StoredModel:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ARTIFACT
    joblib.dump(model, path, compress=("xz", 6))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    version = f"{datetime.now(UTC):%Y%m%d}-{digest}"
    full = {**meta, "version": version, "trained_at": datetime.now(UTC).isoformat(), "bytes": path.stat().st_size}
    (out_dir / META).write_text(json.dumps(full, ensure_ascii=False, indent=2), encoding="utf-8")
    return StoredModel(model, version, full)


def load(model_dir: Path | None = None) -> StoredModel:
    folder = model_dir or SHIPPED
    path = folder / ARTIFACT
    if not path.is_file():
        raise ModelMissing(f"no trained model in {folder} (train one: otklik model train --data CSV --out DIR)")
    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    model = joblib.load(path)
    if not isinstance(model, TopicModel):
        raise ModelMissing(f"{path} does not hold a topic model")
    return StoredModel(model, str(meta.get("version", "unknown")), meta)
