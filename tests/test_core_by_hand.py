"""Small hand-worked cases of the core steps (selection, segmentation, scoring, metrics,
protocols) for what the broader tests leave open: each pins a number or a decision a
user would see change. Many were written against mutants that survived the fast suite
(scripts/mutation.py); the comment says which behaviour each one protects."""

import numpy as np
import pytest

from summarize.evaluation.metrics import (AnnotatorScores, F1Score, RankCorrelation, combine_users, f1_per_user,
                                         rank_correlations, safe_ratio)
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
