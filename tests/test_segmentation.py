"""KTS against hand-computed costs, a brute-force optimum, known cuts, and each rule of the
programme (penalty, stopping, ties, minimum length, block edges) on hand-made inputs."""

import itertools
import math
import warnings

import numpy as np
import pytest

from summarize.segmentation import block_edges, kts, kts_block, penalty, segment_costs, shot_bounds


def unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def scenes(lengths, dim=32, noise=0.05, seed=0):
    """Piecewise-constant unit features with small noise; returns (features, true cuts)."""
    rng = np.random.default_rng(seed)
    centres = unit(rng.standard_normal((len(lengths), dim)))
    x = np.concatenate([c + noise * rng.standard_normal((n, dim)) for c, n in zip(centres, lengths)])
    return unit(x), list(np.cumsum(lengths)[:-1])


def test_segment_cost_by_hand():
    # x = east, east, north. Scatter of [i, j) = sum ||x||^2 - ||sum x||^2 / (j - i).
    cost = segment_costs(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    assert cost[2, 0] == pytest.approx(0.0)  # [0, 2): two equal vectors
    assert cost[3, 0] == pytest.approx(3 - 5 / 3)  # [0, 3): sum (2, 1)
    assert cost[3, 1] == pytest.approx(2 - 2 / 2)  # [1, 3): sum (1, 1)
    assert cost[1, 1] == np.inf  # empty segment


def test_penalty_formula():
    # vmax * m / (2n) * (log(n / m) + 1), Potapov et al. 2014 as in their reference code.
    assert penalty(3, 100, 1.0) == pytest.approx(3 / 200 * (math.log(100 / 3) + 1))
    assert penalty(0, 100) == 0.0
    assert penalty(5, 50, 2.0) == pytest.approx(2 * penalty(5, 50, 1.0))


def brute_force(x, vmax=1.0):
    """Best segmentation by enumerating every set of change points."""
    n = len(x)
    cost = segment_costs(x)
    best = (math.inf, ())
    for m in range(n):
        for cps in itertools.combinations(range(1, n), m):
            edges = (0, *cps, n)
            scatter = sum(cost[b, a] for a, b in zip(edges[:-1], edges[1:]))
            value = scatter / n + float(penalty(m, n, vmax))
            best = min(best, (value, cps))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dynamic_programme_finds_the_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    x, _ = scenes([3, 4, 2, 3], dim=6, noise=0.6, seed=seed)
    x = unit(x + 0.3 * rng.standard_normal(x.shape))
    value, cps = brute_force(x)
    found, objective = kts_block(x)
    assert tuple(found) == cps
    assert objective.min() == pytest.approx(value, rel=1e-5)


def test_finds_clean_cuts_exactly_and_nothing_in_a_constant_video():
    x, cuts = scenes([20, 35, 15, 30])
    assert kts(x).tolist() == cuts
    assert kts(np.tile(unit([1.0, 2.0, 3.0]), (50, 1))).tolist() == []


def test_long_inputs_are_cut_into_blocks_at_real_cuts():
    rng = np.random.default_rng(7)
    lengths = rng.integers(8, 40, 130).tolist()
    x, cuts = scenes(lengths, seed=7)
    edges = block_edges(x, 1000)
    assert len(edges) == math.ceil(len(x) / 1000) + 1
    assert all(e in cuts for e in edges[1:-1])  # block edges snap to the strongest jump
    found = kts(x, block_size=1000)
    assert found.tolist() == cuts


def test_shot_bounds_cover_the_video():
    assert shot_bounds(np.array([3, 7]), 10).tolist() == [[0, 3], [3, 7], [7, 10]]
    assert shot_bounds(np.array([], dtype=int), 4).tolist() == [[0, 4]]


# --- Edge cases and each rule of the programme, on inputs small enough to check by hand ----------

E = np.eye(3)


def optimum_by_m(x, min_length=1, max_m=None):
    """For each number of change points m: the least total scatter over every placement whose
    segments are all at least ``min_length`` long, and that placement (enumeration)."""
    n = len(x)
    cost = segment_costs(x)
    best = {}
    for m in range(n if max_m is None else max_m + 1):
        for cps in itertools.combinations(range(1, n), m):
            edges = (0, *cps, n)
            if min(b - a for a, b in zip(edges[:-1], edges[1:])) < min_length:
                continue
            scatter = sum(cost[b, a] for a, b in zip(edges[:-1], edges[1:]))
            best[m] = min(best.get(m, (math.inf, ())), (scatter, cps))
    return best


def test_penalty_for_one_change_point_and_for_many_at_once():
    # m = 1 is the first penalty the programme meets: log(n / 1), not log(n / 2).
    assert float(penalty(1, 10)) == pytest.approx(1 / 20 * (math.log(10) + 1))
    assert float(penalty(1, 2, 3.0)) == pytest.approx(3 / 4 * (math.log(2) + 1))
    many = penalty(np.array([0, 1, 4]), 8, 0.5)
    assert many.tolist() == pytest.approx([0.0, 0.5 / 16 * (math.log(8) + 1), 0.5 * 4 / 16 * (math.log(2) + 1)])


def test_segment_costs_match_the_definition_and_respect_the_minimum_length():
    rng = np.random.default_rng(3)
    x = unit(rng.standard_normal((9, 4)))
    for min_length in (1, 2, 3):
        cost = segment_costs(x, min_length)
        for j in range(10):
            for i in range(10):
                if j - i >= min_length:
                    part = x[i:j]
                    assert cost[j, i] == pytest.approx(((part - part.mean(0)) ** 2).sum(), abs=1e-12)
                else:
                    assert cost[j, i] == np.inf, (min_length, j, i)
    one = segment_costs(x)
    assert [one[j, j - 1] for j in range(1, 10)] == pytest.approx([0.0] * 9, abs=1e-12)  # one sample: no scatter


def test_segment_costs_of_float32_features_are_computed_in_float64():
    rng = np.random.default_rng(4)
    x = unit(rng.standard_normal((40, 16))).astype(np.float32)
    assert np.array_equal(segment_costs(x), segment_costs(x.astype(np.float64)))


def test_no_numpy_warnings_from_empty_or_too_short_segments():
    rng = np.random.default_rng(5)
    x = unit(rng.standard_normal((30, 4)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        segment_costs(x, 3)
        kts(x, min_length=2, block_size=12)
        penalty(np.arange(5), 30)


def test_two_and_three_distinct_samples_are_each_a_shot():
    # [e0, e1]: one segment scatters 1 (0.5 per sample), two cost penalty(1, 2) = 0.42.
    assert kts(E[:2]).tolist() == [1]
    # Three: 2/3 per sample in one segment, 0.68 with one cut, penalty(2, 3) = 0.47 with two.
    found, objective = kts_block(E)
    assert found.tolist() == [1, 2]
    assert objective.tolist() == pytest.approx([2 / 3, 1 / 3 + float(penalty(1, 3)), float(penalty(2, 3))], rel=1e-6)


def test_too_short_inputs_give_no_change_points():
    for x in (np.zeros((0, 3)), E[:1]):
        found = kts(x)
        assert found.dtype == np.int64 and found.shape == (0,)
    for n, min_length in ((1, 1), (3, 2), (5, 3)):  # shorter than two segments of min_length
        found, objective = kts_block(np.tile(E, (2, 1))[:n], min_length=min_length)
        assert found.dtype == np.int64 and found.shape == (0,)
        assert objective.tolist() == [0.0]


def test_constant_features_give_one_shot_and_stop_at_once():
    found, objective = kts_block(np.tile(unit([1.0, 2.0, 3.0]), (40, 1)))
    assert found.dtype == np.int64 and found.tolist() == []
    assert len(objective) == 1  # the penalty of one change point already exceeds a zero scatter
    found = kts(np.tile(unit([3.0, 1.0]), (40, 1)))
    assert found.dtype == np.int64 and found.tolist() == []


def test_the_search_stops_exactly_when_the_penalty_alone_reaches_the_best_objective():
    # The scatter is non-negative: m is tried while penalty(m) < the best objective so far.
    cases = [(scenes([6, 5, 7], dim=5, noise=0.4, seed=s)[0], vmax, 1) for s in (0, 1) for vmax in (0.2, 1.0, 4.0)]
    cases += [(E[[0, 1, 0, 1]], 1.0, 2), (np.tile([1.0, 0.0], (12, 1)), 0.0, 1)]
    for x, vmax, min_length in cases:
        n = len(x)
        _, objective = kts_block(x, vmax, min_length=min_length)
        tried = len(objective) - 1
        for m in range(1, tried + 1):
            assert float(penalty(m, n, vmax)) < min(objective[:m])
        if tried < n // min_length - 1:
            assert float(penalty(tried + 1, n, vmax)) >= min(objective)
    # vmax = 0 on a constant video: the zero penalty equals the zero scatter, so stop at m = 1.
    assert len(kts_block(np.tile([1.0, 0.0], (12, 1)), 0.0)[1]) == 1


@pytest.mark.parametrize("vmax", [0.3, 1.0, 3.0])
@pytest.mark.parametrize("min_length", [1, 2])
def test_objective_for_each_m_is_the_least_scatter_plus_the_penalty(vmax, min_length):
    x, _ = scenes([4, 3, 5], dim=5, noise=0.5, seed=11)
    n = len(x)
    best = optimum_by_m(x, min_length)
    found, objective = kts_block(x, vmax, min_length=min_length)
    assert len(objective) >= 2
    for m, value in enumerate(objective):
        assert value == pytest.approx(best[m][0] / n + float(penalty(m, n, vmax)), rel=1e-5)
    winner = min(range(len(objective)), key=lambda m: best[m][0] / n + float(penalty(m, n, vmax)))
    assert tuple(found) == best[winner][1]
    assert kts(x, vmax, min_length=min_length).tolist() == list(best[winner][1])


def test_larger_vmax_means_fewer_shots():
    x, cuts = scenes([20, 35, 15, 30], noise=0.1)
    assert kts(x, vmax=0.1).size > len(cuts)
    assert kts(x).tolist() == kts(x, vmax=5.0).tolist() == cuts
    assert kts(x, vmax=20.0).tolist() == []


def test_the_programme_runs_in_float32():
    # Its objective is the float32-rounded scatter (half the memory traffic, 3x faster).
    x = unit(np.random.default_rng(6).standard_normal((20, 8)))
    scatter = segment_costs(x)[20, 0]
    assert float(np.float32(scatter)) != scatter
    assert kts_block(x)[1][0] == float(np.float32(scatter)) / 20


def test_a_tie_keeps_the_fewer_change_points():
    # [e0, e1, e0, e1] with segments of at least 2: cutting in the middle leaves the scatter at 2.
    x = E[[0, 1, 0, 1]]
    found, objective = kts_block(x, 0.0, min_length=2)
    assert found.tolist() == [] and objective.tolist() == [0.5, 0.5]
    found, objective = kts_block(x, 1.0, min_length=2)  # 3 segments of 2 cannot fit: m = 2 is not tried
    assert found.tolist() == [] and objective.tolist() == pytest.approx([0.5, 0.5 + float(penalty(1, 4))])


def test_a_correlated_cut_is_found():
    # Two scenes 60 degrees apart (cosine 0.5): one segment scatters only 0.25 per sample, and a cut
    # costs penalty(1, 20) = 0.10.
    x = np.array([E[0]] * 10 + [[0.5, math.sqrt(0.75), 0.0]] * 10)
    assert kts(x).tolist() == [10]
    assert kts_block(x)[1].tolist() == pytest.approx([0.25, float(penalty(1, 20))], rel=1e-6)


def test_max_change_points_keeps_the_best_cuts():
    x, cuts = scenes([12, 30, 9, 25], dim=8, seed=2)
    n = len(x)
    cost = segment_costs(x)
    best_one = min(range(1, n), key=lambda k: cost[k, 0] + cost[n, k])
    found, objective = kts_block(x, max_change_points=1)
    assert found.tolist() == [best_one] and len(objective) == 2
    assert kts(x, max_change_points=1).tolist() == [best_one]
    assert kts(x, max_change_points=2).size == 2
    assert kts(x, max_change_points=3).tolist() == cuts


def test_min_length_forbids_short_shots():
    x = np.array([E[0]] * 10 + [E[1]] + [E[2]] * 10)  # a one-sample flash
    assert kts(x).tolist() == [10, 11]  # the default allows a one-sample shot
    for min_length in (2, 3):
        best = optimum_by_m(x, min_length, max_m=3)
        n = len(x)
        winner = min(best, key=lambda m: best[m][0] / n + float(penalty(m, n)))
        assert kts(x, min_length=min_length).tolist() == list(best[winner][1]) == [10]
        assert kts_block(x, min_length=min_length)[0].tolist() == [10]


def steps(jumps):
    """One-dimensional features whose frame-to-frame changes are ``jumps`` (jumps[0] unused)."""
    return np.cumsum(np.asarray(jumps, dtype=np.float64))[:, None]


def test_block_edges_search_within_a_tenth_of_the_block_either_side():
    # 200 samples in blocks of 100: one edge, searched in [90, 110] around 100.
    d = np.full(200, 0.1)
    d[[89, 111]] = 9.0  # just outside
    d[110] = 5.0  # the last sample inside
    assert block_edges(steps(d), 100) == [0, 110, 200]
    d[110], d[90] = 0.1, 5.0
    assert block_edges(steps(d), 100) == [0, 90, 200]
    d[90], d[105] = 0.1, 1.0
    assert block_edges(steps(d), 100) == [0, 105, 200]
    # 150 samples make two blocks too; 100 or fewer make one.
    d = np.ones(150)
    d[80] = 2.0
    assert block_edges(steps(d), 100) == [0, 80, 150]
    assert block_edges(steps(np.arange(100.0)), 100) == [0, 100]


def test_block_edges_for_small_blocks():
    # Blocks of 5 search one sample either side (a tenth of 5 rounds down to 0).
    d = np.zeros(10)
    d[[6, 7]] = [1.0, 2.0]
    assert block_edges(steps(d), 5) == [0, 6, 10]
    # Blocks of 2 over 6 samples: targets 2 and 4. The first edge takes 3, the second searches
    # [4, 5] after it, never 3 again.
    d = np.zeros(6)
    d[[3, 4, 5]] = [3.0, 2.0, 1.0]
    assert block_edges(steps(d), 2) == [0, 3, 4, 6]
    # The last sample can be an edge: 4 samples in blocks of 2 search [1, 3].
    d = np.zeros(4)
    d[[1, 3]] = [1.0, 2.0]
    assert block_edges(steps(d), 2) == [0, 3, 4]
    # An edge on the second sample becomes a change point (the block before it is one sample).
    x = E[[0, 1, 1, 1]]
    assert block_edges(x, 2) == [0, 1, 4]
    assert kts(x, block_size=2).tolist() == [1]


def test_block_edges_compare_jumps_in_float64():
    # Two jumps of length 1 and sqrt(1 + 2^-26): equal in float32, the second larger in float64.
    x = np.zeros((40, 2), dtype=np.float32)
    x[19:] += np.float32([1.0, 0.0])
    x[21:] += np.float32([1.0, 2.0**-13])
    assert np.linalg.norm(x[21] - x[20]) == np.linalg.norm(x[19] - x[18])  # a float32 tie
    assert block_edges(x, 20) == [0, 21, 40]


def test_block_size_must_be_at_least_two():
    x = steps(np.arange(10.0))
    for size in (0, 1):
        with pytest.raises(ValueError, match="block_size must be at least 2"):
            kts(x, block_size=size)
    assert kts(x, block_size=2).size > 0


def test_shot_bounds_are_integers_for_any_input():
    bounds = shot_bounds(np.array([]), 4)  # an empty list read back from JSON is float
    assert bounds.dtype == np.int64 and bounds.tolist() == [[0, 4]]
    bounds = shot_bounds(np.array([2.0, 5.0]), 9)
    assert bounds.dtype == np.int64 and bounds.tolist() == [[0, 2], [2, 5], [5, 9]]


def test_summary_options_refuse_a_kts_block_size_below_two():
    from summarize import UsageError
    from summarize.pipeline import SummaryOptions

    for size in (0, 1):
        with pytest.raises(UsageError, match=f"kts_block_size must be at least 2 samples, got {size}"):
            SummaryOptions(kts_block_size=size).validate()
    SummaryOptions(kts_block_size=2).validate()


def test_summary_options_refuse_a_vmax_that_is_negative_or_not_a_number():
    from summarize import UsageError
    from summarize.pipeline import SummaryOptions

    for vmax in (-0.5, float("nan"), float("inf")):
        with pytest.raises(UsageError, match="kts_vmax must be a finite number of 0 or more"):
            SummaryOptions(kts_vmax=vmax).validate()
    SummaryOptions(kts_vmax=0.0).validate()
