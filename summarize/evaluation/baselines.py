"""Reference rows that place a method's numbers between chance and people.

* ``random`` is a scorer (``summarize.scoring.random_scores``): random scores through the
  same shots and knapsack; the runner averages it over several seeds.
* ``uniform`` is a *selection* baseline, not a scorer: it picks evenly spaced shots and
  ignores scores altogether (``uniform_selection``).
* ``human`` is leave one out: each user (annotator) in turn is the prediction and the
  others are the ground truth (``human_f1``, ``human_correlation``).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..selection import capacity_frames
from .metrics import AnnotatorScores, F1Score, RankCorrelation, combine_users, safe_ratio

REFERENCES = ("random", "uniform", "human")


def uniform_selection(bounds: np.ndarray, n_frames: int, budget: float) -> np.ndarray:
    """Evenly spaced whole shots within the budget: for K = 1, 2, ..., take the shots that
    contain the centres of K equal parts of the video; keep the K whose shots fill the most
    of floor(budget x n_frames) frames without exceeding it (the smaller K on a tie).
    Returns a boolean mask over ``bounds``; empty if even one centre shot is too long."""
    bounds = np.asarray(bounds, dtype=np.int64).reshape(-1, 2)
    lengths = bounds[:, 1] - bounds[:, 0]
    capacity = capacity_frames(budget, n_frames)
    best, best_fill = np.zeros(len(bounds), dtype=bool), 0
    for k in range(1, len(bounds) + 1):
        centres = ((np.arange(k) + 0.5) * n_frames / k).astype(np.int64)
        chosen = np.zeros(len(bounds), dtype=bool)
        chosen[np.clip(np.searchsorted(bounds[:, 0], centres, side="right") - 1, 0, len(bounds) - 1)] = True
        fill = int(lengths[chosen].sum())
        if best_fill < fill <= capacity:
            best, best_fill = chosen, fill
    return best


def human_f1(users: np.ndarray, rule: str) -> F1Score | None:
    """Each user's summary against the other users' (``rule``: mean or max over them),
    averaged over users. None with fewer than two users."""
    users = np.asarray(users, dtype=bool)
    n_users = len(users)
    if n_users < 2:
        return None
    as_float = users.astype(np.float64)
    overlap = as_float @ as_float.T
    sizes = users.sum(axis=1).astype(np.float64)
    precision = safe_ratio(overlap, sizes[:, None])  # row u predicts, column v is the truth
    recall = safe_ratio(overlap, sizes[None, :])
    f1 = safe_ratio(2 * precision * recall, precision + recall)
    scores = []
    for u in range(n_users):
        others = np.arange(n_users) != u
        scores.append(combine_users(f1[u, others], precision[u, others], recall[u, others], rule))
    return F1Score(*(float(np.mean([getattr(s, k) for s in scores])) for k in ("f1", "precision", "recall")))


def human_correlation(annotators: AnnotatorScores) -> RankCorrelation | None:
    """Each annotator's scores against the others', averaged over annotators: the mean of
    tau-b and rho over all pairs (both are symmetric). None with fewer than two annotators."""
    n = len(annotators)
    if n < 2:
        return None
    rho = annotators.unit_ranks @ annotators.unit_ranks.T
    taus, rhos, constant = [], [], 0
    for u in range(n):
        for v in range(u + 1, n):
            if annotators.constant[u] or annotators.constant[v]:
                taus.append(0.0)
                rhos.append(0.0)
                constant += 2  # both ordered pairs (u as prediction, then v)
                continue
            taus.append(stats.kendalltau(annotators.scores[u], annotators.scores[v], variant="b").statistic)
            rhos.append(rho[u, v])
    return RankCorrelation(float(np.mean(taus)), float(np.mean(rhos)), constant)
