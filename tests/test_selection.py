"""Knapsack selection: hand cases, the benchmark's score spreading, and never-empty summaries."""

import numpy as np
import pytest

from summarize.selection import capacity_frames, frame_scores, knapsack, select_shots, shot_values


def test_knapsack_by_hand():
    # capacity 5: {1, 2} is worth 7 and weighs 5; {0} is worth 5.
    assert knapsack([5, 4, 3], [4, 3, 2], 5).tolist() == [False, True, True]
    assert knapsack([1, 1], [3, 3], 2).tolist() == [False, False]
    assert knapsack([], [], 10).tolist() == []
    assert knapsack([5.0], [1], 1).tolist() == [True]  # one item, one frame of room
    nothing = knapsack([1.0, 2.0], [1, 1], 0)
    assert nothing.dtype == bool and nothing.tolist() == [False, False]  # a mask, usable as an index


def test_knapsack_matches_exhaustive_search():
    rng = np.random.default_rng(0)
    for _ in range(20):
        values, weights = rng.random(9), rng.integers(1, 30, 9)
        capacity = int(rng.integers(10, 80))
        chosen = knapsack(values, weights, capacity)
        best = max(
            (sum(values[i] for i in range(9) if mask >> i & 1), mask)
            for mask in range(512)
            if sum(weights[i] for i in range(9) if mask >> i & 1) <= capacity
        )
        assert weights[chosen].sum() <= capacity
        assert values[chosen].sum() == pytest.approx(best[0], abs=1e-5)


def test_scores_spread_to_every_frame():
    # Samples at frames 0, 3, 6 of an 8-frame video: each frame takes the sample before it.
    spread = frame_scores(np.array([1.0, 2.0, 3.0]), np.array([0, 3, 6]), 8)
    assert spread.tolist() == [1, 1, 1, 2, 2, 2, 3, 3]


def test_shot_value_is_mean_frame_score():
    values = shot_values(np.array([[0, 2], [2, 5]]), np.array([1.0, 3.0, 0.0, 0.0, 6.0]))
    assert values.tolist() == pytest.approx([2.0, 2.0])


def test_capacity_is_floor_of_budget_times_frames():
    assert capacity_frames(0.15, 1000) == 150
    assert capacity_frames(0.15, 999) == 149
    assert capacity_frames(0.001, 10) == 1  # never zero


def test_one_long_shot_still_gives_a_summary_within_budget():
    selection = select_shots(np.array([[0, 1000]]), np.ones(1000), 0.15)
    assert selection.selected.any()
    assert 0.8 * 150 <= selection.selected_frames <= 150
    assert selection.n_split > 0


def test_published_protocol_never_splits_and_can_come_out_empty():
    # min_fill=0 is the evaluation rule: a shot longer than the budget is simply not taken.
    selection = select_shots(np.array([[0, 1000]]), np.ones(1000), 0.15, min_fill=0)
    assert not selection.selected.any() and selection.n_split == 0


def test_selection_prefers_high_scores_and_stays_in_time_order():
    scores = np.concatenate([np.full(100, 0.1), np.full(100, 0.9), np.full(100, 0.2), np.full(100, 0.8)])
    bounds = np.array([[0, 100], [100, 200], [200, 300], [300, 400]])
    selection = select_shots(bounds, scores, 0.5)
    assert selection.selected.tolist() == [False, True, False, True]
    assert np.all(np.diff(selection.bounds[:, 0]) > 0)


def test_splitting_keeps_frames_contiguous_and_complete():
    selection = select_shots(np.array([[0, 301], [301, 1000]]), np.linspace(0, 1, 1000), 0.05)
    bounds = selection.bounds
    assert bounds[0, 0] == 0 and bounds[-1, 1] == 1000
    assert np.all(bounds[1:, 0] == bounds[:-1, 1])
    assert 0.8 * 50 <= selection.selected_frames <= 50


