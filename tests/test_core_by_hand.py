"""Small hand-worked cases of the core steps (selection, segmentation, scoring, metrics,
protocols) for what the broader tests leave open: each pins a number or a decision a
user would see change. Many were written against mutants that survived the fast suite
(scripts/mutation.py); the comment says which behaviour each one protects."""

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter1d

from summarize.evaluation.metrics import (AnnotatorScores, F1Score, RankCorrelation, combine_users, f1_per_user,
                                         rank_correlations, safe_ratio)
from summarize.errors import UsageError
from summarize.networks import ContrastiveConfig, RefinementNet
from summarize.scoring.contrastive import ContrastiveScorer, local_and_global, minmax
from summarize.selection import select_shots


def test_frames_without_duration_weigh_by_the_mean_duration_or_one_unit():
    # Most frames of zero duration (timestamps repeated by a damaged muxer): the median is 0,
    # so the unit is the mean frame duration; with no duration at all, one second.
    bounds = [(0, 3), (3, 4), (4, 5)]
    sel = select_shots(bounds, np.array([0.1, 0.1, 0.1, 0.9, 0.5]), budget=0.4, min_fill=0,
                       frame_durations=np.array([0, 0, 0, 1, 3]))
    assert sel.unit == 0.8 and sel.weights.tolist() == [0, 1, 4] and sel.capacity == 2
    assert sel.selected.tolist() == [True, True, False]
    zero = select_shots(bounds, np.full(5, 0.5), budget=0.4, min_fill=0, frame_durations=np.zeros(5))
    assert zero.unit == 1.0 and zero.weights.tolist() == [0, 0, 0] and zero.capacity == 1
    assert zero.selected.all()



def test_a_single_frame_longer_than_the_budget_ends_the_splitting_with_the_last_selection():
    # A 10 s still frame among 25 fps ones: the capacity (25 units of 0.04 s) cannot take it and
    # a single frame cannot be cut, so the selection stops with the short shot only.
    sel = select_shots([(0, 1), (1, 3)], np.array([0.9, 0.2, 0.2]), budget=0.1, min_fill=0.8,
                       frame_durations=np.array([10.0, 0.04, 0.04]))
    assert sel.bounds.tolist() == [[0, 1], [1, 3]] and sel.selected.tolist() == [False, True]
    assert sel.values.tolist() == pytest.approx([0.9, 0.2]) and sel.weights.tolist() == [250, 2]
    assert (sel.capacity, sel.n_split, sel.unit) == (25, 0, 0.04)


def test_the_protocol_says_how_folds_and_random_draws_were_used():
    from summarize.evaluation.protocols import protocol_for

    folds = protocol_for("tvsum", "features", budget=0.2, random_draws=3, splits=True)
    assert folds.rule("videos").text == "the mean over the 5 folds of the mean over each fold's test videos (--splits)"
    assert folds.rule("videos").parameters == {"splits": True}
    assert folds.rule("random").parameters == {"draws": 3} and "averaged over 3 seeded draws" in folds.rule(
        "random").text
    assert folds.rule("selection").parameters["budget"] == 0.2 and folds.f1_rule == "mean"
    assert protocol_for("summe", "videos", fps=1.0).rule("samples").parameters == {"fps": 1.0,
                                                                                   "alignment": "trim to the shorter"}


# ---- metrics --------------------------------------------------------------------------------


def test_summaries_stored_as_floats_count_like_booleans():
    # The eccv16 feature files store user summaries as float 0/1 rows.
    machine = np.array([1, 1, 0, 0, 1, 0], dtype=bool)
    users = np.array([[1, 0, 0, 0, 1, 1], [0, 0, 1, 1, 0, 0]], dtype=bool)
    expected = f1_per_user(machine, users)
    # user 0: overlap 2 of 3 in S and of 3 in G -> P = R = F1 = 2/3; user 1: no overlap -> 0
    assert np.allclose(expected, [[2 / 3, 0], [2 / 3, 0], [2 / 3, 0]], atol=1e-12)
    as_floats = f1_per_user(machine.astype(np.float32), users.astype(np.float32))
    assert all(np.array_equal(a, b) for a, b in zip(expected, as_floats))


def test_safe_ratio_broadcasts_and_gives_zero_for_zero_denominators():
    assert safe_ratio(1.0, np.array([0, 2, 4])).tolist() == [0.0, 0.5, 0.25]
    assert safe_ratio(np.array([3, 1]), 0).tolist() == [0.0, 0.0]
    assert safe_ratio(np.array([[1], [2]]), np.array([1, 2])).tolist() == [[1.0, 0.5], [2.0, 1.0]]


