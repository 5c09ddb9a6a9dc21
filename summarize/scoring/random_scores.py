"""Random scores: the chance baseline of the benchmarks (Otani et al., CVPR 2019).

Every sample gets an independent score drawn uniformly from [0, 1). The draw is seeded by
``seed`` and by the content of the features, so the same video and seed always give the
same scores (whatever order videos are scored in) while different videos get different
draws. ``summarize eval`` averages several seeds; ``summarize VIDEO --method random``
gives a chance summary to compare a real one with.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import torch

from ..errors import UsageError
from .base import Scorer


def features_digest(features: np.ndarray) -> int:
    """A 64-bit number that follows the content of ``features``."""
    data = np.ascontiguousarray(features).tobytes()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class RandomScorer(Scorer):
    name = "random"
    description = "uniform random scores (the chance baseline), seeded per video"

    def __init__(self, seed: int = 0) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise UsageError(f"random: seed must be a non-negative integer, got {seed!r}")
        self.seed = seed

    @property
    def stochastic(self) -> bool:
        return True

    @property
    def params(self) -> dict[str, Any]:
        return {"seed": self.seed, "distribution": "uniform [0, 1)", "stream": "numpy PCG64 seeded by "
                "(seed, BLAKE2b of the features)"}

    def score(self, features: np.ndarray, *, device: torch.device | None = None) -> np.ndarray:
        rng = np.random.default_rng([self.seed, features_digest(features)])
        return rng.random(len(features))
