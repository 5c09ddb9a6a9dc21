"""Benchmark evaluation: formulas by hand, known answers on synthetic files, the real annotations."""

from __future__ import annotations

import json
import math

import numpy as np
import torch
import pytest
from scipy import stats

from summarize.errors import InputError, UsageError
from summarize.evaluation import evaluate, f1_against_users, rank_correlations, read_summe, read_tvsum
from summarize.evaluation.baselines import human_correlation, human_f1, uniform_selection
from summarize.evaluation.datasets import (
    AnnotatedVideo,
    FeatureFile,
    FeatureVideo,
    change_point_bounds,
    write_feature_file,
    write_tvsum_tsv,
)
from summarize.evaluation.metrics import AnnotatorScores
from summarize.evaluation.sources import align_frames
from summarize.scoring import SCORERS, get_scorer
from tests.eval_synthetic import OracleScorer, write_dataset


@pytest.fixture
def oracle(monkeypatch):
    """A scorer that returns the ground truth, registered like any new scorer would be."""
    monkeypatch.setitem(SCORERS, "oracle", OracleScorer)
    return "oracle"


# --------------------------------------------------------------------------- by hand

# 10 frames sampled every 2 frames: positions 0, 2, 4, 6, 8.
PRED = np.array([0.9, 0.5, 0.5, 0.1, 0.3])  # one tie (samples 1 and 2)
ANNOTATOR_A = np.array([5, 5, 3, 1, 1])  # ties (0, 1) and (3, 4)
ANNOTATOR_B = np.array([1, 2, 2, 4, 5])  # tie (1, 2), the same pair the prediction ties
# tau-b = (C - D) / sqrt((n0 - n1)(n0 - n2)), n0 = 10 pairs, n1/n2 = pairs tied in x/y.
# PRED vs A: C = 7 ((0,2),(0,3),(0,4),(1,3),(1,4),(2,3),(2,4)), D = 0, n1 = 1, n2 = 2.
TAU_A = 7 / math.sqrt(9 * 8)
# PRED vs B: C = 1 ((3,4)), D = 8, the joint tie (1,2) counts in n1 and n2: n1 = n2 = 1.
TAU_B = -7 / 9
# rho = Pearson's r of average ranks: PRED ranks 5, 3.5, 3.5, 1, 2; A 4.5, 4.5, 3, 1.5, 1.5;
# B 1, 2.5, 2.5, 4, 5. Centred cross products 8.25 and -8.5; sums of squares 9.5, 9, 9.5.
RHO_A = 8.25 / math.sqrt(9.5 * 9)
RHO_B = -8.5 / 9.5
# Users' 0/1 summaries of the 10 frames, and a machine summary of frames 0-2.
USER_A = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 1], dtype=bool)  # overlap 2: P = R = 2/3
USER_B = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 0], dtype=bool)  # overlap 0
MACHINE = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], dtype=bool)


def test_f1_by_hand_mean_and_max_over_users():
    users = np.stack([USER_A, USER_B])
    mean = f1_against_users(MACHINE, users, "mean")
    assert mean.f1 == pytest.approx((2 / 3 + 0) / 2) and mean.precision == pytest.approx(1 / 3)
    best = f1_against_users(MACHINE, users, "max")
    assert (best.f1, best.precision, best.recall) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    empty = f1_against_users(np.zeros(10, dtype=bool), users, "mean")
    assert (empty.f1, empty.precision, empty.recall) == (0.0, 0.0, 0.0)


def test_rank_correlation_by_hand_is_averaged_per_annotator_with_ties():
    result = rank_correlations(PRED, np.stack([ANNOTATOR_A, ANNOTATOR_B]))
    assert result.kendall_tau == pytest.approx((TAU_A + TAU_B) / 2, abs=1e-12)
    assert result.spearman_rho == pytest.approx((RHO_A + RHO_B) / 2, abs=1e-12)
    assert result.constant_pairs == 0
    # Not the correlation with the mean annotation (what averaging annotators first would give):
    pooled = stats.kendalltau(PRED, (ANNOTATOR_A + ANNOTATOR_B) / 2).statistic
    assert abs(pooled - result.kendall_tau) > 0.1


