"""Training-free contrastive scores (Pang et al., WACV 2023, Sec. 4.1-4.2 and Eq. 12).

For L2-normalised features x_1..x_T:

* local dissimilarity (Eq. 4): the mean squared distance from x_t to its K = round(a*T)
  nearest neighbours by cosine similarity. The frame itself is *not* its own neighbour:
  N_t is the K most similar *other* samples (counting x_t would add a zero distance to
  every frame and waste one of the K places).
* global consistency (Eq. 5): log( 1/(T-1) * sum_{j != t} exp(-beta * ||x_t - x_j||^2) ),
  beta = 2, again over the other samples only, as the equation states.

Each is min-max scaled to [0, 1] over the video; the score is their product plus a small
epsilon (Eq. 12 without the learned uniqueness term), Gaussian-smoothed over time. With
``variant="align"`` the score is the scaled local dissimilarity alone.

The T x T similarities are never held at once: rows are processed in chunks sized so that
T = 25,000 samples stays well under 2 GB.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d

from ..errors import UsageError
from ..models.contrastive import contrastive_terms
from .base import Scorer

VARIANTS = ("align+uniform", "align")

# Memory for one chunk of similarity rows (the chunk, its exponentials, top-k buffers).
_CHUNK_BYTES = 192 * 2**20


def neighbour_count(n_samples: int, ratio: float) -> int:
    """K = a*T rounded half up, at least 1 and at most T-1."""
    return int(min(max(math.floor(ratio * n_samples + 0.5), 1), max(n_samples - 1, 1)))


def minmax(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] over the video; a constant signal maps to zeros."""
    values = np.asarray(values, dtype=np.float64)
    low, high = values.min(), values.max()
    if not np.isfinite(high - low) or high - low <= 0:
        return np.zeros_like(values)
    return (values - low) / (high - low)


def local_and_global(features: np.ndarray | torch.Tensor, ratio: float = 0.1, beta: float = 2.0,
                     device: torch.device | None = None, chunk_bytes: int = _CHUNK_BYTES,
                     projected: np.ndarray | torch.Tensor | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Raw Eq. 4 (local dissimilarity) and Eq. 5 (global consistency) for every sample.

    With ``projected`` (a refined projection of the same samples), neighbours are still
    chosen on ``features`` and distances are measured on the projection (Eqs. 6 and 7).
    Works in float64 when given float64 (for exact checks), float32 otherwise.
    """
    x = torch.as_tensor(features)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError("need a (T, D) feature matrix with T >= 2")
    dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
    x = torch.nn.functional.normalize(x.to(device or "cpu", dtype), dim=1)
    z = None if projected is None else torch.nn.functional.normalize(
        torch.as_tensor(projected).to(x.device, dtype), dim=1)
    n = x.shape[0]
    k = neighbour_count(n, ratio)
    rows = max(1, min(n, chunk_bytes // ((3 if z is None else 5) * n * x.element_size())))
    local = torch.empty(n, dtype=dtype, device=x.device)
    consistency = torch.empty(n, dtype=dtype, device=x.device)
    with torch.inference_mode():
        for start in range(0, n, rows):
            stop = min(start + rows, n)
            align, uniform = contrastive_terms(
                x[None, start:stop], x[None], k, beta, None if z is None else z[None, start:stop],
                None if z is None else z[None], offset=start)
            local[start:stop], consistency[start:stop] = align[0], uniform[0]
    return local.cpu().numpy().astype(np.float64), consistency.cpu().numpy().astype(np.float64)


class ContrastiveScorer(Scorer):
    name = "contrastive"
    description = "training-free local dissimilarity x global consistency (Pang et al. 2023)"

    def __init__(self, variant: str = "align+uniform", ratio: float = 0.1, beta: float = 2.0,
                 sigma: float = 1.0, epsilon: float = 1e-6) -> None:
        if variant not in VARIANTS:
            raise UsageError(f"unknown contrastive variant {variant!r}; choose one of: {', '.join(VARIANTS)}")
        if not 0 < ratio <= 1:
            raise UsageError(f"neighbour ratio must be in (0, 1], got {ratio}")
        if sigma < 0:
            raise UsageError(f"smoothing sigma must be >= 0, got {sigma}")
        self.variant, self.ratio, self.beta, self.sigma, self.epsilon = variant, ratio, beta, sigma, epsilon

    @property
    def params(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "neighbour_ratio": self.ratio,
            "beta": self.beta,
            "smoothing_sigma_samples": self.sigma,
            "epsilon": self.epsilon,
            "self_is_neighbour": False,
        }

    def score(self, features: np.ndarray, *, device: torch.device | None = None) -> np.ndarray:
        if len(features) < 2:
            return np.ones(len(features))
        local, consistency = local_and_global(features, self.ratio, self.beta, device=device)
        scores = minmax(local)
        if self.variant == "align+uniform":
            scores = scores * minmax(consistency)
        scores = scores + self.epsilon
        if self.sigma > 0:
            scores = gaussian_filter1d(scores, self.sigma, mode="nearest")
        return scores
