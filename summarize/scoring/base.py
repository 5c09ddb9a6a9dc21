"""The interface every importance scorer implements."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np
import torch


class Scorer(abc.ABC):
    """Turns the features of one video's samples into one importance score per sample.

    A scorer is built once (loading any model it needs) and then scores many videos.
    ``params`` is everything that changes its output; it is written into the summary JSON
    and the evaluation results, so two runs with equal params give equal scores.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    # The backbone a scorer's model was trained on, if it needs one (None: any backbone).
    required_backbone: ClassVar[str | None] = None

    @property
    @abc.abstractmethod
    def params(self) -> dict[str, Any]:
        """The parameters that determine the scores (JSON-serialisable)."""

    @property
    def stochastic(self) -> bool:
        """True when the scores depend on a random ``seed`` (evaluation then averages seeds)."""
        return False

    @abc.abstractmethod
    def score(self, features: np.ndarray, *, device: torch.device | None = None) -> np.ndarray:
        """``features`` (T, D) L2-normalised, in time order -> scores (T,), higher = keep."""

    def check_features(self, features: np.ndarray, backbone: str | None = None) -> None:
        """Refuse features this scorer cannot use (wrong backbone or dimension)."""