def test_constant_rankings_count_as_zero_and_are_reported():
    result = rank_correlations(np.ones(5), np.stack([ANNOTATOR_A, ANNOTATOR_B]))
    assert (result.kendall_tau, result.spearman_rho, result.constant_pairs) == (0.0, 0.0, 2)
    result = rank_correlations(PRED, np.stack([ANNOTATOR_A, np.full(5, 3)]))
    assert result.kendall_tau == pytest.approx(TAU_A / 2) and result.constant_pairs == 1


def test_spearman_from_cached_ranks_matches_scipy():
    rng = np.random.default_rng(3)
    annotators = rng.integers(1, 6, size=(7, 300))
    cached = AnnotatorScores(annotators)
    for _ in range(5):
        pred = rng.random(300)
        got = cached.correlate(pred)
        assert got.spearman_rho == pytest.approx(np.mean([stats.spearmanr(pred, a).statistic for a in annotators]),
                                                 abs=1e-12)
        assert got.kendall_tau == pytest.approx(np.mean([stats.kendalltau(pred, a).statistic for a in annotators]),
                                                abs=1e-12)


def test_human_leave_one_out_by_hand():
    # Users A and B identical, C disjoint from both. Leave one out, "mean" over the others:
    # A: (1 + 0) / 2, B: (1 + 0) / 2, C: 0 -> 1/3. "max": A 1, B 1, C 0 -> 2/3.
    a = np.array([1, 1, 1, 0, 0, 0], dtype=bool)
    c = np.array([0, 0, 0, 0, 1, 1], dtype=bool)
    users = np.stack([a, a, c])
    assert human_f1(users, "mean").f1 == pytest.approx(1 / 3)
    assert human_f1(users, "max").f1 == pytest.approx(2 / 3)
    assert human_f1(users[:1], "mean") is None
    # Two annotators: each against the other, so the mean is their one tau-b. ANNOTATOR_A vs B:
    # D = 7, C = 0; ties in A: (0,1), (3,4); in B: (1,2) -> -7 / sqrt(8 * 9).
    result = human_correlation(AnnotatorScores(np.stack([ANNOTATOR_A, ANNOTATOR_B])))
    assert result.kendall_tau == pytest.approx(-7 / math.sqrt(72), abs=1e-12)


def test_uniform_selection_is_evenly_spaced_within_budget():
    bounds = np.stack([np.arange(0, 1000, 10), np.arange(10, 1010, 10)], axis=1)  # 100 shots of 10 frames
    chosen = uniform_selection(bounds, 1000, 0.15)
    picked = np.flatnonzero(chosen)
    assert len(picked) == 15 and (bounds[picked, 1] - bounds[picked, 0]).sum() == 150
    assert set(np.diff(picked)) <= {6, 7}  # 100 / 15 = 6.67 shots apart
    assert picked[0] in (3, 4) and picked[-1] in (95, 96)  # centred, not packed to one end
    # Every shot longer than the budget: nothing fits, nothing is chosen.
    assert not uniform_selection(np.array([[0, 500], [500, 1000]]), 1000, 0.15).any()


def test_change_points_end_frame_is_inclusive():
    bounds = change_point_bounds(np.array([[0, 9], [10, 24], [25, 29]]), 30)
    assert bounds.tolist() == [[0, 10], [10, 25], [25, 30]]
    with pytest.raises(InputError, match="overlap"):
        change_point_bounds(np.array([[0, 10], [10, 29]]), 30)


def test_random_scorer_is_seeded_per_video():
    features = np.random.default_rng(0).random((50, 8)).astype(np.float32)

    def draw(seed, name, feats=features):
        return get_scorer("random", seed=seed).score_video(feats, identity=name)

    first, again = draw(3, "video_1"), draw(3, "video_1")
    assert np.array_equal(first, again) and first.min() >= 0 and first.max() < 1
    assert not np.array_equal(first, draw(4, "video_1"))
    assert not np.array_equal(first, draw(3, "video_2"))
    assert np.array_equal(first, draw(3, "video_1", features[::-1].copy()))  # the name, not the content
    with pytest.raises(UsageError):
        get_scorer("random", seed=-1)


