"""Shot segmentation by Kernel Temporal Segmentation (Potapov et al., ECCV 2014).

KTS splits a sequence of descriptors x_1..x_n into segments that minimise the total
within-segment scatter in the kernel's feature space, L_{m,n}, plus a penalty that picks
the number of change points m (their Sec. 3.2):

    m* = argmin_m  L_{m,n} / n  +  vmax * m / (2n) * (log(n / m) + 1)

We use the linear kernel K = X X^T (the features are L2-normalised, so the kernel is the
cosine similarity) and vmax = 1, as the reference implementation does. The scatter of a
segment [i, j) is sum_t ||x_t||^2 - ||sum_t x_t||^2 / (j - i), computed from prefix sums,
and the dynamic programme over (m, j) runs as one vectorised min-plus step per m.

Bounds for long inputs: the programme costs O(m n^2) time and O(n^2) memory, and m grows
with n, so sequences longer than ``block_size`` samples are cut into blocks of about that
length and segmented block by block. Each block edge is placed at the largest
frame-to-frame feature change within 10% of the nominal edge, where a real cut most likely
is, and becomes a change point. Within a block the search is exact; for videos up to
``block_size`` samples (8.3 minutes at 2 fps by default) the whole result is exact.
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_VMAX = 1.0
DEFAULT_BLOCK_SIZE = 1000


def penalty(m: np.ndarray | int, n: int, vmax: float = DEFAULT_VMAX) -> np.ndarray:
    """Potapov's model-selection penalty for m change points among n descriptors."""
    m = np.asarray(m, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = vmax * m / (2.0 * n) * (np.log(n / np.maximum(m, 1)) + 1.0)
    return np.where(m > 0, value, 0.0)


def segment_costs(x: np.ndarray, min_length: int = 1) -> np.ndarray:
    """C[j, i] = within-segment scatter of samples [i, j) (transposed for fast row minima);
    +inf where the segment would be shorter than ``min_length`` or empty."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    prefix = np.zeros((n + 1, x.shape[1]))
    np.cumsum(x, axis=0, out=prefix[1:])
    sq = np.concatenate([[0.0], np.cumsum(np.einsum("ij,ij->i", x, x))])
    gram = prefix @ prefix.T
    diag = np.diag(gram)
    j = np.arange(n + 1)[:, None]
    i = np.arange(n + 1)[None, :]
    length = (j - i).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = (sq[:, None] - sq[None, :]) - (diag[:, None] + diag[None, :] - 2.0 * gram) / length
    cost[length < max(min_length, 1)] = np.inf
    return np.maximum(cost, 0.0, where=np.isfinite(cost), out=cost)


def kts_block(x: np.ndarray, vmax: float = DEFAULT_VMAX, max_change_points: int | None = None,
              min_length: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Exact KTS on one block. Returns (change points, penalised objective for each m tried)."""
    n = len(x)
    if n < 2 * max(min_length, 1):
        return np.zeros(0, dtype=np.int64), np.zeros(1)
    cost = segment_costs(x, min_length)
    limit = n // max(min_length, 1) - 1
    if max_change_points is not None:
        limit = min(limit, max_change_points)
    # The min-plus steps are memory-bound; float32 moves half the bytes of float64 and runs
    # three times faster here, while the costs themselves are computed in float64.
    cost = cost.astype(np.float32)
    previous = cost[:, 0].copy()  # D_0[j]: one segment [0, j)
    best_m, best_value = 0, float(previous[n]) / n
    objective = [best_value]
    back: list[np.ndarray] = []
    total = np.empty_like(cost)
    rows = np.arange(n + 1)
    for m in range(1, limit + 1):
        # The scatter is non-negative, so once the penalty alone reaches the best objective
        # found, no larger m can win: stopping here is exact.
        if penalty(m, n, vmax) >= best_value:
            break
        np.add(cost, previous[None, :], out=total)
        arg = total.argmin(axis=1).astype(np.int32)
        previous = total[rows, arg]
        back.append(arg)
        value = float(previous[n]) / n + float(penalty(m, n, vmax))
        objective.append(value)
        if value < best_value:
            best_m, best_value = m, value
    change_points = []
    j = n
    for m in range(best_m, 0, -1):
        j = int(back[m - 1][j])
        change_points.append(j)
    return np.asarray(sorted(change_points), dtype=np.int64), np.asarray(objective)


def block_edges(x: np.ndarray, block_size: int) -> list[int]:
    """Block boundaries for long sequences, each at the largest feature jump near its target."""
    if block_size < 2:  # blocks of one sample leave the edge search no room
        raise ValueError(f"block_size must be at least 2 samples, got {block_size}")
    n = len(x)
    blocks = math.ceil(n / block_size)
    if blocks <= 1:
        return [0, n]
    jumps = np.zeros(n)
    jumps[1:] = np.linalg.norm(np.diff(np.asarray(x, dtype=np.float64), axis=0), axis=1)
    edges = [0]
    window = max(1, block_size // 10)
    for b in range(1, blocks):
        target = round(b * n / blocks)
        lo, hi = max(edges[-1] + 1, target - window), min(n - 1, target + window)
        edges.append(lo + int(np.argmax(jumps[lo : hi + 1])))
    edges.append(n)
    return edges


def kts(features: np.ndarray, vmax: float = DEFAULT_VMAX, max_change_points: int | None = None,
        min_length: int = 1, block_size: int = DEFAULT_BLOCK_SIZE) -> np.ndarray:
    """Change points of ``features`` (T, D): sorted indices t, 0 < t < T, where a shot starts."""
    x = np.asarray(features, dtype=np.float64)
    if len(x) < 2:
        return np.zeros(0, dtype=np.int64)
    edges = block_edges(x, block_size)
    found: list[int] = []
    for start, stop in zip(edges[:-1], edges[1:]):
        if start > 0:
            found.append(start)
        cps, _ = kts_block(x[start:stop], vmax, max_change_points, min_length)
        found.extend(int(c) + start for c in cps)
    return np.asarray(sorted(set(found)), dtype=np.int64)


def shot_bounds(change_points: np.ndarray, n_samples: int) -> np.ndarray:
    """(S, 2) [start, stop) sample ranges of the shots delimited by ``change_points``."""
    starts = np.concatenate([[0], np.asarray(change_points, dtype=np.int64)])
    stops = np.concatenate([np.asarray(change_points, dtype=np.int64), [n_samples]])
    return np.stack([starts, stops], axis=1)
