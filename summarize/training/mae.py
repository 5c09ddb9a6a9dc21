"""Self-supervised training of the masked autoencoder (Shim et al., Sec. 3.3, 4.5 and App. A1),
as a ``Recipe`` of the shared training loop (``summarize.training.loop``).

Each step draws a batch of clips (``summarize.networks.clips.sample_clips``: 30 frames, stride
uniform in 1..8, start uniform among those that fit), masks half the frames of each at
random and minimises the MSE of the masked frames' reconstructions. AdamW (betas 0.9/0.95,
weight decay 0.05 on matrices only); the peak learning rate follows the linear scaling rule
``base_lr * batch_size / 256``; a linear warm-up over the first 10% of the steps, then a
cosine decay that reaches 1e-6 at the last step.

The clips of step ``k`` are drawn from a generator seeded with ``(seed, k)``, so a run is
reproducible, resumes exactly where it stopped (nothing else is random), and gives the same
batches with any number of processes: under ``torchrun`` each of the W processes takes its
1/W share of the global batch and PyTorch DDP averages the gradients, which equals the
gradient of the whole batch's mean loss.

``adapt`` is the same training on one video's features, on a copy of the weights
(unsupervised fine-tuning, Sec. 4.5).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..device import resolve_device
from ..errors import UsageError
from ..networks.checkpoint import MAEWeights, code_version, now
from ..networks.clips import random_masks, sample_clips
from ..networks.mae import MAEConfig, MaskedAutoencoder, masked_mse, standardize
from .data import FeatureSequence
from .loop import Distributed, Recipe, TrainProgress, TrainResult, data_fingerprint, fit, make_optimizer, train_model


@dataclass
class TrainOptions:
    steps: int = 3000
    batch_size: int = 32  # clips per step, over all processes
    base_lr: float = 4e-4  # for a batch of 256 clips (linear scaling rule)
    min_lr: float = 1e-6
    warmup_fraction: float = 0.1
    weight_decay: float = 0.05
    mask_ratio: float = 0.5
    max_stride: int = 8
    seed: int = 0
    save_every: int = 250  # steps between checkpoints of an unfinished run

    def validate(self, world_size: int = 1) -> "TrainOptions":
        if self.steps < 1:
            raise UsageError(f"--steps must be at least 1, got {self.steps}")
        if self.batch_size < 1:
            raise UsageError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.batch_size % world_size:
            raise UsageError(f"--batch-size {self.batch_size} does not split evenly over {world_size} processes")
        if not self.base_lr > 0:
            raise UsageError(f"--lr must be positive, got {self.base_lr:g}")
        if not 0 < self.mask_ratio < 1:
            raise UsageError(f"mask ratio must be in (0, 1), got {self.mask_ratio:g}")
        if self.max_stride < 1:
            raise UsageError(f"--max-stride must be at least 1, got {self.max_stride}")
        if not 0 <= self.warmup_fraction < 1:
            raise UsageError(f"--warmup must be in [0, 1), got {self.warmup_fraction:g}")
        return self

    @property
    def peak_lr(self) -> float:
        return self.base_lr * self.batch_size / 256

    @property
    def warmup_steps(self) -> int:
        return int(round(self.warmup_fraction * self.steps))


def learning_rate(step: int, options: TrainOptions) -> float:
    """Rate for step ``step`` (0-based): linear warm-up, then cosine down to ``min_lr`` at the last step."""
    peak, warmup, last = options.peak_lr, options.warmup_steps, options.steps - 1
    if step < warmup:
        return peak * (step + 1) / warmup
    if last <= warmup:
        return peak
    progress = (step - warmup) / (last - warmup)
    return options.min_lr + (peak - options.min_lr) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


class ClipBatches:
    """The training clips of every step, drawn reproducibly from a set of feature sequences."""

    def __init__(self, sequences: list[np.ndarray], clip_length: int, options: TrainOptions) -> None:
        self.lengths = np.array([len(s) for s in sequences], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])
        self.features = torch.from_numpy(np.concatenate(sequences).astype(np.float32, copy=False))
        self.clip_length = clip_length
        self.options = options

    def batch(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        """(features (B/W, L, D), mask (B/W, L)): this process's share of step ``step``'s batch."""
        opts = self.options
        rng = np.random.default_rng([opts.seed, step])
        sequence, frames = sample_clips(self.lengths, opts.batch_size, rng, self.clip_length, opts.max_stride)
        mask = random_masks(opts.batch_size, self.clip_length, opts.mask_ratio, rng)
        share = opts.batch_size // world_size
        rows = slice(rank * share, (rank + 1) * share)
        index = torch.from_numpy(self.offsets[sequence[rows], None] + frames[rows])
        return self.features[index], torch.from_numpy(mask[rows])


class MAERecipe(Recipe):
    """Masked clips and their reconstruction loss (Sec. 3.3), AdamW (betas 0.9/0.95)."""

    kind = "mae"

    def __init__(self, sequences: list[np.ndarray], config: MAEConfig, options: TrainOptions, *,
                 backbone: str = "", sampling_fps: float = 0.0, backbone_weights: str = "default") -> None:
        self.sequences, self.config, self.options = sequences, config, options
        self.feature_dim = config.feature_dim
        self.backbone, self.sampling_fps, self.backbone_weights = backbone, sampling_fps, backbone_weights
        self._batches: ClipBatches | None = None

    def new_model(self) -> MaskedAutoencoder:
        return MaskedAutoencoder(self.config)

    def batch(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[torch.Tensor, ...]:
        if self._batches is None or self._batches.options is not self.options:
            self._batches = ClipBatches(self.sequences, self.config.clip_length, self.options)
        return self._batches.batch(step, rank, world_size)

    def loss(self, model: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x, mask = batch
        return masked_mse(model(x, mask), standardize(x), mask)

    def learning_rate(self, step: int) -> float:
        return learning_rate(step, self.options)

    def optimizer(self, model: torch.nn.Module) -> torch.optim.AdamW:
        return make_optimizer(model, self.options.peak_lr, self.options.weight_decay, betas=(0.9, 0.95))

    def weights(self, model: torch.nn.Module, *, steps: int, seconds: float, trained_on: str, command: str,
                device: str, world_size: int) -> MAEWeights:
        opts, config = self.options, model.config
        return MAEWeights(
            backbone=self.backbone, feature_dim=config.feature_dim, sampling_fps=float(self.sampling_fps),
            clip_length=config.clip_length, size=config.size_name, num_params=model.num_parameters,
            trained_on=trained_on, steps=steps, batch_size=opts.batch_size, base_lr=opts.base_lr,
            mask_ratio=opts.mask_ratio, max_stride=opts.max_stride, seed=opts.seed, created=now(),
            code_version=code_version(), train_seconds=seconds, device=device, world_size=world_size,
            command=command, backbone_weights=self.backbone_weights,
        )


def new_model(config: MAEConfig, seed: int) -> MaskedAutoencoder:
    """A freshly initialised model; the seed fixes the initial weights."""
    return MAERecipe([], config, TrainOptions(seed=seed)).new_seeded_model()


def adapt(model: MaskedAutoencoder, features: np.ndarray, steps: int, *, seed: int = 0, batch_size: int = 16,
          base_lr: float = 4e-4, device: torch.device | str = "cpu") -> MaskedAutoencoder:
    """A copy of ``model`` trained for ``steps`` steps on one video's features (``model`` is untouched).

    A video shorter than one clip trains on clips of its whole length.
    """
    tuned = copy.deepcopy(model).to(resolve_device(device))
    if steps <= 0:
        return tuned.eval()
    options = TrainOptions(steps=steps, batch_size=batch_size, base_lr=base_lr, seed=seed).validate()
    config = MAEConfig(**{**model.config.to_dict(), "clip_length": min(model.config.clip_length, len(features))})
    recipe = MAERecipe([np.asarray(features, dtype=np.float32)], config, options)
    return train_model(recipe, device, model=tuned)


def train_mae(sequences: list[FeatureSequence], out: str | Path, *, backbone: str, sampling_fps: float,
              options: TrainOptions | None = None, config: MAEConfig | None = None, init: str | Path | None = None,
              resume: bool = False, overwrite: bool = False, trained_on: str = "", command: str = "",
              backbone_weights: str = "default", dist: Distributed | None = None,
              progress: TrainProgress | None = None) -> TrainResult:
    """Train (or resume training) a masked autoencoder and write its checkpoint to ``out``
    (see ``summarize.training.loop.fit`` for resuming, ``init`` and checkpoints)."""
    config = config or MAEConfig()
    if init is not None:  # the clips follow the shape of the weights training starts from
        from ..networks.checkpoint import load_checkpoint

        init = load_checkpoint(init)
        config = init.model.config
    recipe = MAERecipe([s.features for s in sequences], config, options or TrainOptions(), backbone=backbone,
                       sampling_fps=sampling_fps, backbone_weights=backbone_weights)
    dims = {len(s.features[0]) for s in sequences}
    if dims != {config.feature_dim}:
        raise UsageError(f"the model takes {config.feature_dim}-d features, the data have {sorted(dims)}")
    return fit(recipe, out, backbone=backbone, fingerprint=data_fingerprint(sequences), init=init, resume=resume,
               overwrite=overwrite, trained_on=trained_on, command=command, dist=dist, progress=progress)
