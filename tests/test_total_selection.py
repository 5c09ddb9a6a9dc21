"""The default selection, --selection total (summarize/total_selection.py): cases by hand, the
exact knapsack and its tie-break, --min-shot and --duration, a corpus whose peak sits inside
a long shot, and the rule re-done from the summary JSON alone (as the report will)."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest

from summarize.selection import frame_scores, select_shots
from summarize.total_selection import (Budget, cut_pieces, integer_scores, knapsack_exact, piece_values,
                                       select_total)

FPS = 10  # by-hand videos: 10 frames a second, a sample every 5 frames (2 a second)


def _times(n_frames: int, fps: float = FPS) -> np.ndarray:
    return np.rint(np.arange(n_frames + 1) * 1e6 / fps).astype(np.int64)


def _samples(n_frames: int, every: int = 5) -> np.ndarray:
    return np.arange(0, n_frames, every)


# Seven shots of a 20 s video; the first (0.5 s) holds the highest score.
SHOTS = np.array([[0, 5], [5, 35], [35, 75], [75, 115], [115, 145], [145, 175], [175, 200]])
SHOT_SCORES = [1.0, 0.6, 0.5, 0.1, 0.55, 0.1, 0.1]


def _by_hand_scores() -> np.ndarray:
    samples = _samples(200)
    owner = np.searchsorted(SHOTS[:, 0], samples, side="right") - 1
    return np.asarray(SHOT_SCORES)[owner]


def test_scores_count_in_millionths_above_the_lowest():
    assert integer_scores(np.array([0.1, 0.6, 0.1000004, 0.35])).tolist() == [1, 500001, 1, 250001]
    # a constant added to every score changes nothing
    assert integer_scores(np.array([2.1, 2.6])).tolist() == integer_scores(np.array([0.1, 0.6])).tolist()


def test_a_piece_is_worth_the_sum_of_its_frames():
    q = np.array([10, 20, 30])
    bounds = np.array([[0, 3], [3, 12], [0, 12]])  # frames; samples at frames 0, 5, 10
    assert piece_values(bounds, q, np.array([0, 5, 10]), 12).tolist() == [30, 2 * 10 + 5 * 20 + 2 * 30, 5 * 10 + 5 * 20 + 2 * 30]


def test_the_shots_holding_the_most_are_kept_not_the_short_bright_one():
    """By hand: capacity 8 s, 80 frames of 0.1 s (the unit), so shots weigh their frame counts.
    The 0.5 s shot (the highest score) is under --min-shot 1 s; of the rest, shots 1 and 2
    (3 s of 0.6, 4 s of 0.5: 15000030 + 16000040) hold the most."""
    scores, samples, times = _by_hand_scores(), _samples(200), _times(200)
    sel = select_total(SHOTS, scores, samples, times, Budget(seconds=8.0))
    assert sel.bounds.tolist() == SHOTS.tolist() and not sel.split.any()  # no shot over 4 s: none cut
    assert sel.capacity == 80 and sel.unit == 0.1
    assert sel.weights.tolist() == [5, 30, 40, 40, 30, 30, 25]
    assert sel.selected.tolist() == [False, True, True, False, False, False, False]
    assert sel.values.tolist() == pytest.approx(SHOT_SCORES)  # the JSON's score: the mean
    # The same 8 s as a fraction of the 20 s video.
    assert select_total(SHOTS, scores, samples, times, Budget(fraction=0.4)).selected.tolist() == sel.selected.tolist()
    # With --min-shot 0.4 the short shot fits beside them (75 frames of 80).
    shorter = select_total(SHOTS, scores, samples, times, Budget(seconds=8.0), min_shot=0.4)
    assert shorter.selected.tolist() == [True, True, True, False, False, False, False]


def test_the_benchmark_rule_fills_the_same_budget_with_means():
    """The published rule on the same shots: the short bright shot and shot 4 (mean 0.55)
    before shot 2 (mean 0.5): the mean, not what the shot holds, decides."""
    per_frame = frame_scores(_by_hand_scores(), _samples(200), 200)
    assert select_shots(SHOTS, per_frame, 0.4).selected.tolist() == [True, True, False, False, True, False, False]


def test_short_shots_are_kept_when_the_video_has_nothing_longer():
    shots = np.stack([np.arange(0, 40, 5), np.arange(5, 45, 5)], axis=1)  # eight shots of 0.5 s
    scores = np.array([0.1, 0.9, 0.2, 0.8, 0.3, 0.4, 0.5, 0.6])
    sel = select_total(shots, scores, _samples(40), _times(40), Budget(seconds=1.4))  # two fit
    assert sel.selected.tolist() == [False, True, False, True, False, False, False, False]


def test_a_budget_of_everything_keeps_everything():
    scores = _by_hand_scores()
    sel = select_total(SHOTS, scores, _samples(200), _times(200), Budget(fraction=1.0))
    assert sel.selected.all() and sel.selected_frames == 200
    assert select_total(SHOTS, scores, _samples(200), _times(200), Budget(seconds=60.0)).selected.all()


@pytest.mark.parametrize("seconds, kept", [(0.4, 0.4), (1.0, 1.0), (7.0, 6.0), (7.95, 6.0), (8.0, 8.0), (11.0, 8.0),
                                            (12.0, 12.0)])
def test_duration_caps_the_summary_by_hand(seconds, kept):
    """--duration: what fits in it, holding the most. 0.4 s: every piece lasts at least 0.5 s
    (a sample apart), so the 4 frames from the best sample on (step 6). Up to 8 s the 4 s shots are cut in halves (pieces of at most half the
    time asked for; flat scores: at the middle): 7 s keeps 1 s of 0.9, 3 s of 0.8 and 2 s of
    0.7 (3 s + 2 s + 2 s would fill it but hold less); 8 s adds the other 2 s of 0.7. 11 s: the
    last shot (the lowest score, worth 1 a frame) would fill it, but 1 + 3 + 4 s hold more;
    12 s: all of it."""
    shots = np.array([[0, 10], [10, 40], [40, 80], [80, 120]])  # 1, 3, 4, 4 s
    scores = np.repeat([0.9, 0.8, 0.7, 0.6], [2, 6, 8, 8])
    sel = select_total(shots, scores, _samples(120), _times(120), Budget(seconds=seconds))
    assert sel.selected_frames / FPS == pytest.approx(kept)


def test_long_shots_are_cut_at_their_lowest_samples():
    """A 10 s shot, pieces of at most 4 s and at least 1 s: of the lowest samples (frames 40
    and 70) the nearer the middle (40: 1 s from it, 70: 2 s) cuts first; [40, 100) is then
    cut at its lowest admissible sample, 70. Where all are equal, nearest the middle."""
    q = np.full(20, 50)
    q[[8, 14]] = 1  # samples at frames 40 and 70
    q[19] = 0  # lower still, but within 1 s of the end: not admissible
    pieces, split = cut_pieces(np.array([[0, 100]]), _times(100), q, _samples(100), 4_000_000, 1_000_000)
    assert pieces.tolist() == [[0, 40], [40, 70], [70, 100]] and split.tolist() == [False, True, True]
    flat, _ = cut_pieces(np.array([[0, 100]]), _times(100), np.zeros(20), _samples(100), 4_000_000, 1_000_000)
    assert flat.tolist() == [[0, 25], [25, 50], [50, 75], [75, 100]]  # halves, then halves of the halves
    # Nothing admissible (every cut leaves a side under 1 s): the piece stays whole.
    assert cut_pieces(np.array([[0, 15]]), _times(15), np.zeros(3), _samples(15), 1_000_000,
                      1_000_000)[0].tolist() == [[0, 15]]


def test_long_summaries_count_in_steps_of_several_frames():
    """A 3-hour video at 30 fps, half of it asked for: 162,000 frames, counted in steps of
    ceil(162000 / 16384) = 10 frames (16,200 steps); a 4-second piece weighs 12."""
    n = 3 * 3600 * 30
    shots = np.array([[0, 120], [120, n]])
    sel = select_total(shots, np.zeros(n // 15), np.arange(0, n, 15), _times(n, 30), Budget(fraction=0.5))
    assert sel.unit == pytest.approx(10 / 30, abs=1e-5) and sel.capacity == 16200 and sel.weights[0] == 12


def test_the_knapsack_breaks_ties_as_documented():
    assert knapsack_exact([5, 5], [1, 1], 1).tolist() == [True, False]  # the earlier of equals
    assert knapsack_exact([3, 3, 6], [1, 1, 2], 2).tolist() == [True, True, False]  # a later equal never replaces
    assert knapsack_exact([4], [3], 2).tolist() == [False]
    assert knapsack_exact([4], [3], 0).tolist() == [False]


def test_the_knapsack_is_exact():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 9))
        values, weights = rng.integers(1, 50, n), rng.integers(1, 20, n)
        capacity = int(rng.integers(0, 60))
        chosen = knapsack_exact(values, weights, capacity)
        assert weights[chosen].sum() <= capacity
        best = max(values[list(c)].sum() for r in range(n + 1) for c in itertools.combinations(range(n), r)
                   if weights[list(c)].sum() <= capacity)
        assert values[chosen].sum() == best


# ---- a corpus with an oracle importance: the peak sits inside one long shot ---------------


def _oracle_video(seed: int):
    """Shots of 2 to 8 s at 30 fps, each of a flat importance of its own (0.3 to 0.6), and one
    long shot (30 s) of low importance (0.2) with a 3-second moment of importance 1 inside."""
    rng = np.random.default_rng(seed)
    lengths = list(rng.uniform(2, 8, 14))
    peak_shot = int(rng.integers(2, 12))
    lengths[peak_shot] = 30.0
    frames = np.round(np.asarray(lengths) * 30).astype(int)
    starts = np.concatenate([[0], np.cumsum(frames)[:-1]])
    bounds = np.stack([starts, starts + frames], axis=1)
    importance = np.repeat(rng.uniform(0.3, 0.6, len(frames)), frames)
    a, b = bounds[peak_shot]
    importance[a:b] = 0.2
    middle = a + int(rng.integers(150, (b - a) - 240))
    importance[middle : middle + 90] = 1.0
    samples = np.arange(0, len(importance), 15)
    return bounds, importance, samples, middle + 45


@pytest.mark.parametrize("seed", range(6))
def test_the_default_keeps_the_peak_inside_a_long_shot(seed):
    bounds, importance, samples, peak = _oracle_video(seed)
    n = len(importance)
    scores = importance[samples]
    kept = select_total(bounds, scores, samples, _times(n, 30), Budget(fraction=0.15))
    mask = np.zeros(n, dtype=bool)
    for a, b in kept.bounds[kept.selected]:
        mask[a:b] = True
    assert mask[peak] and mask.sum() <= math.floor(0.15 * n)
    # The benchmark rule never keeps it: the long shot's mean is the lowest of all.
    bench = select_shots(bounds, frame_scores(scores, samples, n), 0.15)
    assert not any(a <= peak < b for a, b in bench.bounds[bench.selected])


# ---- the rule from the JSON alone ----------------------------------------------------------


def _us(seconds: float) -> int:
    return round(seconds * 1_000_000)


def rule_from_json(doc: dict, budget: float | None = None, seconds: float | None = None, min_shot: float = 1.0,
                   max_piece: float = 4.0) -> list[tuple[int, int]]:
    """total_selection's docstring, step by step, in plain Python on the summary JSON: the
    frame ranges it keeps (as the report's JavaScript would compute them)."""
    samples = doc["samples"]
    frames, frame_us = samples["frame"], [_us(t) for t in samples["frame_time"]]
    raw = [round(s * 1_000_000) for s in samples["score"]]
    q = [v - min(raw) + 1 for v in raw]
    shots = []  # (first frame, stop frame, start µs, end µs), the cuts the selection made undone
    for shot in doc["shots"]:
        if shot["split"]:
            shots[-1] = (shots[-1][0], shot["end_frame"], shots[-1][2], _us(shot["end"]))
        else:
            shots.append((shot["start_frame"], shot["end_frame"], _us(shot["start"]), _us(shot["end"])))
    duration = shots[-1][3] - shots[0][2]
    capacity = min(_us(seconds), duration) if seconds is not None else math.floor(budget * duration)
    m = min(_us(min_shot), capacity // 2)
    if max(e - s for _, _, s, e in shots) < m:
        m = 0
    longest = min(max(_us(max_piece), 2 * m), capacity // 2)
    pieces = []

    def cut(a, b, ta, tb):
        if tb - ta > longest:
            inside = [k for k in range(len(frames)) if a < frames[k] < b
                      and frame_us[k] - ta >= max(m, 1) and tb - frame_us[k] >= max(m, 1)]
            if inside:
                k = min(inside, key=lambda k: (q[k], abs(2 * frame_us[k] - ta - tb), k))
                cut(a, frames[k], ta, frame_us[k])
                cut(frames[k], b, frame_us[k], tb)
                return
        pieces.append((a, b, ta, tb))

    for a, b, ta, tb in shots:
        cut(a, b, ta, tb)

    def value(a, b):
        total = 0
        for k, f in enumerate(frames):
            stop = frames[k + 1] if k + 1 < len(frames) else b
            total += q[k] * max(0, min(b, stop) - max(a, f))
        return total

    pieces.sort()
    if capacity >= duration:
        return [(a, b) for a, b, _, _ in pieces]
    frame = _us(doc["selection"]["frame_unit"])
    step = frame * max(1, -(-(capacity // frame) // 16384))
    size = capacity // step
    items = [(a, b, value(a, b), (2 * (tb - ta) + step) // (2 * step)) for a, b, ta, tb in pieces
             if m <= tb - ta <= capacity]
    best, taken = [0] * (size + 1), []
    for _, _, v, w in items:
        row = [False] * (size + 1)
        for c in range(size, w - 1, -1):
            if best[c - w] + v > best[c]:
                best[c], row[c] = best[c - w] + v, True
        taken.append(row)
    kept, c = [], size
    for i in range(len(items) - 1, -1, -1):
        if taken[i][c]:
            kept.append(items[i][:2])
            c -= items[i][3]
    if not kept:  # step 6
        k = q.index(max(q))
        b = next(b for a, b, _, _ in pieces if a <= frames[k] < b)
        kept = [(frames[k], min(frames[k] + max(1, capacity // frame), b))]
    return sorted(kept)


@pytest.mark.slow
def test_the_json_holds_everything_the_rule_needs(tmp_path):
    """The report re-implements the default selection from the JSON: the rule as the docstring
    states it, on the JSON alone, keeps the CLI's shots at every budget and duration."""
    from summarize import Summarizer
    from tests.synthetic import write_video

    video = write_video(tmp_path / "v.mp4", [(k % 8, s) for k, s in enumerate([3.3, 7.9, 2.2, 5.45, 0.7, 6.15, 2.8,
                                                                            9.6, 1.35, 3.8])],
                        width=160, height=120, fps=Fraction(30000, 1001), audio=False)
    summarizer = Summarizer(device="cpu", cache=False)
    feats = summarizer.features(video.path)
    first = summarizer.write(summarizer.analyze_features(feats), tmp_path / "v.json", None)
    doc = json.loads(first.json_path.read_text())
    for options in ({"budget": 0.005}, {"budget": 0.05}, {"budget": 0.15}, {"budget": 0.3}, {"budget": 0.6}, {"duration": 4.0},
                    {"duration": 12.5}, {"budget": 0.15, "min_shot": 2.0}, {"budget": 0.15, "min_shot": 0.0}):
        analysis = summarizer.with_options(**options).analyze_features(feats)
        sel = analysis.selection
        cli = [(int(a), int(b)) for a, b in sel.bounds[sel.selected]]
        mine = rule_from_json(doc, budget=options.get("budget"), seconds=options.get("duration"),
                              min_shot=options.get("min_shot", 1.0))
        assert mine == cli, options


@pytest.mark.slow
def test_duration_and_min_shot_from_the_command_line(four_scene_video, tmp_path, capsys):
    from summarize._cli import main

    with pytest.raises(SystemExit) as done:
        main([str(four_scene_video.path), "-o", str(tmp_path), "--no-video", "-q", "--duration", "0:07",
              "--min-shot", "2"])
    assert done.value.code == 0
    doc = json.loads((tmp_path / "four_scenes.summary.json").read_text())
    selection = doc["selection"]
    assert (selection["rule"], selection["duration"], selection["min_shot"]) == ("total", 7.0, 2.0)
    assert selection["budget"] == round(7 / 24, 6) and doc["options"]["values"]["budget"] is None
    assert 6.0 <= doc["summary"]["duration"] <= 7.0
    assert all(s["end"] - s["start"] >= 2.0 for s in doc["shots"] if s["selected"])


def test_a_summary_is_never_empty_when_nothing_fits():
    """Step 6: 0.3 s asked of a 6 s video whose pieces last at least 0.5 s (a sample apart):
    the 3 frames (0.3 s at 10 fps) from the highest-scoring sample (sample 7, frame 35) on."""
    shots = np.array([[0, 20], [20, 60]])
    scores = np.array([0.1, 0.2, 0.3, 0.2, 0.5, 0.5, 0.1, 0.95, 0.1, 0.2, 0.3, 0.1])
    sel = select_total(shots, scores, _samples(60), _times(60), Budget(fraction=0.05))
    assert sel.bounds[sel.selected].tolist() == [[35, 38]]
    assert [35, 38] in sel.bounds.tolist() and [38, 40] in sel.bounds.tolist()
    assert sel.split[sel.bounds[:, 0] == 38].all() and sel.selected_frames == 3
