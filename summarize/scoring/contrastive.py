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

With a checkpoint from ``summarize train contrastive`` (Sec. 4.3-4.5): neighbours are still
chosen on the frozen features, the two terms are measured on the refined projection
(Eqs. 6, 7), and the variants ending in ``+unique`` multiply by the uniqueness filter's
score H (min-max scaled too): the full Eq. 12 is ``align+uniform+unique``, the default
with a checkpoint. ``refine=True`` asks ``summarize eval --splits`` to train a model on each
fold's training videos (the paper's canonical setting), seeded by ``seed``, in batches of
``batch_size`` videos (``eval`` resolves it per dataset as the authors' code did: 8 on
SumMe, 32 on TVSum) with L_unique's ``unique_target`` (``"other"``, the paper, or
``"ctvsum"``, the authors' code; see ``summarize.networks.contrastive``).

``post`` reproduces the authors' evaluation code, which transforms the product before
smoothing: ``exp`` gives exp(s - 1) (their TVSum), ``shift`` gives s + 0.05 (their SumMe),
neither adds epsilon; ``summarize eval`` resolves ``post=ctvsum`` to the one for its dataset.
Both are increasing, so they reorder nothing before smoothing; they change the knapsack's
shot values (means of scores), and so F1.

The T x T similarities are never held at once: rows are processed in chunks sized so that
T = 25,000 samples stays well under 2 GB.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d

from ..errors import UsageError
from ..networks.checkpoint import load_checkpoint
from ..networks.contrastive import BATCH_SIZE, UNIQUE_TARGETS, contrastive_terms
from .base import Scorer