def test_max_over_users_takes_the_best_user_wherever_it_is_with_its_p_and_r():
    f1, precision, recall = np.array([0.2, 0.9, 0.5]), np.array([0.1, 0.8, 0.4]), np.array([0.3, 1.0, 0.6])
    assert combine_users(f1, precision, recall, "max") == F1Score(0.9, 0.8, 1.0)
    mean = combine_users(f1, precision, recall, "mean")
    assert [mean.f1, mean.precision, mean.recall] == pytest.approx([1.6 / 3, 1.3 / 3, 1.9 / 3])
    with pytest.raises(ValueError, match=r"^unknown F1 rule 'median'; choose one of \('mean', 'max'\)$"):
        combine_users(f1, precision, recall, "median")


def _values(r: RankCorrelation):
    return [r.kendall_tau, r.spearman_rho, r.constant_pairs]


def test_rank_correlation_of_two_samples_is_exact():
    assert _values(rank_correlations(np.array([0.1, 0.9]), np.array([[1, 5], [5, 1]]))) == pytest.approx([0, 0, 0])
    assert _values(rank_correlations(np.array([0.1, 0.9]), np.array([[1, 5]]))) == pytest.approx([1, 1, 0])


def test_a_constant_prediction_against_a_constant_annotator_counts_as_zero():
    result = rank_correlations(np.full(3, 0.5), np.array([[2, 2, 2], [1, 2, 3]]))
    assert _values(result) == [0.0, 0.0, 2]


def test_leaving_one_annotator_out_compares_with_the_others_only():
    # against [1, 2, 4, 3]: tau = (5 - 1) / 6, rho = 1 - 6 x 2 / (4 x 15) = 0.8
    annotators = AnnotatorScores(np.array([[1, 2, 3, 4], [4, 3, 2, 1], [1, 2, 4, 3]]))
    assert _values(annotators.correlate(np.array([1, 2, 3, 4]), skip=0)) == pytest.approx(
        [(-1 + 2 / 3) / 2, (-1 + 0.8) / 2, 0])
    assert _values(annotators.correlate(np.array([1, 2, 3, 4]))) == pytest.approx(
        [(1 - 1 + 2 / 3) / 3, (1 - 1 + 0.8) / 3, 0])


# ---- the contrastive scorer's options: what each does to the scores and what the JSON records

X = np.random.default_rng(5).normal(size=(12, 8)).astype(np.float32)


def _expected(terms, names, sigma=1.0, add=1e-6, post=None):
    s = np.ones(len(X))
    for name in names:
        s = s * minmax(terms[name])
    s = np.exp(s - 1.0) if post == "exp" else s + add
    return gaussian_filter1d(s, sigma, mode="nearest") if sigma > 0 else s


def test_defaults_and_what_the_json_records():
    scorer = ContrastiveScorer()
    assert (scorer.variant, scorer.ratio, scorer.beta, scorer.sigma, scorer.epsilon) == ("align+uniform", 0.1, 2.0,
                                                                                          1.0, 1e-6)
    assert (scorer.post, scorer.refine, scorer.seed, scorer.epochs) == ("none", False, 0, 40)
    assert scorer.required_backbone is None and scorer.needs_training is False and scorer.model is None
    assert scorer.params == {"variant": "align+uniform", "neighbour_ratio": 0.1, "beta": 2.0,
                             "smoothing_sigma_samples": 1.0, "epsilon": 1e-6, "self_is_neighbour": False}
    assert ContrastiveScorer(post="exp").params["post"] == "exp(s - 1) before smoothing (CTVSUM's TVSum)"
    shift = ContrastiveScorer(post="shift").params
    assert shift["post"] == "s + 0.05 before smoothing (CTVSUM's SumMe)" and shift["epsilon"] == 0.0
    refine = ContrastiveScorer(refine=True, seed=3, epochs=2)
    assert refine.variant == "align+uniform+unique" and refine.needs_training and refine.refine is True
    assert {k: refine.params[k] for k in ("refine", "seed", "epochs")} == {
        "refine": "trained per evaluation fold on its training videos", "seed": 3, "epochs": 2}