def test_halving_cuts_every_shot_over_half_the_longest_at_its_middle():
    from summarize.selection import _halve_longest

    def halve(bounds):  # at a constant frame rate a shot weighs its frame count
        bounds = np.array(bounds)
        return _halve_longest(bounds, bounds[:, 1] - bounds[:, 0])

    # Lengths 10, 3, 7, 1: the 10 and the 7 are over half the longest; the 7 splits 4 + 3.
    bounds, split = halve([[0, 10], [10, 13], [13, 20], [20, 21]])
    assert bounds.tolist() == [[0, 5], [5, 10], [10, 13], [13, 17], [17, 20], [20, 21]] and split == 2
    assert bounds.dtype == np.int64
    # Lengths 10, 4, 5, 2: only the 10 is over half the longest (the 5 is exactly half).
    bounds, split = halve([[0, 10], [10, 14], [14, 19], [19, 21]])
    assert bounds.tolist() == [[0, 5], [5, 10], [10, 14], [14, 19], [19, 21]] and split == 1
    bounds, split = halve([[0, 3], [3, 5]])  # a two-frame shot over half of 3 is cut
    assert bounds.tolist() == [[0, 2], [2, 3], [3, 4], [4, 5]] and split == 2
    bounds, split = halve([[0, 1], [1, 2]])  # one-frame shots cannot be cut
    assert bounds.tolist() == [[0, 1], [1, 2]] and split == 0


def test_one_long_shot_is_halved_until_a_half_fits_by_hand():
    # Capacity 150, fill 0.8 x 150 = 120: 1000 -> 2 x 500 -> 4 x 250 -> 8 x 125 (7 cuts); one 125 fits.
    selection = select_shots(np.array([[0, 1000]]), np.ones(1000), 0.15)
    assert (selection.capacity, selection.n_split, selection.selected_frames) == (150, 7, 125)
    assert selection.bounds.tolist() == [[k * 125, (k + 1) * 125] for k in range(8)]
    assert selection.selected.sum() == 1 and selection.values.tolist() == [1.0] * 8


def test_a_frame_before_the_first_sample_takes_the_first_sample():
    # Samples at frames 2 and 5 (a stream whose first frame is not sampled): frames 0-1 take sample 0.
    assert frame_scores(np.array([1.0, 2.0]), np.array([2, 5]), 7).tolist() == [1, 1, 1, 1, 1, 2, 2]


def test_a_one_frame_shot_is_worth_its_frame():
    assert shot_values(np.array([[0, 1], [1, 3]]), np.array([4.0, 1.0, 3.0])).tolist() == [4.0, 2.0]


@pytest.mark.parametrize("min_fill", [0.5, 0.8, 1.0])
def test_splitting_goes_on_until_the_fill_is_reached_or_every_shot_is_short(min_fill):
    rng = np.random.default_rng(int(min_fill * 10))
    for _ in range(30):
        n = int(rng.integers(50, 400))
        cuts = np.sort(rng.choice(np.arange(1, n), size=int(rng.integers(0, 5)), replace=False))
        edges = np.concatenate([[0], cuts, [n]])
        bounds = np.stack([edges[:-1], edges[1:]], axis=1)
        budget = float(rng.uniform(0.02, 0.5))
        selection = select_shots(bounds, rng.random(n), budget, min_fill=min_fill)
        lengths = selection.bounds[:, 1] - selection.bounds[:, 0]
        capacity = capacity_frames(budget, n)
        assert selection.capacity == capacity and selection.selected_frames <= capacity
        assert selection.selected_frames >= min_fill * capacity or lengths.max() <= max(1, (1 - min_fill) * capacity)
        assert selection.n_split == len(selection.bounds) - len(bounds)  # every cut counted once
        assert selection.bounds[0, 0] == 0 and selection.bounds[-1, 1] == n
        assert np.all(selection.bounds[1:, 0] == selection.bounds[:-1, 1])
