"""The default selection of ``summarize VIDEO`` (``--selection total``): keep the most importance.

The benchmark rule (``selection.py``) values a shot by its *mean* score, so the knapsack
fills the budget with as many short shots as fit and never keeps a long shot that holds
the peak. Here a shot is worth the importance it holds, the sum of its frames' scores: if
scores said how likely a viewer is to want each frame, the summary of the highest total is
the one a viewer agrees with most, frame for frame. Long shots are cut into pieces where
they matter least, so the best part of a long shot can be kept without the rest, and no
piece shorter than ``--min-shot`` is kept.

The rule, exactly (everything from the summary JSON, integers where it matters, so that
another implementation, such as the report's, gives the same shots for any budget):

1. *Units.* Times are whole microseconds: ``us(t) = round(t * 10**6)`` of the JSON's
   seconds. A score is ``round(score * 10**6)`` of the JSON's six decimals, minus the
   lowest such score of the video, plus 1 (so every frame is worth at least 1, and adding
   a constant to every score changes nothing). Every frame takes the score of the last
   sample at or before it (``samples.frame``; frames before the first sample, as with
   ``--sampling keyframes`` and ``--start``, take the first's); a piece's *value* is the sum
   over its frames.
2. *Capacity.* ``C = floor(budget * us(duration))`` with ``--budget``, or
   ``min(us(seconds), us(duration))`` with ``--duration``; the duration is the shots' span,
   from the first's start to the last's end (with ``--start``/``--end``, that of the part).
3. *Shortest piece.* ``m = min(us(min_shot), C // 2)``; 0 when no shot of the video (before
   any cut) lasts ``m``.
4. *Cutting long shots.* A piece [a, b) (frames) longer than
   ``L = min(max(us(MAX_PIECE), 2 * m), C // 2)``
   is cut before the sample k, a < frame_k < b, with both sides at least ``max(m, 1)`` long and the
   lowest score (of equal scores the one whose frame starts nearest the middle, the
   earlier of two as near: the smallest ``|2 * time_k - start - end|``); both sides are cut
   again the same way until no piece is longer than L or none can be cut. The duration of
   [a, b) is ``us(time of frame b) - us(time of frame a)``: a shot's ``start``/``end``, a
   sample's ``frame_time``.
5. *Choice.* Pieces shorter than ``m`` or longer than C are left out. Durations are counted
   in steps of ``g`` frames: a frame is ``f``, the median of the frames' durations (the
   JSON's ``selection.frame_unit``), and ``g = max(1, ceil((C // f) / 16384))``, so the
   capacity ``W = C // (g * f)`` is at most 16384 steps; a piece weighs its duration in
   steps rounded to the nearest, ``(2 * duration + g * f) // (2 * g * f)``: at a constant
   frame rate, its frame count (divided by g). An exact 0/1 knapsack keeps the pieces of
   the largest total value: pieces in time order, ``best[c]`` the largest value within
   weight c (0 to start), a piece taken at c only if it gives strictly more than
   ``best[c]``; then from ``c = W``, the pieces from last to first, each kept when it was
   taken at c, c then less its weight. When C is the whole video, every piece is kept.
6. *Never empty.* When no piece fits (C is shorter than all of them: a short clip, a tiny
   budget), the piece holding the highest-scoring sample (the earliest of equals) is cut
   to keep ``max(1, C // f)`` frames from that sample's frame on (fewer where the piece
   ends first): the best moment, as long as the time asked for allows.

Kept pieces that touch are one shot in the summary video.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .selection import Selection, frame_scores, shot_values

MAX_PIECE = 4.0  # seconds: the longest piece of a shot the knapsack weighs on its own
DEFAULT_MIN_SHOT = 1.0  # seconds
STEPS = 16_384  # the knapsack's capacity in steps at most: its time is pieces x steps
SCALE = 1_000_000  # scores and times in millionths, as the JSON rounds them


def micros(seconds) -> np.ndarray:
    """Whole microseconds of seconds rounded to six decimals (as the JSON writes them)."""
    return np.rint(np.round(np.asarray(seconds, dtype=np.float64), 6) * SCALE).astype(np.int64)


def integer_scores(scores: np.ndarray) -> np.ndarray:
    """Scores as the rule counts them (step 1): millionths of the six decimals the JSON writes
    (Python's ``round``, as the JSON writer's: NumPy's may differ in a last bit), the lowest made 1."""
    q = np.array([round(round(float(v), 6) * SCALE) for v in np.asarray(scores).ravel()], dtype=np.int64)
    return q - q.min() + 1 if len(q) else q


@dataclass(frozen=True)
class Budget:
    """What the summary may last: a fraction of the duration, or seconds."""

    fraction: float | None = None
    seconds: float | None = None

    def capacity(self, duration_us: int) -> int:
        if self.seconds is not None:
            return int(min(int(micros(self.seconds)), duration_us))
        return int(math.floor(self.fraction * duration_us))


def frame_unit(times_us: np.ndarray) -> int:
    """The median of the frames' durations (µs, half up): the knapsack's unit of time."""
    return max(1, int(np.floor(np.median(np.diff(np.asarray(times_us, dtype=np.int64))) + 0.5)))


def piece_values(bounds: np.ndarray, q: np.ndarray, sample_frames: np.ndarray, n_frames: int) -> np.ndarray:
    """Sum of the frame scores of each [a, b) (frames), every frame taking the last sample at or before it."""
    owner = np.searchsorted(np.asarray(sample_frames, dtype=np.int64), np.arange(n_frames), side="right") - 1
    per_frame = q[np.clip(owner, 0, None)]
    csum = np.concatenate([[0], np.cumsum(per_frame, dtype=np.int64)])
    return csum[bounds[:, 1]] - csum[bounds[:, 0]]


def cut_pieces(bounds: np.ndarray, times_us: np.ndarray, q: np.ndarray, sample_frames: np.ndarray,
               longest: int, shortest: int) -> tuple[np.ndarray, np.ndarray]:
    """Step 4: shots cut at their lowest-scoring samples until no piece is longer than
    ``longest`` (µs) or can be cut with ``shortest`` either side. Returns the pieces, in
    time order, and for each whether it starts at such a cut."""
    sample_frames = np.asarray(sample_frames, dtype=np.int64)
    at = times_us[sample_frames]  # µs of each sample's frame
    pieces: list[tuple[int, int, bool]] = []
    todo = []  # (first frame, stop frame, first and stop sample strictly inside, starts at a cut)
    for a, b in bounds:
        lo, hi = np.searchsorted(sample_frames, [a, b])
        lo += int(np.searchsorted(sample_frames[lo:hi], a, side="right"))
        todo.append((int(a), int(b), int(lo), int(hi), False))
    while todo:
        a, b, lo, hi, split = todo.pop()
        start, stop = int(times_us[a]), int(times_us[b])
        if stop - start > longest:
            side = max(shortest, 1)  # both sides at least this long (and never empty)
            i = lo + int(np.searchsorted(at[lo:hi], start + side, side="left"))
            j = lo + int(np.searchsorted(at[lo:hi], stop - side, side="right"))
            if i < j:
                lowest = np.flatnonzero(q[i:j] == q[i:j].min()) + i
                # of equal scores, the nearest the middle (the earlier of two as near)
                k = int(lowest[np.argmin(np.abs(2 * at[lowest] - start - stop))])
                middle = int(sample_frames[k])
                todo.append((a, middle, lo, k, split))
                todo.append((middle, b, k + 1, hi, True))
                continue
        pieces.append((a, b, split))
    pieces.sort()
    out = np.asarray([(a, b) for a, b, _ in pieces], dtype=np.int64).reshape(-1, 2)
    return out, np.asarray([s for _, _, s in pieces], dtype=bool)


def _best_moment(pieces: np.ndarray, split: np.ndarray, q: np.ndarray, sample_frames: np.ndarray,
                 frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 6: ``frames`` frames from the highest-scoring sample on, cut out of its piece."""
    k = int(np.argmax(q))  # the earliest of equal scores
    start = int(sample_frames[k])
    i = int(np.searchsorted(pieces[:, 0], start, side="right")) - 1
    a, b = (int(v) for v in pieces[i])
    parts = [(a, start), (start, min(start + frames, b)), (min(start + frames, b), b)]
    flags = [bool(split[i]), start != a, True]
    new = [(p, f, j == 1) for j, (p, f) in enumerate(zip(parts, flags)) if p[1] > p[0]]
    pieces = np.concatenate([pieces[:i], np.asarray([p for p, _, _ in new]), pieces[i + 1:]])
    split = np.concatenate([split[:i], [f for _, f, _ in new], split[i + 1:]]).astype(bool)
    kept = np.concatenate([np.zeros(i, bool), [k for _, _, k in new], np.zeros(len(pieces) - i - len(new), bool)])
    return pieces, split, kept


def knapsack_exact(values: np.ndarray, weights: np.ndarray, capacity: int) -> np.ndarray:
    """Step 5's 0/1 knapsack, its tie-break exactly as stated there. Boolean mask of the kept items."""
    values = np.asarray(values, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.int64)
    chosen = np.zeros(len(values), dtype=bool)
    if capacity <= 0:
        return chosen
    best = np.zeros(capacity + 1, dtype=np.int64)
    taken: list[np.ndarray | None] = []
    for v, w in zip(values, weights):
        if w > capacity:
            taken.append(None)
            continue
        candidate = best[: capacity + 1 - w] + v
        better = candidate > best[w:]
        np.maximum(best[w:], candidate, out=best[w:])
        taken.append(np.packbits(better))  # 1 bit per capacity: 16,384 steps take 2 kB a piece
    c = capacity
    for i in range(len(values) - 1, -1, -1):
        bits, w = taken[i], int(weights[i])
        if bits is not None and c >= w and np.unpackbits(bits, count=capacity + 1 - w)[c - w]:
            chosen[i] = True
            c -= w
    return chosen


def select_total(bounds: np.ndarray, scores: np.ndarray, sample_frames: np.ndarray, times_us: np.ndarray,
                 budget: Budget, min_shot: float = DEFAULT_MIN_SHOT, max_piece: float = MAX_PIECE,
                 frame_us: int | None = None) -> Selection:
    """The rule above. ``bounds``: the shots, (S, 2) frame ranges covering the video;
    ``times_us``: µs of every frame's start and, last, of the video's end (n_frames + 1);
    ``frame_us``: the unit of step 5 (default: ``frame_unit(times_us)``)."""
    bounds = np.asarray(bounds, dtype=np.int64).reshape(-1, 2)
    times_us = np.asarray(times_us, dtype=np.int64)
    n_frames = len(times_us) - 1
    q = integer_scores(scores)
    capacity_us = budget.capacity(int(times_us[-1] - times_us[0]))
    shortest = min(int(micros(min_shot)), capacity_us // 2)
    durations = times_us[bounds[:, 1]] - times_us[bounds[:, 0]]
    if len(durations) and durations.max() < shortest:
        shortest = 0  # nothing lasts that long: every shot may be kept
    longest = min(max(int(micros(max_piece)), 2 * shortest), capacity_us // 2)
    pieces, split = cut_pieces(bounds, times_us, q, sample_frames, longest, shortest)
    values = piece_values(pieces, q, sample_frames, n_frames)
    lengths = times_us[pieces[:, 1]] - times_us[pieces[:, 0]]
    frame = frame_unit(times_us) if frame_us is None else frame_us
    step = frame * max(1, -(-(capacity_us // frame) // STEPS))
    weights = (2 * lengths + step) // (2 * step)
    eligible = (lengths >= shortest) & (lengths <= capacity_us)
    kept = np.zeros(len(pieces), dtype=bool)
    if capacity_us >= times_us[-1] - times_us[0]:
        kept[:] = True  # all of it asked for: shots shorter than the minimum too
    else:
        kept[eligible] = knapsack_exact(values[eligible], weights[eligible], capacity_us // step)
    if not kept.any() and len(pieces):
        pieces, split, kept = _best_moment(pieces, split, q, sample_frames, max(1, capacity_us // frame))
        values = piece_values(pieces, q, sample_frames, n_frames)
        weights = (2 * (times_us[pieces[:, 1]] - times_us[pieces[:, 0]]) + step) // (2 * step)
    means = shot_values(pieces, frame_scores(scores, sample_frames, n_frames))
    return Selection(pieces, means, kept, int(capacity_us // step), int(split.sum()), unit=step / SCALE,
                     weights=weights, split=split)
