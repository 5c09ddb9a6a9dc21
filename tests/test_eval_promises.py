"""Each promise of the README's Evaluation section, with a test that fails when it is broken."""

import json

import numpy as np
import pytest

from summarize.evaluation import evaluate, f1_against_users
from summarize.evaluation.runner import FORMAT, FORMAT_VERSION, MethodSpec
from summarize.scoring import Scorer
from tests.eval_synthetic import OracleScorer, video_number, write_dataset
from tests.test_evaluation import MACHINE, _hand_file


@pytest.fixture
def oracle(monkeypatch):
    from summarize import scoring

    monkeypatch.setitem(scoring.SCORERS, "oracle", OracleScorer)
    return "oracle"


def test_eval_never_splits_a_shot_so_a_budget_below_every_shot_gives_an_empty_summary(tmp_path, oracle):
    # Shots [0, 3), [3, 5), [5, 10); budget 0.1 -> capacity 1 frame: no whole shot fits.
    # ``summarize VIDEO`` would halve shots until one fits; the protocol keeps none (F1 = 0).
    _hand_file(tmp_path, "summe")
    result = evaluate("summe", data_dir=tmp_path, methods=[oracle], references=(), budget=0.1)
    row, score = result.method("oracle"), result.per_video["video_1"]["oracle"]
    assert (row.f1, row.precision, row.recall, score.selected_fraction) == (0.0, 0.0, 0.0, 0.0)
    assert any("video_1" in note and "oracle" in note for note in result.notes), result.notes
    rule = result.protocol.rule("selection")
    assert rule.parameters["shots_split"] is False and "never split" in rule.text


def test_precision_is_over_the_summary_and_recall_over_the_user():
    user_long = np.zeros(10, dtype=bool)
    user_long[:6] = True  # holds all 3 machine frames: P = 3/3, R = 3/6, F1 = 2/3
    user_short = np.zeros(10, dtype=bool)
    user_short[2] = True  # 1 frame, inside the machine's: P = 1/3, R = 1/1, F1 = 1/2
    users = np.stack([user_long, user_short])
    best = f1_against_users(MACHINE, users, "max")  # SumMe: the best user's own P and R
    assert (best.f1, best.precision, best.recall) == pytest.approx((2 / 3, 1.0, 0.5))
    mean = f1_against_users(MACHINE, users, "mean")  # TVSum: every measure averaged over users
    assert (mean.f1, mean.precision, mean.recall) == pytest.approx(((2 / 3 + 1 / 2) / 2, (1 + 1 / 3) / 2, 0.75))


def test_summe_takes_the_max_and_tvsum_the_mean_over_users(tmp_path, oracle):
    # The hand case: the machine summary scores F1 2/3 against user A and 0 against user B.
    for dataset, expected in (("summe", 2 / 3), ("tvsum", 1 / 3)):
        folder = tmp_path / dataset
        folder.mkdir()
        _hand_file(folder, dataset)
        result = evaluate(dataset, data_dir=folder, methods=[oracle], references=(), budget=0.3)
        assert result.method("oracle").f1 == pytest.approx(expected), dataset
        assert result.protocol.rule("f1").parameters["over_users"] == {"summe": "max", "tvsum": "mean"}[dataset]


def test_the_json_has_every_field_the_readme_lists(tmp_path, oracle):
    _hand_file(tmp_path, "summe")
    result = evaluate("summe", data_dir=tmp_path, methods=[oracle], budget=0.3, random_draws=2)
    document = json.loads(result.write_json(tmp_path / "out.json").read_text())
    assert list(document) == ["format", "format_version", "tool", "dataset", "mode", "protocol", "parameters",
                              "results", "videos", "per_video", "notes", "run"]
    assert (document["format"], document["format_version"]) == (FORMAT, FORMAT_VERSION) == ("summarize.evaluation", 1)
    assert set(document["protocol"]) == {"name", "dataset", "mode", "citations", "rules"}
    assert [r["name"] for r in document["protocol"]["rules"]] == [
        "samples", "shots", "frame_scores", "selection", "user_summaries", "f1", "rank_correlation", "videos",
        "random", "uniform", "human"]
    row = document["results"][0]
    for key in ("label", "f1", "precision", "recall", "kendall_tau", "spearman_rho", "n_videos", "constant_pairs",
                "folds"):
        assert key in row, key
    for key in ("budget", "random_seeds", "methods"):
        assert key in document["parameters"], key
    assert {"created", "device", "timings"} <= set(document["run"])


