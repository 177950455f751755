"""Training and honest k-fold cross-validation from labelled CSV (columns ``text, topic, agency, group``).

Curator corrections exported from the workflow DB have the same columns and are simply
appended to the training rows (``--corrections``): that is how the model learns from the curators.
"""

from __future__ import annotations

import csv
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold, StratifiedKFold

from classifier.topic import LABELS, TopicModel, top_k

MAX_CSV_FIELD = 1_000_000


class TrainingDataError(ValueError):
    """The CSV lacks the text column, or has no labelled rows."""


@dataclass
class Dataset:
    texts: list[str]
    labels: dict[str, list[str]]

    def subset(self, idx: Sequence[int]) -> Dataset:
        return Dataset([self.texts[i] for i in idx], {k: [v[i] for i in idx] for k, v in self.labels.items()})

    def __add__(self, other: Dataset) -> Dataset:
        keys = set(self.labels) & set(other.labels)
        return Dataset(self.texts + other.texts, {k: self.labels[k] + other.labels[k] for k in keys})


def read_csv(path: Path) -> Dataset:
    csv.field_size_limit(MAX_CSV_FIELD)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        columns = set(reader.fieldnames or [])
        if "text" not in columns:
            raise TrainingDataError(f"{path}: no 'text' column (found: {sorted(columns)})")
        present = [c for c in LABELS if c in columns]
        texts: list[str] = []
        labels: dict[str, list[str]] = {c: [] for c in present}
        for row in reader:
            text = (row.get("text") or "").strip()
            if not text:
                continue
            texts.append(text)
            for c in present:
                labels[c].append((row.get(c) or "").strip())
    if not texts:
        raise TrainingDataError(f"{path}: no rows with text")
    return Dataset(texts, labels)


def train(data: Dataset) -> TopicModel:
    return TopicModel.fit(data.texts, data.labels)


def metrics(truth: Sequence[str], predicted: Sequence[str], top3: Sequence[Sequence[str]]) -> dict[str, float]:
    return {
        "accuracy": round(float(np.mean([t == p for t, p in zip(truth, predicted, strict=True)])), 4),
        "macro_f1": round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
        "weighted_f1": round(float(f1_score(truth, predicted, average="weighted", zero_division=0)), 4),
        "top3_accuracy": round(float(np.mean([t in c for t, c in zip(truth, top3, strict=True)])), 4),
    }


def predict(model: TopicModel, texts: Sequence[str]) -> dict[str, list[list[tuple[str, float]]]]:
    """Top-3 per head. The agency is what the router would route to with no region rules: the learned router."""
    from router.router import Router

    probs = model.proba(texts)
    out = {name: top_k(model.heads[name], p) for name, p in probs.items()}
    if "agency" in out:
        router = Router.learned_only()
        routed = []
        for i, candidates in enumerate(out["agency"]):
            topic = out["topic"][i][0][0] if "topic" in out else None
            routes = router.route(topic, None, candidates)
            routed.append([(r.agency, r.confidence) for r in routes] + candidates[len(routes):])
        out["agency"] = routed
    return out


def evaluate(model: TopicModel, data: Dataset) -> dict[str, Any]:
    started = time.perf_counter()
    predictions = predict(model, data.texts)
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {}
    for name in LABELS:
        if name in data.labels and name in predictions:
            preds = predictions[name]
            result[name] = metrics(data.labels[name], [p[0][0] for p in preds], [[c for c, _ in p] for p in preds])
    result["posts_per_second"] = round(len(data.texts) / seconds, 1) if seconds else None
    result["rows"] = len(data.texts)
    return result


def cross_validate(data: Dataset, folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """Stratified on the topic group (rare groups simply land in fewer folds), plain k-fold without labels.

    The folds depend only on the rows, ``folds`` and ``seed``, so every model variant is
    compared on the same splits.
    """
    strata = data.labels.get("group") or data.labels.get("topic")
    splitter: Any
    if strata and max(strata.count(s) for s in set(strata)) >= folds:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The least populated class", UserWarning)
            splitter = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(data.texts, strata))
    else:
        splitter = KFold(folds, shuffle=True, random_state=seed).split(data.texts)
    per_fold: list[dict[str, Any]] = []
    for train_idx, test_idx in splitter:
        per_fold.append(evaluate(train(data.subset(train_idx)), data.subset(test_idx)))
    summary: dict[str, Any] = {"folds": folds, "rows": len(data.texts)}
    for name in LABELS:
        if all(name in f for f in per_fold):
            summary[name] = {m: round(float(np.mean([f[name][m] for f in per_fold])), 4) for m in per_fold[0][name]}
    summary["posts_per_second"] = round(float(np.mean([f["posts_per_second"] for f in per_fold])), 1)
    return summary