def _hand_file(tmp_path, dataset):
    """One 10-frame video: shots [0, 3), [3, 5), [5, 10); users A and B; a scorer that
    predicts PRED (feature column 0)."""
    features = np.zeros((5, 4), dtype=np.float32)
    features[:, 0] = PRED
    features[:, 1] = 1
    video = FeatureVideo("video_1", "hand" if dataset == "summe" else None, features, np.arange(0, 10, 2),
                         np.array([[0, 3], [3, 5], [5, 10]]), 10, np.stack([USER_A, USER_B]))
    write_feature_file(tmp_path / f"eccv16_dataset_{dataset}_google_pool5.h5", [video])
    if dataset == "tvsum":  # each annotator's 1-5 score of every frame; frame 2k+1 repeats frame 2k
        scores = np.repeat(np.stack([ANNOTATOR_A, ANNOTATOR_B]), 2, axis=1)
        write_tvsum_tsv(tmp_path / "ydata-tvsum50-anno.tsv", [AnnotatedVideo("handvid", 10, scores, category="XX")])


def test_hand_case_through_the_tvsum_protocol(tmp_path, oracle):
    _hand_file(tmp_path, "tvsum")
    # Budget 0.3 -> capacity 3 frames. Shot values (mean frame score): [0, 3) = (0.9 + 0.9 + 0.5) / 3,
    # [3, 5) = 0.5, [5, 10) does not fit; the knapsack keeps [0, 3): MACHINE.
    result = evaluate("tvsum", data_dir=tmp_path, methods=[oracle], references=["human"], budget=0.3)
    row = result.method("oracle")
    assert row.f1 == pytest.approx(1 / 3) and row.precision == pytest.approx(1 / 3)
    assert row.kendall_tau == pytest.approx((TAU_A + TAU_B) / 2, abs=1e-12)
    assert row.spearman_rho == pytest.approx((RHO_A + RHO_B) / 2, abs=1e-12)
    assert result.per_video["video_1"]["oracle"].selected_fraction == pytest.approx(0.3)
    human = result.method("human")
    assert human.f1 == 0.0 and human.kendall_tau == pytest.approx(-7 / math.sqrt(72), abs=1e-12)


def test_hand_case_through_the_summe_protocol(tmp_path, oracle):
    _hand_file(tmp_path, "summe")
    result = evaluate("summe", data_dir=tmp_path, methods=[oracle], references=(), budget=0.3)
    row = result.method("oracle")
    assert (row.f1, row.precision, row.recall) == pytest.approx((2 / 3, 2 / 3, 2 / 3))  # max over users
    # SumMe's annotators are the users' 0/1 selections at the samples: A -> 1 0 0 0 0, B -> 0 0 0 1 1.
    # PRED vs A: C = 4, D = 0, n1 = 1, n2 = 6 -> 4 / sqrt(9 * 4). PRED vs B: C = 0, D = 6, n1 = 1,
    # n2 = 4 -> -6 / sqrt(9 * 6).
    assert row.kendall_tau == pytest.approx((4 / 6 - 6 / math.sqrt(54)) / 2, abs=1e-12)
    assert result.videos[0]["title"] == "hand"


# --------------------------------------------------------------------------- synthetic files


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eval")
    for dataset in ("tvsum", "summe"):
        write_dataset(folder / dataset, dataset, n_videos=8, seed=1)
    return folder


@pytest.mark.parametrize("dataset", ["tvsum", "summe"])
def test_ground_truth_beats_random_by_a_wide_margin(synthetic, oracle, dataset):
    result = evaluate(dataset, data_dir=synthetic / dataset, methods=[oracle], references=["random", "human"],
                      random_draws=5)
    truth, chance = result.method("oracle"), result.method("random")
    assert truth.n_videos == chance.n_videos == 8 and chance.draws == 5
    assert truth.f1 > chance.f1 + 0.2
    assert truth.kendall_tau > chance.kendall_tau + 0.15 and truth.spearman_rho > chance.spearman_rho + 0.15
    assert abs(chance.kendall_tau) < 0.03 and abs(chance.spearman_rho) < 0.04
    assert result.method("human").kendall_tau > 0.3  # the synthetic annotators agree with each other


