"""``summarize.evaluation.runner`` part by part, fast: the videos loaded on Ray (with a stand-in
for the pool: the order, the errors and the clean-up are the runner's), small evaluations
through scorers that show what they were given, what was recorded, and every refusal."""

import json
import re
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import summarize.batch.ray_executor as ray_executor
from summarize import scoring
from summarize._version import __version__
from summarize.batch.ray_executor import PoolEvent
from summarize.errors import InputError, SummarizeError, UsageError
from summarize.evaluation import evaluate, runner
from summarize.evaluation.baselines import human_correlation, human_f1, uniform_selection
from summarize.evaluation.metrics import AnnotatorScores, f1_against_users
from summarize.evaluation.runner import MethodSpec, VideoScore
from summarize.evaluation.sources import EvalVideo, FeatureFileSource, summary_mask
from summarize.pipeline import SummaryOptions
from summarize.scoring import Scorer
from summarize.scoring.contrastive import CTVSUM_POST
from tests.eval_synthetic import OracleScorer, write_dataset


def eval_video(name: str, writeable: bool = True) -> EvalVideo:
    arrays = dict(features=np.ones((3, 4), dtype=np.float32), positions=np.arange(3), bounds=np.array([[0, 3]]),
                  user_summaries=np.ones((2, 3), dtype=bool), annotator_scores=np.ones((2, 3)))
    for array in arrays.values():
        array.flags.writeable = writeable  # as Ray's object store hands them back
    return EvalVideo(name=name, n_frames=3, backbone="googlenet", title=name.upper(), **arrays)


class FakeSource:
    """What ``_loaded_on_ray`` reads of a ``VideoFolderSource``."""

    dataset, videos_dir, annotations_path, budget = "tvsum", Path("/videos"), Path("/anno.tsv"), 0.2
    options = SummaryOptions(device="cpu")


class FakeRay:
    """Stands in for ``connect``, ``plan_actors``, ``disconnect`` and ``RayPool``: the pool sends
    back ``events`` (kind, key, value or reason) in their order, and everything is recorded."""

    def __init__(self, monkeypatch, events, plan=(4, 1, 0, 1), started=True):
        self.events, self.calls = events, []
        fake = self

        class Pool:
            def __init__(self, make_worker, actors, *, retries, num_cpus, num_gpus):
                fake.make_worker = make_worker
                fake.calls.append(("pool", actors, retries, num_cpus, num_gpus))

            def map(self, keys):
                fake.calls.append(("map", list(keys)))
                for kind, key, value in fake.events:
                    if kind == "done":
                        yield PoolEvent("done", 0, key, value=(value, 0.25))
                    elif kind == "error":
                        yield PoolEvent("error", 0, key, reason=f"Traceback\n{value}", value=value)
                    else:
                        yield PoolEvent(kind, 0, key, reason=value)

            def close(self):
                fake.calls.append(("close",))

        monkeypatch.setattr(ray_executor, "connect", lambda address, cpus: fake.calls.append(
            ("connect", address, cpus)) or started)
        monkeypatch.setattr(ray_executor, "disconnect", lambda was_started: fake.calls.append(
            ("disconnect", was_started)))
        monkeypatch.setattr(ray_executor, "plan_actors", lambda jobs, device: fake.calls.append(
            ("plan", jobs, device)) or plan)
        monkeypatch.setattr(ray_executor, "RayPool", Pool)


def test_videos_loaded_on_ray_come_in_key_order_whatever_order_they_arrive_in(monkeypatch):
    keys = ["v1", "v2", "v3"]
    videos = {k: eval_video(k, writeable=False) for k in keys}
    fake = FakeRay(monkeypatch, [("stage", "v2", ""), ("done", "v3", videos["v3"]), ("done", "v1", videos["v1"]),
                                 ("started", "v2", ""), ("done", "v2", videos["v2"])], plan=(4, 1, 0, None))
    loaded = runner._loaded_on_ray(FakeSource(), keys, lambda *a: None, "local", 0, 3)
    first = next(loaded)
    assert first[0] == "v1" and first[2] == 0.25  # v3 arrived first and waits for v1 and v2
    assert fake.calls == [("connect", "local", None), ("plan", 0, "cpu"), ("pool", 3, 3, 1, 0), ("map", keys)]
    rest = list(loaded)
    assert [key for key, _, _ in [first, *rest]] == keys
    for key, video, _ in [first, *rest]:
        assert video.name == key and video.title == key.upper()
        assert video.features.flags.writeable and video.annotator_scores.flags.writeable  # own copies
        assert video.user_summaries.dtype == bool and np.array_equal(video.bounds, [[0, 3]])
    assert fake.calls[-2:] == [("close",), ("disconnect", True)]


