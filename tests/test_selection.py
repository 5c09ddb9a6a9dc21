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


def test_no_room_chooses_nothing_not_even_a_shot_that_weighs_nothing():
    # The solver would take a weightless item at capacity 0; a summary with no room is empty.
    assert knapsack([1.0, 2.0], [0, 1], 0).tolist() == [False, False]
    assert knapsack([1.0, 2.0], [0, 1], -1).tolist() == [False, False]
    assert knapsack([1.0, 2.0], [0, 1], 1).tolist() == [True, True]  # with room, it costs nothing


def test_scores_are_spread_in_float64_whatever_the_scorer_returns():
    # Shot values are means of these: a float32 scorer must not round them to 7 digits.
    spread = frame_scores(np.array([0.1, 1 / 3], dtype=np.float32), [0, 2], 4)
    assert spread.dtype == np.float64 and spread.tolist() == np.float32([0.1, 0.1, 1 / 3, 1 / 3]).tolist()
    assert frame_scores([1, 2], [0, 1], 3).dtype == np.float64


def test_weights_are_frame_counts_without_durations_and_time_units_with_them():
    bounds, scores = [(0, 3), (3, 5), (5, 10)], np.linspace(0, 1, 10)
    frames = select_shots(bounds, scores, 0.5)
    assert frames.unit is None and frames.weights.tolist() == [3, 2, 5] and frames.capacity == 5
    # One-second frames: the unit is one second and the weights the same counts, from the first frame on.
    timed = select_shots(bounds, scores, 0.5, frame_durations=np.ones(10))
    assert timed.unit == 1.0 and timed.weights.tolist() == [3, 2, 5] and timed.capacity == 5
    assert timed.selected.tolist() == frames.selected.tolist() == [False, False, True]
    # Frames twice as long from frame 6 on: the median is one second, the last shot weighs 1 + 4 x 2
    # and the capacity is half of 14 s; it does not fit (and is not split: min_fill 0).
    slow = select_shots(bounds, scores, 0.5, min_fill=0, frame_durations=np.r_[np.ones(6), np.full(4, 2.0)])
    assert slow.unit == 1.0 and slow.weights.tolist() == [3, 2, 9] and slow.capacity == 7
    assert slow.selected.tolist() == [True, True, False]


def test_splitting_stops_once_every_shot_is_at_most_the_unfillable_share(monkeypatch):
    # A solver that takes nothing (as it may with shots worth nothing): the fill is never reached,
    # so shots are halved until each is at most (1 - min_fill) x capacity = 50 frames, and no further.
    import summarize.selection as selection

    monkeypatch.setattr(selection, "knapsack", lambda values, weights, capacity: np.zeros(len(values), bool))
    chosen = select_shots([(0, 800)], np.zeros(800), 0.125, min_fill=0.5)  # capacity 100
    assert chosen.capacity == 100 and chosen.n_split == 15 and not chosen.selected.any()
    assert chosen.bounds.tolist() == [[k * 50, (k + 1) * 50] for k in range(16)]
    # min_fill 1: nothing is short enough until shots are single frames.
    single = select_shots([(0, 8)], np.zeros(8), 0.5, min_fill=1.0)
    assert single.n_split == 7 and single.bounds.tolist() == [[k, k + 1] for k in range(8)]


def test_two_frame_shots_are_cut_when_only_single_frames_fill_the_budget():
    # Five 2-frame shots, capacity 3, min_fill 1: two frames are not a full fill, so every shot is
    # cut into single frames and the three best frames are taken.
    scores = np.array([0.1, 0.2, 0.9, 0.3, 0.4, 0.5, 0.8, 0.6, 0.7, 0.0])
    chosen = select_shots([(k, k + 2) for k in range(0, 10, 2)], scores, 0.3, min_fill=1.0)
    assert chosen.capacity == 3 and chosen.n_split == 5 and chosen.selected_frames == 3
    assert chosen.bounds[chosen.selected].tolist() == [[2, 3], [6, 7], [8, 9]]