def test_random_stays_near_zero_correlation_over_many_seeds(synthetic):
    taus, rhos = [], []
    for seed in range(20):
        row = evaluate("tvsum", data_dir=synthetic / "tvsum", methods=[f"random:seed={seed}"], references=()
                       ).method(f"random:seed={seed}")
        taus.append(row.kendall_tau)
        rhos.append(row.spearman_rho)
    assert len(set(taus)) == 20  # the seeds give different draws
    assert abs(np.mean(taus)) < 0.01 and abs(np.mean(rhos)) < 0.015
    assert np.std(taus) < 0.03


def test_methods_share_one_read_of_each_video(synthetic, monkeypatch):
    reads = []
    original = FeatureFile.read
    monkeypatch.setattr(FeatureFile, "read", lambda self, key: reads.append(key) or original(self, key))
    result = evaluate("summe", data_dir=synthetic / "summe",
                      methods=["contrastive", "contrastive:variant=align", "random", "uniform"], random_draws=3)
    assert sorted(reads) == sorted(f"video_{i}" for i in range(1, 9))
    assert [m.label for m in result.methods] == ["contrastive", "contrastive:variant=align", "random", "uniform",
                                                 "human"]
    assert [m.kind for m in result.methods] == ["method", "method", "reference", "reference", "reference"]
    assert result.method("contrastive:variant=align").params["variant"] == "align"
    assert result.method("uniform").kendall_tau is None


def test_scores_are_computed_on_one_torch_thread_whatever_the_cores(synthetic, monkeypatch):
    """The pipeline scores on one PyTorch thread so numbers do not depend on the machine's cores
    (summarize/threads.py); the evaluation must score the same way, or its tables would."""
    from summarize.scoring.contrastive import ContrastiveScorer

    seen = []
    original = ContrastiveScorer.score
    monkeypatch.setattr(ContrastiveScorer, "score",
                        lambda self, *a, **k: seen.append(torch.get_num_threads()) or original(self, *a, **k))
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        evaluate("summe", data_dir=synthetic / "summe", methods=["contrastive"], references=())
        assert torch.get_num_threads() == 2  # restored
    finally:
        torch.set_num_threads(previous)
    assert seen == [1] * 8


def test_splits_report_the_mean_over_folds(synthetic, tmp_path):
    folds = [{"train_keys": [], "test_keys": ["video_1"]},
             {"train_keys": [], "test_keys": ["some/eccv16_dataset_tvsum_google_pool5.h5/video_2", "video_3",
                                               "video_4"]}]
    (tmp_path / "splits.json").write_text(json.dumps(folds))
    result = evaluate("tvsum", data_dir=synthetic / "tvsum", methods=["contrastive"], references=(),
                      splits=tmp_path / "splits.json")
    row = result.method("contrastive")
    per = result.per_video
    assert sorted(per) == ["video_1", "video_2", "video_3", "video_4"] and row.n_videos == 4
    fold_means = [per["video_1"]["contrastive"].f1, np.mean([per[f"video_{i}"]["contrastive"].f1 for i in (2, 3, 4)])]
    assert row.f1 == pytest.approx(np.mean(fold_means))  # mean of fold means, not of videos
    assert [f["n_videos"] for f in row.folds] == [1, 3]
    (tmp_path / "bad.json").write_text(json.dumps([{"test_keys": ["video_99"]}]))
    with pytest.raises(UsageError, match="video_99"):
        evaluate("tvsum", data_dir=synthetic / "tvsum", splits=tmp_path / "bad.json")


