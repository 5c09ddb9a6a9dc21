"""Masked-autoencoder scores (Shim et al., AAAI 2024, Sec. 3.4).

For every sampled frame t: the clip of ``clip_length`` (30) frames at the scoring stride
(default 2 samples, i.e. one second apart at 2 fps) with t at position 15, shifted inside
the video near its start and end (see ``summarize.networks.clips.centred_clips``); only t is
masked; the score is ``1 - cos(feature_t, reconstruction_t)``: frames the model cannot
predict from their context score high. All clips of a video run through the network in
batches of ``batch_size``. The scores are then Gaussian-smoothed over time (sigma = 1
sample), like the contrastive scores, before shots and selection.

``adapt`` > 0 first trains a copy of the model for that many steps on this video's own
features, seeded by ``seed`` (after the paper's unsupervised fine-tuning, Sec. 4.5, which
fine-tunes once on a whole benchmark rather than on each video); the loaded checkpoint is
never modified, so one scorer can score many videos.

The shipped checkpoint ranks SumMe's frames below chance (its model card): ``note`` says
so, and the command line and the summary JSON pass it on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d

from ..errors import UsageError
from ..networks.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from ..networks.clips import centred_clips
from ..networks.mae import MaskedAutoencoder
from .base import Scorer

# What the shipped checkpoint is worth (models/mae-small-efficientnet-lite0.md): said wherever it is used.
SHIPPED_NOTE = ("the shipped MAE checkpoint was trained on 8 generated videos and ranks SumMe's frames below "
                "chance (Kendall's tau -0.06); for a useful model, train one on footage like yours: "
                "summarize train mae --videos DIR")


def reconstruction_scores(model: MaskedAutoencoder, features: np.ndarray, stride: int = 2, batch_size: int = 256,
                          device: torch.device | None = None) -> np.ndarray:
    """``1 - cos(x_t, reconstruction of x_t)`` for every sample t, each masked alone in its clip."""
    device = device or torch.device("cpu")
    x = torch.as_tensor(np.asarray(features, dtype=np.float32))
    frames, position, _ = centred_clips(len(x), model.config.clip_length, stride)
    frames, position = torch.from_numpy(frames), torch.from_numpy(position)
    mask = torch.zeros(frames.shape, dtype=torch.bool)
    mask[torch.arange(len(frames)), position] = True
    scores = torch.empty(len(x), dtype=torch.float64)
    model = model.eval()
    with torch.inference_mode():
        for start in range(0, len(x), batch_size):
            rows = slice(start, start + batch_size)
            clips, clip_mask = x[frames[rows]].to(device), mask[rows].to(device)
            reconstruction = model(clips, clip_mask)[clip_mask]  # (B, D): the target of each clip
            original = clips[clip_mask]
            cos = torch.nn.functional.cosine_similarity(reconstruction.float(), original, dim=-1)
            scores[rows] = (1.0 - cos).double().cpu()
    return scores.numpy()


class MAEScorer(Scorer):
    name = "mae"
    cli_params = ("checkpoint", "stride", "adapt", "seed")
    description = "masked-autoencoder reconstruction error (Shim et al. 2024)"

    def __init__(self, checkpoint: str | Path | None = None, stride: int = 2, adapt: int = 0, seed: int = 0,
                 adapt_batch_size: int = 16, adapt_lr: float = 4e-4, sigma: float = 1.0,
                 batch_size: int = 256) -> None:
        if stride < 1:
            raise UsageError(f"--stride must be at least 1, got {stride}")
        if adapt < 0:
            raise UsageError(f"--adapt must be >= 0 steps, got {adapt}")
        if sigma < 0:
            raise UsageError(f"smoothing sigma must be >= 0, got {sigma}")
        if adapt_batch_size < 1 or batch_size < 1:
            raise UsageError("batch sizes must be at least 1")
        loaded = load_checkpoint(checkpoint)
        self.model, self.meta, self.digest = loaded.model, loaded.meta, loaded.digest
        self.checkpoint = "default" if checkpoint is None or Path(checkpoint) == DEFAULT_CHECKPOINT \
            else str(Path(checkpoint).resolve())
        self.stride, self.adapt, self.seed = stride, adapt, seed
        self.adapt_batch_size, self.adapt_lr = adapt_batch_size, adapt_lr
        self.sigma, self.batch_size = sigma, batch_size

    @property
    def required_backbone(self) -> str:  # type: ignore[override]
        return self.meta.backbone

    @property
    def note(self) -> str | None:
        return SHIPPED_NOTE if self.checkpoint == "default" else None

    @property
    def stochastic(self) -> bool:
        """Only test-time adaptation draws random clips; plain scoring is deterministic."""
        return self.adapt > 0

    @property
    def params(self) -> dict[str, Any]:
        return {
            "checkpoint": self.checkpoint,
            "checkpoint_sha256": self.digest,
            "backbone": self.meta.backbone,
            "model_size": self.meta.size,
            "clip_length": self.meta.clip_length,
            "stride": self.stride,
            "target_position": "clip_length // 2, shifted inside the video at its ends",
            "score": "1 - cos(feature, reconstruction)",
            "adapt_steps": self.adapt,
            "adapt_seed": self.seed if self.adapt else None,
            "adapt_batch_size": self.adapt_batch_size if self.adapt else None,
            "adapt_base_lr": self.adapt_lr if self.adapt else None,
            "smoothing_sigma_samples": self.sigma,
        }

    def check_features(self, features: np.ndarray, backbone: str | None = None) -> None:
        name = "the default MAE checkpoint" if self.checkpoint == "default" else f"MAE checkpoint {self.checkpoint}"
        self.meta.check_features(features, backbone, name)

    def score(self, features: np.ndarray, *, device: torch.device | None = None) -> np.ndarray:
        if len(features) < 2:
            return np.ones(len(features))
        device = device or torch.device("cpu")
        model = self.model
        if self.adapt:
            from ..training.mae import adapt

            model = adapt(model, features, self.adapt, seed=self.seed, batch_size=self.adapt_batch_size,
                          base_lr=self.adapt_lr, device=device)
        else:
            model = model.to(device)
        scores = reconstruction_scores(model, features, self.stride, self.batch_size, device)
        if self.sigma > 0:
            scores = gaussian_filter1d(scores, self.sigma, mode="nearest")
        return scores
