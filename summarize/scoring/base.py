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
    # The command-line options (of ``summarize VIDEO`` and ``batch``) this scorer takes, by parameter name.
    cli_params: ClassVar[tuple[str, ...]] = ()

    @property
    @abc.abstractmethod
    def params(self) -> dict[str, Any]:
        """The parameters that determine the scores (JSON-serialisable)."""

    @property
    def required_backbone(self) -> str | None:
        """The backbone this scorer's model was trained on, if it needs one (None: any backbone)."""
        return None

    @property
    def note(self) -> str | None:
        """One line a user should read about this scorer's model (its known limits), or None.
        The command line prints it; the summary JSON records it beside the parameters."""
        return None

    @property
    def stochastic(self) -> bool:
        """True when the scores depend on a random ``seed`` (evaluation then averages seeds)."""
        return False

    @property
    def needs_training(self) -> bool:
        """True when the scorer must be trained (``fitted``) before it can score: ``summarize eval
        --splits`` then trains it on each fold's training videos."""
        return False

    def fitted(self, sequences: list[np.ndarray], *, backbone: str = "", device: torch.device | None = None,
               description: str = "") -> "Scorer":
        """A copy of this scorer trained on ``sequences`` (L2-normalised (T, D) features)."""
        raise NotImplementedError(f"{self.name} is not trained per fold")

    @abc.abstractmethod
    def score(self, features: np.ndarray, *, device: torch.device | None = None) -> np.ndarray:
        """``features`` (T, D) L2-normalised, in time order -> scores (T,), higher = keep."""

    def score_video(self, features: np.ndarray, *, device: torch.device | None = None,
                    identity: str | None = None) -> np.ndarray:
        """``score`` for one named video. ``identity`` names it (its file's content digest, a
        data set's key): a stochastic scorer seeds its draw with it, never with the features,
        whose last bits follow the decoder and PyTorch builds of the machine."""
        return self.score(features, device=device)

    def check_features(self, features: np.ndarray, backbone: str | None = None) -> None:
        """Refuse features this scorer cannot use (wrong backbone or dimension)."""