def test_tvsum_annotations_must_match_the_feature_file(synthetic, tmp_path):
    import shutil

    shutil.copy(synthetic / "tvsum" / "eccv16_dataset_tvsum_google_pool5.h5", tmp_path)
    with pytest.raises(UsageError, match="--annotations"):
        evaluate("tvsum", data_dir=tmp_path)
    lines = (synthetic / "tvsum" / "ydata-tvsum50-anno.tsv").read_text().splitlines()
    # Swap the first two videos' annotations: frame counts no longer agree for video_1.
    (tmp_path / "swapped.tsv").write_text("\n".join(lines[20:40] + lines[:20] + lines[40:]) + "\n")
    with pytest.raises(InputError, match=r"video_1 of .* has \d+ frames but TVSum entry 1"):
        evaluate("tvsum", data_dir=tmp_path, annotations=tmp_path / "swapped.tsv")


def test_json_has_protocol_parameters_and_every_video(synthetic, tmp_path):
    result = evaluate("summe", data_dir=synthetic / "summe", methods=["contrastive"], random_draws=2)
    path = result.write_json(tmp_path / "out" / "summe.json")
    document = json.loads(path.read_text())
    assert document["format"] == "summarize.evaluation" and document["mode"] == "features"
    rules = {r["name"]: r for r in document["protocol"]["rules"]}
    assert rules["f1"]["parameters"]["over_users"] == "max"
    assert rules["shots"]["parameters"]["end_frame"] == "inclusive"
    assert rules["selection"]["parameters"] == {"budget": 0.15, "shots_split": False,
                                                "solver": "OR-Tools divide and conquer"}
    assert "average ranks" in rules["rank_correlation"]["text"]
    assert document["parameters"]["random_seeds"] == [0, 1]
    assert document["parameters"]["methods"][0]["params"]["variant"] == "align+uniform"
    assert len(document["videos"]) == 8 and len(document["per_video"]) == 8 * 4
    assert {r["label"] for r in document["results"]} == {"contrastive", "random", "uniform", "human"}
    assert sorted(p.name for p in path.parent.iterdir()) == ["summe.json"]  # no temporary left


def test_alignment_trims_to_the_shorter_and_refuses_the_wrong_video():
    n, note = align_frames("v", 2576, 2574, 29.97)
    assert n == 2574 and note["trimmed_frames"] == 2 and note["trimmed_from"] == "decoded"
    n, note = align_frames("v", 3119, 3120, 30.0)
    assert n == 3119 and note["trimmed_from"] == "annotation"
    assert align_frames("v", 100, 100, 30.0)[1]["trimmed_frames"] == 0
    with pytest.raises(InputError, match="decodes to 4000 frames but its annotation has 3000"):
        align_frames("v", 4000, 3000, 30.0)


# --------------------------------------------------------------------------- the real data


def test_real_tvsum_annotations_parse(data_dir, tmp_path):
    videos = read_tvsum(data_dir / "tvsum" / "ydata-tvsum50.mat")
    assert len(videos) == 50 and all(v.n_annotators == 20 for v in videos)
    assert sum(v.n_frames for v in videos) == 352_353
    assert all(v.scores.shape == (20, v.n_frames) and set(np.unique(v.scores)) <= {1, 2, 3, 4, 5} for v in videos)
    assert (videos[0].name, videos[0].n_frames, videos[0].category) == ("AwmHb44_ouw", 10597, "VT")
    # The TSV release reads to the same thing, in the info file's order.
    tsv = tmp_path / "ydata-tvsum50-anno.tsv"
    write_tvsum_tsv(tsv, videos[::-1])
    (tmp_path / "ydata-tvsum50-info.tsv").write_bytes((data_dir / "tvsum" / "ydata-tvsum50-info.tsv").read_bytes())
    again = read_tvsum(tsv)
    assert [v.name for v in again] == [v.name for v in videos]
    assert all(np.array_equal(a.scores, b.scores) for a, b in zip(again, videos))
    assert again[0].title == videos[0].title