class FoldModel(Scorer):
    """A model trained per fold whose scores tell which model made them. ``eval --splits`` fits
    one per fold (``fitted``), which keeps the numbers of the videos it trained on (read from
    the features: ``write_dataset(numbered=True)``). A video it trained on gets the hidden
    truth (feature column 0: a memorised answer, what leakage gives a real model), any other a
    draw seeded by the training set and the video: two models never score a video alike.
    ``foldmodel`` with ``trained`` given is that model without training (the expected scores)."""

    name = "foldmodel"

    def __init__(self, trained: list[int] | None = None) -> None:
        self.trained = trained

    @property
    def params(self):
        return {"trained": self.trained}

    @property
    def needs_training(self) -> bool:
        return self.trained is None

    @property
    def trained_on(self) -> str:
        return f"videos {self.trained}"

    fits: list = []  # (backbone, device, description) of every fit, in order

    def fitted(self, sequences, *, backbone="", device=None, description=""):
        FoldModel.fits.append((backbone, device, description))
        return FoldModel(sorted(video_number(s) for s in sequences))

    def score(self, features, *, device=None):
        number = video_number(features)
        if number in self.trained:
            return features[:, 0] / features[:, 2]
        return np.random.default_rng([number, *self.trained]).random(len(features))


def test_each_folds_videos_are_scored_by_that_folds_model_which_never_saw_them(tmp_path, monkeypatch):
    from summarize import scoring

    monkeypatch.setitem(scoring.SCORERS, "foldmodel", FoldModel)
    write_dataset(tmp_path, "tvsum", n_videos=6, seed=4, lengths=[900] * 6, dim=8, numbered=True)
    keys = [f"video_{n}" for n in range(1, 7)]
    folds = [{"train_keys": [k for k in keys if k not in keys[i::3]], "test_keys": keys[i::3]} for i in range(3)]
    (tmp_path / "splits.json").write_text(json.dumps(folds))
    result = evaluate("tvsum", data_dir=tmp_path, methods=["foldmodel"], references=(), splits=tmp_path / "splits.json")
    row = result.method("foldmodel")
    # Every fold's model, and one trained on every video, given their training sets instead of
    # trained, on every video: the scores each would give.
    own = [MethodSpec("foldmodel", {"trained": [int(k.split("_")[1]) for k in fold["train_keys"]]}) for fold in folds]
    everything = MethodSpec("foldmodel", {"trained": list(range(1, 7))})
    expected = evaluate("tvsum", data_dir=tmp_path, methods=[*own, everything], references=()).per_video
    for i, fold in enumerate(folds):
        for key in fold["test_keys"]:
            assert result.per_video[key]["foldmodel"] == expected[key][own[i].label], (i, key)
            others = [expected[key][spec.label].kendall_tau for spec in [*own, everything] if spec is not own[i]]
            assert min(abs(np.array(others) - expected[key][own[i].label].kendall_tau)) > 1e-3  # scores tell
        for measure in ("f1", "kendall_tau", "spearman_rho"):
            assert row.folds[i][measure] == pytest.approx(
                np.mean([getattr(expected[key][own[i].label], measure) for key in fold["test_keys"]]), abs=1e-12)
        assert row.folds[i]["trained_on"] == f"videos {own[i].params['trained']}"
    assert row.kendall_tau == pytest.approx(np.mean([fold["kendall_tau"] for fold in row.folds]), abs=1e-12)
    # Never seen, the test videos get chance scores; a model that had seen them would be far better.
    seen = np.mean([expected[key][everything.label].kendall_tau for key in keys])
    assert abs(row.kendall_tau) < 0.2 and seen > 0.5, (row.kendall_tau, seen)