@pytest.mark.parametrize("event, error, message", [
    (("failed", "v2", "the worker process died 3 times on it (killed)"), InputError,
     r"^v2: the worker process died 3 times on it \(killed\)$"),
    (("error", "v2", InputError("v2.mp4: not a video file")), InputError, r"^v2\.mp4: not a video file$"),
    (("error", "v2", ValueError("bad")), RuntimeError, r"^v2: a Ray worker failed:\nTraceback\nbad$"),
])
def test_a_video_that_fails_on_ray_ends_the_evaluation_and_the_workers(monkeypatch, event, error, message):
    fake = FakeRay(monkeypatch, [("done", "v1", eval_video("v1")), event], started=False)
    loaded = runner._loaded_on_ray(FakeSource(), ["v1", "v2"], lambda *a: None, "auto", 2, 0)
    assert next(loaded)[0] == "v1"
    with pytest.raises(error, match=message):
        next(loaded)
    assert fake.calls[0] == ("connect", "auto", 2) and fake.calls[-2:] == [("close",), ("disconnect", False)]


def test_a_pool_that_cannot_start_still_disconnects(monkeypatch):
    fake = FakeRay(monkeypatch, [])

    def no_pool(*args, **kwargs):
        raise SummarizeError("the Ray workers cannot start")

    monkeypatch.setattr(ray_executor, "RayPool", no_pool)
    with pytest.raises(SummarizeError):
        list(runner._loaded_on_ray(FakeSource(), ["v1"], lambda *a: None, "local", 1, 0))
    assert fake.calls[-1] == ("disconnect", True) and ("close",) not in fake.calls


def test_each_ray_worker_builds_its_own_source_with_its_share_of_threads(monkeypatch):
    built = []

    class Summarizer:
        @property
        def backbone(self):
            built.append("model loaded")
            return "loaded"

    class Source:
        def __init__(self, *args):
            built.append(args)
            self.summarizer = Summarizer()

        def load(self, key, report):
            report("features", 0.5)
            return eval_video(key)

    monkeypatch.setattr(runner, "VideoFolderSource", Source)
    fake = FakeRay(monkeypatch, [], plan=(2, 1, 0, 1))
    list(runner._loaded_on_ray(FakeSource(), ["v1", "v2", "v3"], lambda *a: None, "local", 0, 1))
    assert fake.calls[2] == ("pool", 2, 1, 1, 0)
    threads = torch.get_num_threads()
    try:
        worker = fake.make_worker()  # as an actor would
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    source = FakeSource()
    assert built == [("tvsum", source.videos_dir, source.annotations_path, replace(source.options, threads=1), 0.2),
                     "model loaded"]  # when the worker is built: a model that cannot load fails the start
    reports = []
    video, seconds = worker("v2", lambda *a: reports.append(a), None)
    assert video.name == "v2" and 0 <= seconds < 5 and reports == [("features", 0.5)]
    # Without a thread count (GPUs: FFmpeg's choice) the options stay as given and PyTorch's too.
    fake = FakeRay(monkeypatch, [], plan=(1, 1, 1, None))
    list(runner._loaded_on_ray(FakeSource(), ["v1"], lambda *a: None, "local", 0, 1))
    torch.set_num_threads(3)
    try:
        fake.make_worker()
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(threads)
    assert built[-2] == ("tvsum", source.videos_dir, source.annotations_path, FakeSource.options, 0.2)


def test_writable_copies_every_array_and_keeps_the_rest():
    video = replace(eval_video("v1", writeable=False), alignment={"trimmed_frames": 0}, info={"fps": 30})
    copy = runner._writable(video)
    assert copy.name == "v1" and copy.alignment == {"trimmed_frames": 0} and copy.info == {"fps": 30}
    for name in ("features", "positions", "bounds", "user_summaries", "annotator_scores"):
        original, copied = getattr(video, name), getattr(copy, name)
        assert copied.flags.writeable and not original.flags.writeable and copied is not original, name
        assert copied.dtype == original.dtype and np.array_equal(copied, original), name


# ---- whole evaluations on a small synthetic TVSum, through scorers that show what they were given


class Spy(Scorer):
    """Feature column ``column`` (or ``constant`` everywhere, or ``length`` scores), recording
    what the runner hands it."""

    name = "spy"
    calls: list = []

    def __init__(self, column: int = 0, constant: float | None = None, length: int | None = None,
                 sleep: float = 0.0) -> None:
        self.column, self.constant, self.length, self.sleep = column, constant, length, sleep

    @property
    def params(self):
        return {"column": self.column, "constant": self.constant}

    def check_features(self, features, backbone=None):
        Spy.calls.append(("check", features.shape, backbone))

    def score_video(self, features, *, device=None, identity=None):
        Spy.calls.append(("score", features.shape, device, identity))
        time.sleep(self.sleep)
        if self.length is not None:
            return np.zeros(self.length)
        return self.score(features, device=device)

    def score(self, features, *, device=None):
        return np.full(len(features), self.constant) if self.constant is not None else features[:, self.column]