VARIANTS = ("align+uniform", "align", "align+unique", "align+uniform+unique")  # the paper's Table rows
POSTS = ("none", "exp", "shift")
CTVSUM_POST = {"tvsum": "exp", "summe": "shift"}  # post=ctvsum in summarize eval, per dataset
# refine=1's videos per step in summarize eval, per dataset: the authors' main_ablations.py forces
# 8 on SumMe and keeps its config's 32 elsewhere.
REFINE_BATCH_SIZE = {"tvsum": 32, "summe": 8}

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
    cli_params = ("variant", "checkpoint")
    description = ("local dissimilarity x global consistency (Pang et al. 2023): training-free, or refined "
                   "with the uniqueness filter from a checkpoint")

    def __init__(self, variant: str | None = None, ratio: float = 0.1, beta: float = 2.0, sigma: float = 1.0,
                 epsilon: float = 1e-6, checkpoint: str | Path | None = None, refine: bool = False,
                 post: str = "none", seed: int = 0, epochs: int = 40, unique_target: str | None = None,
                 batch_size: int | None = None) -> None:
        trained = checkpoint is not None or bool(refine)
        variant = variant or ("align+uniform+unique" if trained else "align+uniform")
        if variant not in VARIANTS:
            raise UsageError(f"unknown contrastive variant {variant!r}; choose one of: {', '.join(VARIANTS)}")
        if "unique" in variant and not trained:
            raise UsageError(f"contrastive variant {variant} needs the trained uniqueness filter: add --checkpoint "
                             "from `summarize train contrastive`")
        if not 0 < ratio <= 1:
            raise UsageError(f"neighbour ratio must be in (0, 1], got {ratio}")
        if sigma < 0:
            raise UsageError(f"smoothing sigma must be >= 0, got {sigma}")
        if post == "ctvsum":
            raise UsageError("post=ctvsum depends on the dataset: use it in `summarize eval`, or post=exp (the "
                             "authors' TVSum) / post=shift (their SumMe)")
        if post not in POSTS:
            raise UsageError(f"unknown post-processing {post!r}; choose one of: {', '.join(POSTS)} (or ctvsum in eval)")
        if refine and checkpoint is not None:
            raise UsageError("give either checkpoint=PATH (a trained model) or refine=1 (train one per fold), not both")
        self.variant, self.ratio, self.beta, self.sigma, self.epsilon = variant, ratio, beta, sigma, epsilon
        if epochs < 1:
            raise UsageError(f"epochs must be at least 1, got {epochs}")
        training = {"unique_target": unique_target, "batch_size": batch_size}
        given = [name for name, value in training.items() if value is not None]
        if given and not refine:
            raise UsageError(f"{given[0]} is a training option: it goes with refine=1 (a checkpoint records its own; "
                             f"`summarize train contrastive` sets it)")
        if unique_target not in (None, *UNIQUE_TARGETS):
            raise UsageError(f"unknown unique_target {unique_target!r}; choose one of: {', '.join(UNIQUE_TARGETS)}")
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise UsageError(f"batch_size must be a whole number of videos, at least 1; got {batch_size!r}")
        self.post, self.refine, self.seed, self.epochs = post, bool(refine), seed, epochs
        self.unique_target, self.batch_size = unique_target or "other", batch_size or BATCH_SIZE
        self.model = None
        self.meta = None
        self.checkpoint = self.digest = None
        self.trained_on: str | None = None  # for a model trained in this process (an evaluation fold)
        if checkpoint is not None:
            loaded = load_checkpoint(checkpoint, "contrastive")
            self.model, self.meta, self.digest = loaded.model, loaded.meta, loaded.digest
            self.checkpoint = str(Path(checkpoint).resolve())

    @property
    def required_backbone(self) -> str | None:  # type: ignore[override]
        return self.meta.backbone if self.meta is not None else None

    @property
    def needs_training(self) -> bool:
        """``refine=True`` without a model yet: ``summarize eval --splits`` trains one per fold."""
        return self.refine and self.model is None

    @property
    def params(self) -> dict[str, Any]:
        params = {
            "variant": self.variant,
            "neighbour_ratio": self.ratio,
            "beta": self.beta,
            "smoothing_sigma_samples": self.sigma,
            "epsilon": self.epsilon if self.post == "none" else 0.0,
            "self_is_neighbour": False,
        }
        if self.post != "none":
            params["post"] = {"exp": "exp(s - 1) before smoothing (CTVSUM's TVSum)",
                              "shift": "s + 0.05 before smoothing (CTVSUM's SumMe)"}[self.post]
        if self.checkpoint is not None:
            params.update(checkpoint=self.checkpoint, checkpoint_sha256=self.digest, backbone=self.meta.backbone,
                          model=self.meta.size, trained_on=self.meta.trained_on,
                          unique_target=self.meta.unique_target)
        if self.refine:
            params.update(refine="trained per evaluation fold on its training videos", seed=self.seed,
                          epochs=self.epochs, batch_size=self.batch_size, unique_target=self.unique_target)
        return params

    def check_features(self, features: np.ndarray, backbone: str | None = None) -> None:
        if self.meta is not None:
            self.meta.check_features(features, backbone, f"contrastive checkpoint {self.checkpoint}")

    def fitted(self, sequences: list[np.ndarray], *, backbone: str = "", device: torch.device | None = None,
               description: str = "") -> "ContrastiveScorer":
        """A copy of this scorer with a model trained on ``sequences`` (seeded by ``seed``)."""
        from ..training.contrastive import ContrastiveOptions, contrastive_recipe
        from ..training.loop import train_model

        options = ContrastiveOptions(seed=self.seed, epochs=self.epochs, batch_size=self.batch_size,
                                     unique_target=self.unique_target)
        recipe = contrastive_recipe(sequences, options, backbone=backbone)
        return self.with_model(train_model(recipe, device or "cpu").cpu(), description)

    def with_model(self, model: torch.nn.Module, trained_on: str = "") -> "ContrastiveScorer":
        """A copy of this scorer that scores with ``model`` (a ``RefinementNet`` trained in this process)."""
        other = copy.copy(self)
        other.model, other.trained_on = model.eval(), trained_on
        return other

    def terms(self, features: np.ndarray, device: torch.device | None = None) -> dict[str, np.ndarray]:
        """The raw per-sample terms: align and uniform (refined with a model), and unique (H, with one)."""
        projected, unique = None, None
        if self.model is not None:
            model = self.model.to(device or "cpu").eval()
            x = torch.as_tensor(np.asarray(features, dtype=np.float32), device=device or "cpu")
            with torch.inference_mode():
                z, logits = model(torch.nn.functional.normalize(x, dim=1)[None])
            projected, unique = z[0], torch.sigmoid(logits[0]).double().cpu().numpy()
        local, consistency = local_and_global(features, self.ratio, self.beta, device=device, projected=projected)
        terms = {"align": local, "uniform": consistency}
        if unique is not None:
            terms["unique"] = unique
        return terms

    def score(self, features: np.ndarray, *, device: torch.device | None = None) -> np.ndarray:
        if self.needs_training:
            raise UsageError("contrastive refine=1 trains a model per fold in `summarize eval --splits`; "
                             "elsewhere give checkpoint=PATH (from `summarize train contrastive`)")
        if len(features) < 2:
            return np.ones(len(features))
        terms = self.terms(features, device)
        scores = np.ones(len(features))
        for name in self.variant.split("+"):
            scores = scores * minmax(terms[name])
        if self.post == "exp":
            scores = np.exp(scores - 1.0)
        elif self.post == "shift":
            scores = scores + 0.05
        else:
            scores = scores + self.epsilon
        if self.sigma > 0:
            scores = gaussian_filter1d(scores, self.sigma, mode="nearest")
        return scores
