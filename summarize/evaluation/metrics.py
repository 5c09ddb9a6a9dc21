"""The two measures of the benchmarks, per video.

* Keyshot F1 (Zhang et al., ECCV 2016): a frame-level 0/1 summary against each user's 0/1
  summary; precision = |S and G| / |S|, recall = |S and G| / |G|, F1 their harmonic mean
  (0 when both are 0). Over users: the mean (TVSum) or the maximum (SumMe; precision and
  recall are then the best user's).
* Rank correlation (Otani et al., CVPR 2019): Kendall's tau-b and Spearman's rho between
  the predicted scores and each annotator's scores at the same sampled positions, then the
  mean over annotators. Ties are ranked by SciPy's rules: tau-b corrects for ties in
  either ranking, rho is Pearson's r of average ranks.

When either ranking is constant (a method that scores every sample alike, an annotator who
gave every sample the same score), both coefficients are 0/0. We count that pair as 0 (no
association: the constant side ranks nothing) rather than dropping it, so a method cannot
gain by abstaining on hard videos; the number of such pairs is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

F1_RULES = ("mean", "max")


@dataclass(frozen=True)
class F1Score:
    f1: float
    precision: float
    recall: float


@dataclass(frozen=True)
class RankCorrelation:
    kendall_tau: float  # mean over annotators
    spearman_rho: float
    constant_pairs: int  # (prediction, annotator) pairs where one side was constant: counted as 0


def safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def f1_per_user(machine: np.ndarray, users: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(F1, precision, recall) of the 0/1 frame summary ``machine`` (n,) against each row of
    ``users`` (U, n)."""
    machine = np.asarray(machine, dtype=bool)
    users = np.asarray(users, dtype=bool).reshape(-1, len(machine))
    overlap = (users & machine).sum(axis=1)
    precision = safe_ratio(overlap, np.full(len(users), machine.sum()))
    recall = safe_ratio(overlap, users.sum(axis=1))
    return safe_ratio(2 * precision * recall, precision + recall), precision, recall


def combine_users(f1: np.ndarray, precision: np.ndarray, recall: np.ndarray, rule: str) -> F1Score:
    if rule == "mean":
        return F1Score(float(f1.mean()), float(precision.mean()), float(recall.mean()))
    if rule == "max":
        best = int(np.argmax(f1))
        return F1Score(float(f1[best]), float(precision[best]), float(recall[best]))
    raise ValueError(f"unknown F1 rule {rule!r}; choose one of {F1_RULES}")


def f1_against_users(machine: np.ndarray, users: np.ndarray, rule: str) -> F1Score:
    """Keyshot F1 of ``machine`` against every user summary, combined by ``rule``."""
    return combine_users(*f1_per_user(machine, users), rule)


def _unit_ranks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks of each row, centred and scaled to unit length (rows that are constant
    come back as zeros and flagged): Spearman's rho of two rows is then their dot product."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    constant = np.all(values == values[:, :1], axis=1)
    ranks = stats.rankdata(values, axis=1)
    centred = ranks - ranks.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    unit = np.divide(centred, norms, out=np.zeros_like(centred), where=norms > 0)
    unit[constant] = 0.0
    return unit, constant


class AnnotatorScores:
    """Each annotator's scores at the sampled positions of one video, ranked once so that
    many predictions (methods, random draws) are compared with them cheaply."""

    def __init__(self, scores: np.ndarray) -> None:
        self.scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
        self.unit_ranks, self.constant = _unit_ranks(self.scores)

    def __len__(self) -> int:
        return len(self.scores)

    def correlate(self, predicted: np.ndarray, skip: int | None = None) -> RankCorrelation:
        """Mean tau-b and rho of ``predicted`` against every annotator (but ``skip``)."""
        unit, pred_constant = _unit_ranks(predicted)
        keep = np.ones(len(self.scores), dtype=bool)
        if skip is not None:
            keep[skip] = False
        rhos = self.unit_ranks[keep] @ unit[0]
        taus = np.zeros(len(rhos))
        constant = self.constant[keep] | bool(pred_constant[0])
        for i, row in enumerate(self.scores[keep]):
            if not constant[i]:
                taus[i] = stats.kendalltau(predicted, row, variant="b").statistic
        return RankCorrelation(float(taus.mean()), float(rhos.mean()), int(constant.sum()))


def rank_correlations(predicted: np.ndarray, annotators: np.ndarray) -> RankCorrelation:
    """Mean Kendall tau-b and Spearman rho of ``predicted`` (T,) against each row of
    ``annotators`` (A, T)."""
    return AnnotatorScores(annotators).correlate(predicted)