def test_real_summe_ground_truth_parses(data_dir):
    videos = read_summe(data_dir / "summe" / "GT")
    assert len(videos) == 25 and all(15 <= v.n_annotators <= 18 for v in videos)
    by_name = {v.name: v for v in videos}
    assert by_name["paluma_jump"].n_frames == 2574 and by_name["playing_ball"].n_frames == 3120
    assert by_name["Base jumping"].n_annotators == 18
    assert all(set(np.unique(v.scores)) == {0, 1} for v in videos)
    assert all(0.03 < v.scores.mean() < 0.2 for v in videos)  # users kept roughly 5-15% each


def test_raw_tvsum_video_builds_user_summaries_over_our_shots(four_scene_video, tmp_path):
    # A 600-frame video (four 6-second scenes) named as a TVSum id, three annotators who all
    # prefer scene 3, and an annotation one frame longer than the video.
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "abcDEF12345.mp4").symlink_to(four_scene_video.path)
    n = four_scene_video.n_frames + 1
    scores = np.ones((3, n), dtype=np.uint8)
    scores[:, 300:450] = 5
    scores[1, 0:60] = 3
    write_tvsum_tsv(tmp_path / "ydata-tvsum50-anno.tsv", [AnnotatedVideo("abcDEF12345", n, scores, category="XX")])
    # Budget 0.3: 180 frames, room for one 150-frame scene (at 0.15 no scene fits and every
    # keyshot summary, the users' too, would be empty).
    result = evaluate("tvsum", videos=videos, annotations=tmp_path / "ydata-tvsum50-anno.tsv", methods=["random"],
                      references=["human"], random_draws=2, device="cpu", budget=0.3)
    video = result.videos[0]
    assert video["alignment"]["trimmed_from"] == "annotation" and video["n_frames"] == n - 1
    assert video["n_users"] == video["n_annotators"] == 3 and video["n_shots"] >= 4
    # Every annotator's keyshot summary is scene 3 (frames 300-449), so people agree.
    assert result.method("human").f1 > 0.9 and result.method("human").kendall_tau > 0.8
    assert result.protocol.rule("user_summaries").parameters["source"] == "annotations + knapsack"


@pytest.mark.slow
def test_raw_summe_videos_end_to_end_with_alignment_note(data_dir, tmp_path):
    result = evaluate("summe", videos=data_dir / "summe" / "videos", annotations=data_dir / "summe" / "GT",
                      methods=["contrastive", "contrastive:variant=align"], device="cpu", random_draws=3)
    path = result.write_json(tmp_path / "summe.json")
    document = json.loads(path.read_text())
    videos = {v["name"]: v for v in document["videos"]}
    assert sorted(videos) == ["paluma_jump", "playing_ball"]
    assert videos["paluma_jump"]["alignment"] | {"note": ""} == {
        "decoded_frames": 2576, "annotated_frames": 2574, "evaluated_frames": 2574, "trimmed_frames": 2,
        "trimmed_from": "decoded", "note": ""}
    assert videos["playing_ball"]["alignment"]["decoded_frames"] == 3121
    assert videos["playing_ball"]["alignment"]["evaluated_frames"] == 3120
    assert any(n.startswith("paluma_jump: decoded 2576 frames, annotated 2574") for n in document["notes"])
    assert document["parameters"]["data"]["annotated_videos_not_found"].__len__() == 23
    rows = {r["label"]: r for r in document["results"]}
    assert all(rows[label]["n_videos"] == 2 for label in rows)
    # People agree with each other far more than chance does (a smoke test on two videos).
    assert rows["human"]["f1"] > rows["random"]["f1"] + 0.2
    assert rows["human"]["kendall_tau"] > rows["random"]["kendall_tau"] + 0.1


def test_only_stochastic_scorers_are_averaged_over_seeds():
    from summarize.evaluation.runner import MethodSpec

    assert MethodSpec.parse("random").draws_seeds
    assert not MethodSpec.parse("random:seed=3").draws_seeds  # the user fixed the draw
    assert not MethodSpec.parse("contrastive").draws_seeds  # no seed at all
    assert not MethodSpec.parse("mae").draws_seeds  # seeded only through --adapt
    assert MethodSpec.parse("mae:adapt=5").draws_seeds