class Noisy(Scorer):
    """A stochastic scorer with a parameter besides its seed: feature column 0 times ``scale``
    plus noise drawn from ``seed`` and the video."""

    name = "noisy"

    def __init__(self, scale: float = 1.0, seed: int = 0) -> None:
        self.scale, self.seed = scale, seed

    @property
    def stochastic(self):
        return True

    @property
    def params(self):
        return {"scale": self.scale, "seed": self.seed}

    def score_video(self, features, *, device=None, identity=None):
        noise = np.random.default_rng([self.seed, int(identity.split("_")[1])]).random(len(features))
        return self.scale * features[:, 0] + noise

    def score(self, features, *, device=None):
        raise AssertionError("the runner scores through score_video")


@pytest.fixture
def scorers(monkeypatch):
    for cls in (OracleScorer, Spy, Noisy):
        monkeypatch.setitem(scoring.SCORERS, cls.name, cls)
    Spy.calls = []


@pytest.fixture(scope="module")
def tvsum(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tvsum")
    write_dataset(folder, "tvsum", n_videos=3, seed=7, lengths=[600, 660, 720], dim=8)
    return folder


def loaded(folder, key, dataset="tvsum"):
    source = FeatureFileSource(dataset, folder)
    try:
        return source.load(key)
    finally:
        source.close()


def test_the_json_names_the_tool_and_rounds_every_number(tvsum, scorers, tmp_path):
    result = evaluate("tvsum", data_dir=tvsum, methods=["oracle"], references=("human",), budget=0.2)
    result.timings = {"load": 0.12345, "total": 1.98765}
    document = result.to_dict()
    assert document["tool"] == {"name": "summarize", "version": __version__}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", document["run"]["created"])
    assert document["run"]["timings"] == {"load": 0.123, "total": 1.988}
    assert document["run"]["device"] == result.device == "cpu"
    rows = document["per_video"]
    assert [(r["video"], r["label"]) for r in rows] == [(f"video_{n}", label) for n in (1, 2, 3)
                                                        for label in ("oracle", "human")]
    first = result.per_video["video_1"]["oracle"]
    assert list(rows[0]) == ["video", "label", "f1", "precision", "recall", "kendall_tau", "spearman_rho",
                             "selected_fraction", "constant_pairs"]
    assert rows[0]["kendall_tau"] == round(first.kendall_tau, 6) != first.kendall_tau  # 6 digits
    row = document["results"][0]
    assert row["kendall_tau"] == round(result.method("oracle").kendall_tau, 6) != result.method("oracle").kendall_tau


def test_the_json_is_utf8_whatever_the_locale(tvsum, scorers, tmp_path, legacy_locale):
    result = evaluate("tvsum", data_dir=tvsum, methods=["oracle"], references=(), budget=0.2)
    result.notes.append("vidéo 1: été")
    path = result.write_json(tmp_path / "out" / "eval.json")
    assert json.loads(path.read_bytes().decode("utf-8"))["notes"] == ["vidéo 1: été"]


def test_a_missing_row_is_a_key_error_naming_it(tvsum, scorers):
    result = evaluate("tvsum", data_dir=tvsum, methods=["oracle"], references=(), budget=0.2)
    assert result.method("oracle").method == "oracle"
    with pytest.raises(KeyError, match="'nope'"):
        result.method("nope")


def test_post_ctvsum_is_resolved_per_dataset_and_keeps_its_label():
    spec = MethodSpec.parse("contrastive:post=ctvsum,variant=align")
    for dataset in ("tvsum", "summe"):
        resolved = spec.for_dataset(dataset)
        assert (resolved.name, resolved.kind, resolved.label) == ("contrastive", "method",
                                                                  "contrastive:post=ctvsum,variant=align")
        assert resolved.params == {"post": CTVSUM_POST[dataset], "variant": "align"}
    assert spec.params == {"post": "ctvsum", "variant": "align"}  # the spec itself is unchanged
    plain = MethodSpec.parse("contrastive:variant=align")
    assert plain.for_dataset("tvsum") is plain


def test_every_method_is_scored_with_its_parameters_whatever_comes_before_it(tvsum, scorers):
    result = evaluate("tvsum", data_dir=tvsum, methods=["uniform", "spy:column=1", "noisy:scale=2"],
                      references=("random",), random_draws=2, seed=5, budget=0.2)
    methods = result.parameters["methods"]
    assert methods == [
        {"label": "uniform", "method": "uniform", "kind": "reference", "params": {}, "draws": None},
        {"label": "spy:column=1", "method": "spy", "kind": "method", "params": {"column": 1, "constant": None},
         "draws": None},
        {"label": "noisy:scale=2", "method": "noisy", "kind": "method", "params": {"scale": 2}, "draws": 2},
        {"label": "random", "method": "random", "kind": "reference",
         "params": {k: v for k, v in scoring.get_scorer("random").params.items() if k != "seed"}, "draws": 2}]
    assert result.parameters["random_seeds"] == [5, 6] and result.parameters["random_draws"] == 2
    assert result.dataset == "tvsum" and result.to_dict()["dataset"] == "tvsum"
    assert [(r.label, r.draws) for r in result.methods] == [("uniform", None), ("spy:column=1", None),
                                                            ("noisy:scale=2", 2), ("random", 2)]
    # A drawn method's score of a video is the mean over its draws (each a fixed seed).
    fixed = evaluate("tvsum", data_dir=tvsum, methods=["noisy:scale=2,seed=5", "noisy:scale=2,seed=6",
                                                       "random:seed=5", "random:seed=6", "spy:column=1"],
                     references=(), budget=0.2)
    for key in ("video_1", "video_2", "video_3"):
        for label, draws in (("noisy:scale=2", ("noisy:scale=2,seed=5", "noisy:scale=2,seed=6")),
                             ("random", ("random:seed=5", "random:seed=6"))):
            got, each = result.per_video[key][label], [fixed.per_video[key][d] for d in draws]
            for measure in ("f1", "precision", "recall", "kendall_tau", "spearman_rho", "selected_fraction"):
                assert getattr(got, measure) == pytest.approx(np.mean([getattr(s, measure) for s in each]),
                                                              abs=1e-12), (key, label, measure)
            assert each[0].kendall_tau != each[1].kendall_tau  # the draws do differ
        assert result.per_video[key]["spy:column=1"] == fixed.per_video[key]["spy:column=1"]


def test_the_default_draws_ten_seeds(tvsum, scorers):
    result = evaluate("tvsum", data_dir=tvsum, methods=["oracle"], budget=0.2)
    assert result.parameters["random_seeds"] == list(range(10)) and result.method("random").draws == 10


def test_a_scorer_gets_each_videos_features_backbone_device_and_key(tvsum, scorers):
    result = evaluate("tvsum", data_dir=tvsum, methods=["spy"], references=(), budget=0.2, device="cpu")
    shapes = {key: loaded(tvsum, key).features.shape for key in ("video_1", "video_2", "video_3")}
    assert Spy.calls == [call for key, shape in shapes.items() for call in
                         (("check", shape, "googlenet"), ("score", shape, torch.device("cpu"), key))]
    assert result.method("spy").constant_pairs == 0


def test_constant_scores_are_counted_per_video(tvsum, scorers):
    result = evaluate("tvsum", data_dir=tvsum, methods=["spy:constant=1"], references=(), budget=0.2)
    n_annotators = len(loaded(tvsum, "video_1").annotator_scores)
    assert result.per_video["video_1"]["spy:constant=1"].constant_pairs == n_annotators == 20
    assert result.method("spy:constant=1").constant_pairs == 3 * n_annotators


def test_a_scorer_that_returns_the_wrong_number_of_scores_is_a_bug_said_plainly(tvsum, scorers):
    samples = len(loaded(tvsum, "video_1").positions)
    with pytest.raises(ValueError, match=rf"^scorer spy returned \(2,\) scores for {samples} samples$"):
        evaluate("tvsum", data_dir=tvsum, methods=["spy:length=2"], references=(), budget=0.2)


def test_the_uniform_and_human_rows_of_each_video(tvsum, scorers):
    result = evaluate("tvsum", data_dir=tvsum, methods=["oracle"], references=("uniform", "human"), budget=0.3)
    for key in ("video_1", "video_2", "video_3"):
        video = loaded(tvsum, key)
        mask = summary_mask(video.bounds, uniform_selection(video.bounds, video.n_frames, 0.3), video.n_frames)
        f1 = f1_against_users(mask, video.user_summaries, "mean")
        assert result.per_video[key]["uniform"] == VideoScore(f1.f1, f1.precision, f1.recall, None, None,
                                                              float(mask.mean()))
        f1, corr = human_f1(video.user_summaries, "mean"), human_correlation(AnnotatorScores(video.annotator_scores))
        assert result.per_video[key]["human"] == VideoScore(f1.f1, f1.precision, f1.recall, corr.kendall_tau,
                                                            corr.spearman_rho, None, corr.constant_pairs)
        assert 0 < mask.mean() <= 0.3


def test_human_rows_count_constant_annotators_and_need_two_users(tmp_path, scorers):
    from summarize.evaluation.datasets import AnnotatedVideo, FeatureVideo, write_feature_file, write_tvsum_tsv

    # Two videos with 3 annotators, one of whom gives every frame the same score; the second
    # video has one user summary only (the human F1 needs two): its human row is left out.
    rng = np.random.default_rng(3)
    videos, annotations = [], []
    for n, users in ((1, 2), (2, 1)):
        scores = rng.integers(1, 6, size=(3, 300)).astype(np.uint8)
        scores[1] = 3
        summaries = np.zeros((users, 300), dtype=bool)
        summaries[:, 30 * n:30 * n + 45] = True
        summaries[0, 200:230] = True
        videos.append(FeatureVideo(f"video_{n}", None, rng.normal(size=(20, 8)).astype(np.float32),
                                   np.arange(0, 300, 15), np.array([[0, 100], [100, 200], [200, 300]]), 300,
                                   summaries))
        annotations.append(AnnotatedVideo(f"yt{n}", 300, scores, category="XX"))
    write_feature_file(tmp_path / "eccv16_dataset_tvsum_google_pool5.h5", videos)
    write_tvsum_tsv(tmp_path / "ydata-tvsum50-anno.tsv", annotations)
    result = evaluate("tvsum", data_dir=tmp_path, methods=["human", "oracle"], references=("random",), budget=0.2,
                      random_draws=2)
    assert "human" in result.per_video["video_1"] and "human" not in result.per_video["video_2"]
    assert all("oracle" in scores and "random" in scores for scores in result.per_video.values())
    human = result.per_video["video_1"]["human"]
    assert human.constant_pairs == 4  # annotator 2 against 1 and 3, both ways
    assert result.method("human").n_videos == 1 and result.method("human").constant_pairs == 4
    # Against each of the two draws, one annotator is constant: counted once per draw.
    assert [result.per_video[k]["random"].constant_pairs for k in ("video_1", "video_2")] == [2, 2]
    write_feature_file(tmp_path / "eccv16_dataset_tvsum_google_pool5.h5", videos[1:] + [
        FeatureVideo("video_1", None, videos[0].features, videos[0].picks, videos[0].bounds, 300,
                     videos[0].user_summary[:1])])
    with pytest.raises(UsageError, match=r"^human: no video could be evaluated \(a human reference needs two or "
                                         r"more users\)$"):
        evaluate("tvsum", data_dir=tmp_path, methods=["oracle"], references=("human",), budget=0.2)


# ---- per-fold training: what trained what, recorded and reported


@pytest.fixture(scope="module")
def numbered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("numbered")
    write_dataset(folder, "tvsum", n_videos=6, seed=4, lengths=[600] * 6, dim=8, numbered=True)
    return folder


def splits(folder, folds):
    path = folder / "splits.json"
    path.write_text(json.dumps(folds))
    return path


def test_each_fold_trains_on_its_training_videos_with_the_runs_backbone_and_device(numbered, tmp_path, scorers,
                                                                                     monkeypatch):
    from tests.test_eval_promises import FoldModel

    monkeypatch.setitem(scoring.SCORERS, "foldmodel", FoldModel)
    monkeypatch.setattr(FoldModel, "fits", [])
    keys = [f"video_{n}" for n in range(1, 7)]
    # Fold 0 names no training videos (it trains on every video but its test ones); fold 2
    # tests video_1 again, with a model that never saw it.
    folds = [{"test_keys": keys[:2]}, {"train_keys": keys[:2] + keys[4:], "test_keys": keys[2:4]},
             {"train_keys": keys[1:4], "test_keys": keys[4:] + keys[:1]}]
    seen = []
    result = evaluate("tvsum", data_dir=numbered, methods=["foldmodel", "oracle"], references=(),
                      splits=splits(tmp_path, folds), device="cpu", progress=lambda *a: seen.append(a))
    trained = [keys[2:], keys[:2] + keys[4:], keys[1:4]]
    assert result.parameters["splits"]["training"] == {"methods": ["foldmodel"], "folds": [
        {"fold": i, "train_keys": trained[i], "test_keys": fold["test_keys"]} for i, fold in enumerate(folds)]}
    assert FoldModel.fits == [("googlenet", torch.device("cpu"), f"fold {i}: {len(t)} videos")
                              for i, t in enumerate(trained)]
    assert [f for stage, f in seen if stage == "training"] == pytest.approx([0, 1 / 3, 2 / 3, 1])
    row = result.method("foldmodel")
    assert [f["fold"] for f in row.folds] == [0, 1, 2] and row.method == "foldmodel" and row.draws is None
    assert row.n_videos == 6 and [f["n_videos"] for f in row.folds] == [2, 2, 3]
    assert row.constant_pairs == 0 and all(f["constant_pairs"] == 0 for f in row.folds)
    # video_1, tested by folds 0 and 2: its per-video row is fold 0's, fold 2's mean uses fold 2's model.
    own = [MethodSpec("foldmodel", {"trained": [int(k.split("_")[1]) for k in t]}) for t in trained]
    expected = evaluate("tvsum", data_dir=numbered, methods=own, references=()).per_video
    assert result.per_video["video_1"]["foldmodel"] == expected["video_1"][own[0].label]
    assert row.folds[2]["kendall_tau"] == pytest.approx(
        np.mean([expected[k][own[2].label].kendall_tau for k in folds[2]["test_keys"]]), abs=1e-12)
    assert expected["video_1"][own[0].label].kendall_tau != expected["video_1"][own[2].label].kendall_tau


def test_a_fold_that_trains_on_its_own_test_video_is_refused(numbered, tmp_path, monkeypatch):
    from tests.test_eval_promises import FoldModel

    monkeypatch.setitem(scoring.SCORERS, "foldmodel", FoldModel)
    folds = [{"train_keys": ["video_3"], "test_keys": ["video_1"]},
             {"train_keys": ["video_2", "video_4", "video_5"], "test_keys": ["video_5", "video_4"]}]
    with pytest.raises(UsageError, match=r"^--splits fold 1 trains on video_4, one of its own test videos$"):
        evaluate("tvsum", data_dir=numbered, methods=["foldmodel"], references=(), splits=splits(tmp_path, folds))


# ---- what evaluate refuses, in one line each


@pytest.mark.parametrize("kwargs, message", [
    (dict(dataset="youtube"), "unknown dataset 'youtube'; choose one of: tvsum, summe"),
    (dict(data_dir=None), "give either --data-dir DIR (a folder with the eccv16 feature file) or --videos DIR "
                          "(raw videos, with --annotations)"),
    (dict(videos="VIDEOS"), "give either --data-dir DIR (a folder with the eccv16 feature file) or --videos DIR "
                            "(raw videos, with --annotations)"),
    (dict(budget=0), "budget must be in (0, 1], got 0"),
    (dict(budget=1.5), "budget must be in (0, 1], got 1.5"),
    (dict(random_draws=0), "random draws must be at least 1, got 0"),
    (dict(references=("nope",)), "unknown reference 'nope'; choose from: random, uniform, human"),
    (dict(methods=(), references=()), "nothing to evaluate: give at least one --method or keep the reference rows"),
    (dict(fps=1.0), "fps applies to raw videos (--videos); a feature file carries its own GoogLeNet features and "
                    "shots"),
    (dict(fps=1.0, backbone="resnet50"), "backbone, fps apply to raw videos (--videos); a feature file carries "
                                         "its own GoogLeNet features and shots"),
    (dict(ray="local"), "--ray spreads the decoding of raw videos (--videos); a feature file is read here"),
])
def test_what_evaluate_refuses(tvsum, scorers, tmp_path, kwargs, message):
    kwargs = {"dataset": "tvsum", "data_dir": tvsum, **kwargs}
    if kwargs.get("videos") == "VIDEOS":
        kwargs["videos"] = tmp_path
    with pytest.raises(UsageError) as caught:
        evaluate(kwargs.pop("dataset"), **{"methods": ["oracle"], **kwargs})
    assert str(caught.value) == message


def test_the_bounds_of_what_evaluate_takes(tvsum, scorers, tmp_path):
    result = evaluate("tvsum", data_dir=tvsum, methods=["oracle"], references=("random",), budget=1.0,
                      random_draws=1, device="cpu", cache=False, cache_dir=tmp_path)  # options a feature file takes
    assert result.parameters["budget"] == 1.0 and result.method("random").draws == 1
    assert result.per_video["video_1"]["oracle"].selected_fraction == 1.0


def test_a_feature_file_is_evaluated_without_ray_installed(tvsum, scorers, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)
    assert evaluate("tvsum", data_dir=tvsum, methods=["oracle"], references=(), budget=0.2).method("oracle").f1 > 0


class RawSource:
    """A folder of raw videos as ``evaluate`` sees one (``VideoFolderSource``), serving the
    feature file's videos; video_2 was trimmed to its annotation and two videos are missing."""

    mode, backbone, missing = "videos", "googlenet", ["lost1.mp4", "lost2.mp4"]
    made: list = []

    def __init__(self, dataset, videos, annotations, options, budget):
        RawSource.made.append((dataset, videos, annotations, options, budget))
        self.inner, self.keys = FeatureFileSource(dataset, videos), ["video_1", "video_2", "video_3"]

    def load(self, key, progress):
        progress("features", 0.5)  # as decoding reports
        time.sleep(0.05)
        video = self.inner.load(key)
        trimmed = {"trimmed_frames": 3 if key == "video_2" else 0, "note": "3 decoded frames past the annotation"}
        return replace(video, alignment=trimmed)

    def describe(self):
        return {"videos": "here"}

    def close(self):
        self.inner.close()


@pytest.mark.parametrize("ray", [None, "local"])
def test_raw_videos_are_evaluated_with_their_options_recorded(tvsum, scorers, monkeypatch, ray):
    on_ray = []

    def loaded_on_ray(source, keys, progress, address, jobs, retries):
        on_ray.append((keys, address, jobs, retries))
        yield from runner._loaded(source, keys, progress)

    monkeypatch.setattr(RawSource, "made", [])
    monkeypatch.setattr(runner, "VideoFolderSource", RawSource)
    monkeypatch.setattr(runner, "_loaded_on_ray", loaded_on_ray)
    seen = []
    annotations = tvsum / "ydata-tvsum50-anno.tsv"
    result = evaluate("tvsum", videos=tvsum, annotations=annotations, methods=["oracle"], references=(), budget=0.2,
                      ray=ray, fps=1.0, sampling="keyframes", batch_size=4, progress=lambda *a: seen.append(a))
    options = SummaryOptions(fps=1.0, sampling="keyframes", batch_size=4).validate()
    assert RawSource.made == [("tvsum", tvsum, annotations, options, 0.2)]
    assert result.protocol.rule("samples").parameters["fps"] == 1.0
    assert on_ray == ([] if ray is None else [(["video_1", "video_2", "video_3"], "local", 0, 2)])
    assert result.parameters["raw_video"] == {"backbone": "efficientnet-lite0", "weights": "default", "fps": 1.0,
                                              "decoder": "auto", "batch_size": 4, "feature_cache": True,
                                              "sampling": "keyframes"}
    assert result.parameters["data"] == {"videos": "here"} and result.mode == "videos"
    assert result.notes == ["video_2: 3 decoded frames past the annotation",
                            f"2 annotated videos not found in {tvsum}, not evaluated"]
    assert [f for stage, f in seen if stage == "videos"] == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert seen.count(("features", 0.5)) == 3  # each video's loading reports through
    assert 0.15 <= result.timings["load"] < result.timings["total"]  # three loads of 0.05 s or more
    assert [v["name"] for v in result.videos] == ["video_1", "video_2", "video_3"]
    uniform = evaluate("tvsum", videos=tvsum, methods=["oracle"], references=(), budget=0.2).parameters
    assert "sampling" not in uniform["raw_video"]


def test_splits_choose_the_videos_and_are_recorded(tvsum, scorers, tmp_path):
    path = splits(tmp_path, [{"test_keys": ["video_3"]}, {"train_keys": ["video_1"], "test_keys": ["video_2"]}])
    seen = []
    result = evaluate("tvsum", data_dir=tvsum, methods=["oracle"], references=(), budget=0.2, splits=path,
                      progress=lambda *a: seen.append(a))
    assert sorted(result.per_video) == ["video_2", "video_3"]  # only the test videos
    assert result.parameters["splits"] == {"file": str(path.resolve()), "folds": [["video_3"], ["video_2"]],
                                           "training": None}
    assert [f for stage, f in seen if stage == "videos"] == pytest.approx([0, 0.5, 1])
    assert set(result.timings) == {"load", "evaluate", "total"}
    assert 0 < result.timings["load"] + result.timings["evaluate"] <= result.timings["total"] < 60
    plain = evaluate("tvsum", data_dir=tvsum, methods=["oracle"], references=(), budget=0.2)
    assert plain.parameters["splits"] is None and "raw_video" not in plain.parameters


@pytest.mark.parametrize("folds, message", [
    ([{"test_keys": ["video_9"]}], r"^--splits names video_9, which the data does not have \(it has video_1 \.\.\. "
                                   r"video_3\)$"),
    ([{"test_keys": ["video_1"], "train_keys": ["video_2", "video_8"]}],
     r"^--splits trains on video_8, which the data does not have$"),
])
def test_splits_that_name_videos_the_data_lacks_are_refused(tvsum, scorers, tmp_path, folds, message):
    with pytest.raises(UsageError, match=message):
        evaluate("tvsum", data_dir=tvsum, methods=["oracle"], references=(), splits=splits(tmp_path, folds))


def test_a_method_trained_per_fold_needs_splits(numbered, monkeypatch):
    from tests.test_eval_promises import FoldModel

    monkeypatch.setitem(scoring.SCORERS, "foldmodel", FoldModel)
    with pytest.raises(UsageError, match=r"^foldmodel trains a model on each fold's training videos: give --splits "
                                         r"FILE \(or checkpoint=PATH for a model trained elsewhere\)$"):
        evaluate("tvsum", data_dir=numbered, methods=["foldmodel"], references=())


def test_training_time_is_recorded_apart(numbered, scorers, tmp_path, monkeypatch):
    from tests.test_eval_promises import FoldModel

    monkeypatch.setitem(scoring.SCORERS, "foldmodel", FoldModel)
    result = evaluate("tvsum", data_dir=numbered, methods=["foldmodel"], references=(),
                      splits=splits(tmp_path, [{"test_keys": ["video_1"]}]))
    assert set(result.timings) == {"load", "evaluate", "training", "total"}
    assert 0 < result.timings["training"] < result.timings["total"]


# ---- the small parts


def test_loaded_times_each_video_and_passes_the_progress_on():
    import time

    progress = lambda stage, fraction: None  # noqa: E731
    asked = []

    class Source:
        def load(self, key, report):
            asked.append((key, report))
            time.sleep(0.05)
            return key.upper()

    got = list(runner._loaded(Source(), ["a", "b"], progress))
    assert [(key, video) for key, video, _ in got] == [("a", "A"), ("b", "B")]
    assert all(0.05 <= seconds < 2 for _, _, seconds in got)
    assert asked == [("a", progress), ("b", progress)]


def _video(bounds, n_frames):
    return EvalVideo(name="v", n_frames=n_frames, features=np.zeros((1, 1)), positions=np.zeros(1, dtype=int),
                     bounds=np.array(bounds), user_summaries=np.zeros((2, n_frames), dtype=bool),
                     annotator_scores=np.zeros((2, 1)), backbone="googlenet")


def test_an_empty_summary_is_explained():
    score = lambda fraction: runner.VideoScore(0, 0, 0, None, None, fraction)  # noqa: E731
    # Capacity floor(0.1 x 20) = 2 frames; the shortest shot is 3: none can fit.
    video = _video([[0, 8], [8, 11], [11, 20]], 20)
    assert runner._empty_selection_note("v", video, {"a": score(0.0), "b": score(0.1), "c": score(0.0)}, 0.1) == (
        "v: a, c selected nothing (each of its 3 shots is longer than the budget of 2 frames and the protocol "
        "never splits a shot), so F1 = 0 there")
    # The shortest shot (2 frames) fits the capacity, yet nothing was chosen.
    video = _video([[0, 8], [8, 10], [10, 20]], 20)
    assert runner._empty_selection_note("v", video, {"a": score(0.0)}, 0.1) == (
        "v: a selected nothing (no shot fitted the budget), so F1 = 0 there")
    assert runner._empty_selection_note("v", video, {"a": score(0.1), "b": score(None)}, 0.1) is None


def test_post_ctvsum_is_resolved_for_the_evaluated_dataset(tvsum):
    result = evaluate("tvsum", data_dir=tvsum, methods=["contrastive:post=ctvsum"], references=(), budget=0.2)
    row = result.method("contrastive:post=ctvsum")
    assert row.params["post"].startswith("exp(s - 1)") and row.label == "contrastive:post=ctvsum"


def test_the_time_spent_evaluating_adds_up_over_the_videos(tvsum, scorers):
    result = evaluate("tvsum", data_dir=tvsum, methods=["spy:sleep=0.05"], references=(), budget=0.2)
    assert 0.15 <= result.timings["evaluate"] < result.timings["total"]


@pytest.mark.parametrize("draws, folds", [(3, True), (1, False)])
def test_the_protocol_records_the_draws_and_whether_folds_were_used(tvsum, scorers, tmp_path, draws, folds):
    path = splits(tmp_path, [{"test_keys": ["video_1"]}]) if folds else None
    result = evaluate("tvsum", data_dir=tvsum, methods=["oracle"], references=(), budget=0.2, random_draws=draws,
                      splits=path)
    assert result.protocol.rule("random").parameters == {"draws": draws}
    assert result.protocol.rule("videos").parameters == {"splits": folds}


def test_method_texts_parse_and_check():
    spec = MethodSpec.parse(" contrastive:checkpoint=/models/run=3/a.ckpt, variant = align ")
    assert (spec.name, spec.params, spec.kind) == ("contrastive", {"checkpoint": "/models/run=3/a.ckpt",
                                                                   "variant": "align"}, "method")
    assert MethodSpec.parse("random", kind="reference").kind == "reference"
    assert MethodSpec.parse("random:seed=3").params == {"seed": 3}  # values read as JSON
    for text in ("contrastive:variant", "contrastive:=align"):
        with pytest.raises(UsageError) as caught:
            MethodSpec.parse(text)
        assert str(caught.value) == f"--method {text!r}: parameters are written NAME:key=value,key=value"


@pytest.mark.parametrize("spec, message", [
    (MethodSpec("uniform", {"k": 1}), "the uniform reference takes no parameters"),
    (MethodSpec("nope"), "unknown method 'nope'; choose one of: contrastive, mae, random, oracle, spy, noisy, "
                         "uniform, human"),
    (MethodSpec("random", {"sed": 1}), "method random has no parameter 'sed'; it takes: seed"),
    (MethodSpec("oracle", {"x": 1}), "method oracle has no parameter 'x'; it takes: none"),
    (MethodSpec("spy", {"column": 1, "colour": 2, "size": 3}),
     "method spy has no parameter 'colour'; it takes: column, constant, length, sleep"),
])
def test_what_a_method_refuses(scorers, spec, message):
    with pytest.raises(UsageError) as caught:
        spec.check()
    assert str(caught.value) == message
    MethodSpec("human").check()
    MethodSpec("spy", {"column": 2}).check()
