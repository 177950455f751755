"""``otklik model train | evaluate | cv``: the topic, group and agency models from labelled CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

NAME = "model"
APP = typer.Typer(help="Train, evaluate and cross-validate the classifier models.", no_args_is_help=True)

DataOpt = Annotated[Path, typer.Option("--data", exists=True, dir_okay=False, help="CSV: text, topic, agency, group")]


@APP.command("train")
def train_cmd(
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", help="Folder for the versioned model")],
    corrections: Annotated[Path | None, typer.Option(help="Curator corrections, same columns")] = None,
) -> None:
    """Train on DATA (plus curator corrections) and write a versioned model to OUT."""
    from classifier.model_store import save
    from classifier.train import read_csv, train

    dataset = read_csv(data)
    if corrections is not None:
        dataset = dataset + read_csv(corrections)
    stored = save(train(dataset), out, {"rows": len(dataset.texts), "data": data.name,
                                        "corrections": corrections.name if corrections else None,
                                        "labels": sorted(dataset.labels)})
    typer.echo(json.dumps({"version": stored.version, "out": str(out), "rows": len(dataset.texts),
                           "bytes": stored.meta["bytes"]}, ensure_ascii=False))


@APP.command("evaluate")
def evaluate_cmd(
    model: Annotated[Path, typer.Option("--model", help="Model folder")],
    data: DataOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Accuracy, macro/weighted F1 and top-3 accuracy per label, and posts per second."""
    from classifier.model_store import load
    from classifier.train import evaluate, read_csv

    result = evaluate(load(model).model, read_csv(data))
    typer.echo(json.dumps(result, ensure_ascii=False) if as_json else json.dumps(result, ensure_ascii=False, indent=2))


@APP.command("cv")
def cv_cmd(
    data: DataOpt,
    folds: Annotated[int, typer.Option(min=2, max=20)] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Honest k-fold cross-validation: every figure comes from rows the fold's model never saw."""
    from classifier.train import cross_validate, read_csv

    result = cross_validate(read_csv(data), folds)
    typer.echo(json.dumps(result, ensure_ascii=False) if as_json else json.dumps(result, ensure_ascii=False, indent=2))
