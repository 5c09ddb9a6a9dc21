"""Small hand-worked cases of the core steps (selection, segmentation, scoring, metrics,
protocols) for what the broader tests leave open: each pins a number or a decision a
user would see change. Many were written against mutants that survived the fast suite
(scripts/mutation.py); the comment says which behaviour each one protects."""

import numpy as np

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
