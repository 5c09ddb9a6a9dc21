"""Random scores: the chance baseline of the benchmarks (Otani et al., CVPR 2019).

Every sample gets an independent score drawn uniformly from [0, 1). The draw is seeded by
``seed`` and by the video's identity (its file's content digest; a data set's key in
``summarize eval``), so the same video and seed always give the same scores (whatever order
videos are scored in, and whatever decoder or PyTorch build made the features) while
different videos get different draws. The features themselves never seed it: their last
bits differ between machines, and one flipped bit redrew every score. ``summarize eval`` averages several seeds; ``summarize VIDEO --method random``
gives a chance summary to compare a real one with.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import torch

from ..errors import UsageError
from .base import Scorer


def identity_digest(identity: str) -> int:
    """A 64-bit number that follows ``identity`` (any str, undecodable file-name bytes included)."""
    data = identity.encode("utf-8", "surrogateescape")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def draw_identity(identity: str | None, n_samples: int) -> str:
    """What seeds a draw: the video's identity, or (a caller that has none) its length alone."""
    return identity if identity is not None else f"samples:{n_samples}"


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
                "(seed, BLAKE2b of the video's identity)"}

    def score(self, features: np.ndarray, *, device: torch.device | None = None,
              identity: str | None = None) -> np.ndarray:
        rng = np.random.default_rng([self.seed, identity_digest(draw_identity(identity, len(features)))])
        return rng.random(len(features))

    def score_video(self, features: np.ndarray, *, device: torch.device | None = None,
                    identity: str | None = None) -> np.ndarray:
        return self.score(features, device=device, identity=identity)