def test_scores_are_the_product_of_min_max_terms_plus_epsilon_smoothed():
    scorer = ContrastiveScorer()
    terms = scorer.terms(X)
    assert set(terms) == {"align", "uniform"}
    local, consistency = local_and_global(X, 0.1, 2.0)
    assert np.array_equal(terms["align"], local) and np.array_equal(terms["uniform"], consistency)
    assert np.allclose(scorer.score(X), _expected(terms, ["align", "uniform"]), atol=1e-12)
    assert np.allclose(ContrastiveScorer(variant="align", sigma=0, epsilon=0.5).score(X),
                       _expected(terms, ["align"], sigma=0, add=0.5), atol=1e-12)
    assert np.allclose(ContrastiveScorer(sigma=2.5).score(X), _expected(terms, ["align", "uniform"], sigma=2.5),
                       atol=1e-12)
    assert np.allclose(ContrastiveScorer(post="exp").score(X), _expected(terms, ["align", "uniform"], post="exp"),
                       atol=1e-12)
    assert np.allclose(ContrastiveScorer(post="shift").score(X), _expected(terms, ["align", "uniform"], add=0.05),
                       atol=1e-12)
    other = ContrastiveScorer(ratio=0.5, beta=1.0).terms(X)
    assert np.array_equal(other["align"], local_and_global(X, 0.5, 1.0)[0])
    assert ContrastiveScorer().score(X[:1]).tolist() == [1.0] and len(ContrastiveScorer().score(X[:0])) == 0


def test_with_a_model_the_terms_are_refined_and_unique_is_the_filter():
    torch.manual_seed(0)
    model = RefinementNet(ContrastiveConfig(feature_dim=8, d_model=16, layers=1, heads=1, ffn_dim=32))
    scorer = ContrastiveScorer(refine=True).with_model(model, "fold 1")
    assert scorer.trained_on == "fold 1" and not scorer.needs_training
    terms = scorer.terms(X)
    with torch.inference_mode():
        z, logits = model(torch.nn.functional.normalize(torch.as_tensor(X), dim=1)[None])
    assert np.allclose(terms["unique"], torch.sigmoid(logits[0]).double().numpy(), atol=1e-7)
    assert np.allclose(terms["align"], local_and_global(X, projected=z[0])[0], atol=1e-6)
    assert not np.allclose(terms["align"], local_and_global(X)[0], atol=1e-3)  # distances on the projection
    assert np.allclose(scorer.score(X), _expected(terms, ["align", "uniform", "unique"]), atol=1e-12)
    for variant in ("align+unique", "align"):
        names = variant.split("+")
        assert np.allclose(ContrastiveScorer(refine=True, variant=variant).with_model(model).score(X),
                           _expected(terms, names), atol=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"variant": "uniform"}, "unknown contrastive variant 'uniform'; choose one of: align+uniform, align, "
                             "align+unique, align+uniform+unique"),
    ({"variant": "align+unique"}, "contrastive variant align+unique needs the trained uniqueness filter: add "
                                  "--checkpoint from `summarize train contrastive`"),
    ({"ratio": 0}, "neighbour ratio must be in (0, 1], got 0"),
    ({"ratio": 1.5}, "neighbour ratio must be in (0, 1], got 1.5"),
    ({"sigma": -0.5}, "smoothing sigma must be >= 0, got -0.5"),
    ({"post": "ctvsum"}, "post=ctvsum depends on the dataset: use it in `summarize eval`, or post=exp (the "
                         "authors' TVSum) / post=shift (their SumMe)"),
    ({"post": "log"}, "unknown post-processing 'log'; choose one of: none, exp, shift (or ctvsum in eval)"),
    ({"refine": True, "checkpoint": "x.ckpt"}, "give either checkpoint=PATH (a trained model) or refine=1 (train "
                                               "one per fold), not both"),
    ({"epochs": 0}, "epochs must be at least 1, got 0"),
])
def test_bad_values_are_one_line_usage_errors(kwargs, message):
    with pytest.raises(UsageError) as caught:
        ContrastiveScorer(**kwargs)
    assert str(caught.value) == message


def test_limits_that_are_allowed_and_refine_without_a_model_is_refused_when_scoring():
    assert ContrastiveScorer(ratio=1.0, sigma=0.0, epochs=1).ratio == 1.0
    with pytest.raises(UsageError, match=r"^contrastive refine=1 trains a model per fold in `summarize eval "
                                         r"--splits`; elsewhere give checkpoint=PATH"):
        ContrastiveScorer(refine=True).score(X)


def test_min_max_scaling_and_its_degenerate_cases():
    assert minmax(np.array([2.0, 4.0, 3.0])).tolist() == [0.0, 1.0, 0.5]
    assert minmax(np.array([3, 3, 3])).tolist() == [0.0, 0.0, 0.0]
    assert minmax(np.array([0.0, np.inf])).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match=r"^need a \(T, D\) feature matrix with T >= 2$"):
        local_and_global(X[:1])
    with pytest.raises(ValueError, match=r"^need a \(T, D\) feature matrix with T >= 2$"):
        local_and_global(X[0])
