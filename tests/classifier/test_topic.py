"""Topic / group / agency models, training CLI and honest cross-validation, on our own Kuzbass texts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifier.model_store import ModelMissing, load, save
from classifier.train import TrainingDataError, cross_validate, evaluate, read_csv, train
from otklik.cli import app

DATA = Path(__file__).parent / "data" / "topics_small.csv"


@pytest.fixture(scope="module")
def model():
    return train(read_csv(DATA))


def test_r7_1_topic_suggestions_are_top3_with_probabilities(model) -> None:
    probs = model.proba(["В Кемерове на Весенней нет отопления, батареи холодные"])["topic"][0]
    assert abs(float(probs.sum()) - 1.0) < 1e-5
    from classifier.topic import top_k

    top = top_k(model.heads["topic"], model.proba(["Батареи ледяные, отопления нет"])["topic"])[0]
    assert len(top) == 3 and top[0][0] == "Нет отопления" and top[0][1] > top[1][1]


def test_evaluate_reports_every_metric(model) -> None:
    result = evaluate(model, read_csv(DATA))
    for label in ("topic", "group", "agency"):
        assert set(result[label]) == {"accuracy", "macro_f1", "weighted_f1", "top3_accuracy"}
        assert result[label]["accuracy"] > 0.9  # training rows: a sanity floor, not a quality claim
    assert result["posts_per_second"] > 0


def test_cross_validation_never_scores_on_training_rows() -> None:
    result = cross_validate(read_csv(DATA), folds=3)
    assert result["folds"] == 3 and result["rows"] == 48
    assert 0.5 < result["topic"]["accuracy"] <= 1.0
    assert result["topic"]["top3_accuracy"] >= result["topic"]["accuracy"]


def test_missing_columns_are_skipped_and_missing_text_is_an_error(tmp_path: Path) -> None:
    only_topic = tmp_path / "t.csv"
    with only_topic.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "topic"])
        w.writerow(["яма на дороге", "Дороги"])
    assert set(read_csv(only_topic).labels) == {"topic"}
    bad = tmp_path / "bad.csv"
    bad.write_text("body,topic\nx,y\n", encoding="utf-8")
    with pytest.raises(TrainingDataError, match="text"):
        read_csv(bad)


def test_models_are_versioned_and_missing_ones_are_named(model, tmp_path: Path) -> None:
    stored = save(model, tmp_path / "m", {"rows": 48})
    again = load(tmp_path / "m")
    assert again.version == stored.version and again.version.count("-") == 1
    with pytest.raises(ModelMissing):
        load(tmp_path / "nothing")


def test_cli_train_then_evaluate_prints_one_json_object(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "model"
    trained = runner.invoke(app, ["model", "train", "--data", str(DATA), "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    result = runner.invoke(app, ["model", "evaluate", "--model", str(out), "--data", str(DATA), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert {"topic", "group", "agency", "posts_per_second"} <= set(payload)


def test_learning_from_curator_corrections(tmp_path: Path) -> None:
    corrections = tmp_path / "corrections.csv"
    with corrections.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "topic", "agency", "group"])
        for i in range(8):
            w.writerow([f"Бродячие собаки стаей бросаются на детей у школы номер {i}", "Бродячие собаки", "vet", "1"])
    out = tmp_path / "m"
    result = CliRunner().invoke(app, ["model", "train", "--data", str(DATA), "--corrections", str(corrections),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    model = load(out).model
    assert "Бродячие собаки" in set(model.heads["topic"].classes.tolist())


def test_saved_model_after_serving_predicts_the_same_and_keeps_no_serving_caches(model, tmp_path: Path) -> None:
    texts = ["Новокузнецк, ул. Кирова: нет горячей воды", "Яма на дороге в Прокопьевске"]
    before = model.proba(texts)  # builds the serving caches
    save(model, tmp_path / "m", {})
    again = load(tmp_path / "m").model
    assert "_fast_cache" not in again.features.__dict__
    for head, probs in again.proba(texts).items():
        assert abs(probs - before[head]).max() < 1e-6



def test_topic_names_are_training_rows_of_their_topic(model) -> None:
    from classifier.topic import top_k

    names = [str(t) for t in model.heads["topic"].classes]
    tops = top_k(model.heads["topic"], model.proba(names)["topic"], k=1)
    assert [t[0][0] for t in tops] == names


def test_label_rows_add_each_topic_name_to_its_own_topic(model) -> None:
    from classifier.topic import LABEL_ROW_REPEATS, _with_label_rows

    x = model.features.transform(["яма на дороге", "нет отопления"])
    x2, y2 = _with_label_rows(model.features, x, ["Дороги", "Нет отопления"])
    assert x2.shape[0] == 2 + 2 * LABEL_ROW_REPEATS
    assert y2[2:] == ["Дороги", "Нет отопления"] * LABEL_ROW_REPEATS
    assert (x2[2] != model.features.transform(["Дороги"])).nnz == 0


def test_top_k_equals_the_per_element_ranking() -> None:
    import numpy as np
    from scipy import sparse

    from classifier.topic import Head, top_k

    rng = np.random.default_rng(0)
    probs = rng.random((7, 12)).astype(np.float32)
    probs[3, 4] = probs[3, 5]  # a tie ranks like argsort does
    head = Head(np.array([f"тема {i}" for i in range(12)]), sparse.csr_matrix((12, 3)), np.zeros(12))
    order = np.argsort(-probs, axis=1)[:, :3]
    expected = [[(str(head.classes[j]), float(row[j])) for j in idx] for row, idx in zip(probs, order, strict=True)]
    got = top_k(head, probs)
    assert got == expected
    assert all(type(name) is str and type(p) is float for row in got for name, p in row)


def _head(names: list[str]):
    import numpy as np
    from scipy import sparse

    from classifier.topic import Head

    return Head(np.array(names), sparse.csr_matrix((len(names), 1)), np.zeros(len(names)))


def test_the_group_head_steers_the_topic_and_the_group_is_the_best_topics() -> None:
    import numpy as np

    from classifier.topic import Hierarchy

    topics, groups = _head(["Дороги", "Нет отопления", "Ямы во дворе"]), _head(["ЖКХ", "Дороги"])
    hierarchy = Hierarchy.fit(["Дороги", "Нет отопления", "Ямы во дворе", "Ямы во дворе", "Ямы во дворе"],
                              ["Дороги", "ЖКХ", "ЖКХ", "ЖКХ", "Дороги"], topics, groups)
    assert hierarchy.topic_group.tolist() == [1, 0, 0]  # each topic's group by majority of its rows
    topic = np.array([[0.40, 0.30, 0.30]])  # the topic head slightly prefers a roads topic
    group = np.array([[0.95, 0.05]])  # the group head is sure it is housing
    joint_topic, joint_group = hierarchy.apply(topic, group)
    assert joint_topic.argmax() == 1 and abs(joint_topic.sum() - 1) < 1e-9
    assert joint_group.argmax() == 0 and abs(joint_group.sum() - 1) < 1e-9
    balanced = np.array([[0.5, 0.5]])  # no group preference: the best topic decides the group
    assert hierarchy.apply(np.array([[0.1, 0.8, 0.1]]), balanced)[1].argmax() == 0
    assert hierarchy.apply(np.array([[0.8, 0.1, 0.1]]), np.array([[0.6, 0.4]]))[1].argmax() == 1
    assert (hierarchy.apply(topic, balanced)[0].argsort() == topic.argsort()).all()


def test_a_topic_of_no_known_group_keeps_its_score() -> None:
    import numpy as np

    from classifier.topic import Hierarchy

    hierarchy = Hierarchy.fit(["А"], ["Г1"], _head(["А", "Б"]), _head(["Г1", "Г2"]))
    assert hierarchy.topic_group.tolist() == [0, -1]
    joint_topic, joint_group = hierarchy.apply(np.array([[0.5, 0.5]]), np.array([[0.5, 0.5]]))
    assert joint_topic[0, 1] > joint_topic[0, 0]  # "Б" is not scaled down by a group it lacks
    assert joint_group.tolist() == [[1.0, 0.0]]  # "Г2" has no topic that could make it the best topic's


def test_trained_models_decode_topic_and_group_jointly(model) -> None:
    topics = [str(t) for t in model.heads["topic"].classes]
    groups = [str(g) for g in model.heads["group"].classes]
    rows = read_csv(DATA)
    truth = dict(zip(rows.labels["topic"], rows.labels["group"], strict=True))
    assert model.hierarchy is not None
    assert [groups[i] for i in model.hierarchy.topic_group] == [truth[t] for t in topics]


def test_joint_decoding_equals_its_definition_on_random_heads() -> None:
    import numpy as np

    from classifier.topic import TOPIC_FROM_GROUP, Hierarchy

    rng = np.random.default_rng(1)
    topic_group = rng.integers(-1, 6, size=40)
    topic_group[:6] = np.arange(6)  # every group but the last has a topic; the last has none
    topic_group[topic_group == 5] = 4
    hierarchy = Hierarchy(topic_group)
    topic, group = rng.dirichlet(np.ones(40), size=9), rng.dirichlet(np.ones(6), size=9)
    joint_topic, joint_group = hierarchy.apply(topic, group)
    for r in range(9):
        score = [topic[r, t] * (group[r, g] ** TOPIC_FROM_GROUP if g >= 0 else 1.0) for t, g in enumerate(topic_group)]
        expected_topic = np.array(score) / sum(score)
        best = [max((expected_topic[t] for t in range(40) if topic_group[t] == g), default=0.0) for g in range(6)]
        assert np.allclose(joint_topic[r], expected_topic) and np.allclose(joint_group[r], np.array(best) / sum(best))
    assert (joint_group[:, 5] == 0).all()


def test_training_twice_on_the_same_rows_gives_the_same_model_version(tmp_path: Path) -> None:
    """Separate processes, as two `otklik model train` runs are: memory addresses and string
    hashing differ between them, and neither may reach the artifact."""
    import subprocess
    import sys

    script = "import sys; from otklik.cli import app; sys.argv = ['otklik', *sys.argv[1:]]; app()"
    versions = []
    for name in ("first", "second"):
        done = subprocess.run([sys.executable, "-c", script, "model", "train", "--data", str(DATA),
                               "--out", str(tmp_path / name)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        versions.append(json.loads(done.stdout.strip().splitlines()[-1])["version"])
    assert versions[0] == versions[1]
