"""Training of the contrastive refinement and uniqueness filter (Pang et al., Sec. 4.3-4.5),
as a ``Recipe`` of the shared training loop (``summarize.training.loop``).

As in the paper and the authors' code (``configs/aln_uni_config.yml``, ``main_ablations.py``,
``lit_models/lit_aln_uni.py``): every epoch visits every training video once, in batches of
32 videos (their code forces 8 on SumMe: ``summarize eval`` does the same for
``refine=1``); each video is resampled to a fixed length of 200 samples (a sorted random
subset when longer, nearest-neighbour interpolation when shorter); the loss is Eq. 11 with
alpha = 0.5 and lambda2 = lambda3 = 0.1; K = 0.1 x 200 neighbours chosen on the frozen
features; segments of m = 10 samples; Adam at a constant rate of 1e-4 with an L2 penalty
of 1e-4 on every parameter (``torch.optim.Adam(weight_decay=...)``, as theirs; not AdamW's
decoupled decay); attention dropout 0.1 (``summarize.networks.contrastive``); 40 epochs.
``unique_target`` chooses the segments of L_unique: the other videos' (the paper, the
default) or every video's, the frame's own included (``"ctvsum"``, their code).

Our choices where theirs would not do: an epoch's videos are split into batches of
near-equal size (40 videos with batches of 32 give two batches of 20, not 32 + 8), so with
the paper's target the uniqueness loss always has other videos to compare with: a run
needs at least two videos, and a batch that would hold one video alone takes it with
another (one video over ``batch_size``). Under ``torchrun`` each process takes its share
of every batch and compares frames with the other videos of its share. Batches,
resampling and the dropout of each step are drawn from ``(seed, step)``, so a run is
reproducible and resumes exactly.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import UsageError
from ..networks.checkpoint import ContrastiveWeights, code_version, now
from ..networks.contrastive import (ALPHA, BATCH_SIZE, LAMBDA_FILTER, LAMBDA_UNIQUE, NEIGHBOUR_RATIO, SEGMENT_LENGTH,
                                    SEQUENCE_LENGTH, UNIQUE_TARGETS, ContrastiveConfig, LossWeights, RefinementNet,
                                    refinement_loss)
from ..scoring.contrastive import neighbour_count
from .data import FeatureSequence
from .loop import Distributed, Recipe, TrainProgress, TrainResult, data_fingerprint, fit, make_optimizer

OPTIMIZERS = ("adam", "adamw")  # adamw: how version-1 checkpoints were trained (resumed as they were)


@dataclass
class ContrastiveOptions:
    epochs: int = 40
    batch_size: int = BATCH_SIZE  # videos per step, over all processes
    lr: float = 1e-4
    weight_decay: float = 1e-4
    sequence_length: int = SEQUENCE_LENGTH
    alpha: float = ALPHA
    lambda_unique: float = LAMBDA_UNIQUE
    lambda_filter: float = LAMBDA_FILTER
    neighbour_ratio: float = NEIGHBOUR_RATIO
    segment_length: int = SEGMENT_LENGTH
    seed: int = 0
    save_every: int = 250  # steps between checkpoints of an unfinished run
    n_videos: int = 0  # set from the data: the steps follow from it
    unique_target: str = "other"  # "other" (the paper) or "ctvsum" (the authors' code: own video included)
    optimizer: str = "adam"

    @property
    def videos_per_batch(self) -> int:
        """The fewest videos a batch may hold: two when L_unique compares with other videos."""
        return 2 if self.unique_target == "other" else 1

    @property
    def steps_per_epoch(self) -> int:
        batches = math.ceil(self.n_videos / self.batch_size)
        return max(1, min(batches, self.n_videos // self.videos_per_batch))

    @property
    def steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    def validate(self, world_size: int = 1) -> "ContrastiveOptions":
        if self.epochs < 1:
            raise UsageError(f"--epochs must be at least 1, got {self.epochs}")
        if self.unique_target not in UNIQUE_TARGETS:
            raise UsageError(f"unknown uniqueness target {self.unique_target!r}; choose one of: "
                             f"{', '.join(UNIQUE_TARGETS)}")
        if self.optimizer not in OPTIMIZERS:
            raise UsageError(f"unknown optimizer {self.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}")
        least = self.videos_per_batch * world_size
        if self.batch_size < least:
            raise UsageError(f"--batch-size must be at least {self.videos_per_batch} videos per process"
                             + (" (the uniqueness loss compares a video with others)" if least > world_size else "")
                             + f", got {self.batch_size} over {world_size}")
        if self.n_videos < least:
            if self.unique_target == "other":
                raise UsageError(f"the uniqueness filter learns from other videos: give at least {least} "
                                 f"training videos, got {self.n_videos} (or use the authors' uniqueness target, "
                                 "ctvsum, which compares a video with itself too)")
            raise UsageError(f"give at least {least} training videos, got {self.n_videos}")
        if not self.lr > 0:
            raise UsageError(f"--lr must be positive, got {self.lr:g}")
        if self.sequence_length < 2 * self.segment_length:
            raise UsageError(f"--length must be at least two segments ({2 * self.segment_length} samples)")
        if not 0 < self.neighbour_ratio <= 1:
            raise UsageError(f"neighbour ratio must be in (0, 1], got {self.neighbour_ratio:g}")
        return self


def resample_index(length: int, target: int, rng: np.random.Generator) -> np.ndarray:
    """Indices that bring a sequence of ``length`` samples to ``target``: a sorted random subset
    when longer, nearest-neighbour interpolation (each sample repeated in turn) when shorter."""
    if length >= target:
        return np.sort(rng.choice(length, size=target, replace=False))
    return np.floor(np.arange(target) * (length / target)).astype(np.int64)


class ContrastiveRecipe(Recipe):
    kind = "contrastive"

    def __init__(self, sequences: list[np.ndarray], config: ContrastiveConfig, options: ContrastiveOptions, *,
                 backbone: str = "", sampling_fps: float = 0.0, backbone_weights: str = "default") -> None:
        short = [i for i, s in enumerate(sequences) if len(s) < 2]
        if short:
            raise UsageError(f"training sequence {short[0]} has fewer than 2 samples")
        self.sequences = [torch.from_numpy(np.asarray(s, dtype=np.float32)) for s in sequences]
        self.config, self.feature_dim = config, config.feature_dim
        self.options = options
        self.backbone, self.sampling_fps, self.backbone_weights = backbone, sampling_fps, backbone_weights
        self.last_terms: dict[str, float] = {}

    def new_model(self) -> RefinementNet:
        return RefinementNet(self.config)

    def videos(self, step: int) -> np.ndarray:
        """The videos of step ``step``: its slice of the epoch's seeded permutation."""
        opts = self.options
        epoch, position = divmod(step, opts.steps_per_epoch)
        order = np.random.default_rng([opts.seed, epoch]).permutation(len(self.sequences))
        return np.array_split(order, opts.steps_per_epoch)[position]

    def batch(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[torch.Tensor, ...]:
        opts = self.options
        videos = self.videos(step)
        rng = np.random.default_rng([opts.seed, step, 1])
        picks = [resample_index(len(self.sequences[v]), opts.sequence_length, rng) for v in videos]
        share = np.array_split(np.arange(len(videos)), world_size)[rank]
        return (torch.stack([self.sequences[videos[i]][torch.from_numpy(picks[i])] for i in share]),)

    def loss(self, model: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        opts = self.options
        weights = LossWeights(opts.alpha, opts.lambda_unique, opts.lambda_filter)
        loss, self.last_terms = refinement_loss(model, batch[0], neighbour_count(opts.sequence_length,
                                                                                 opts.neighbour_ratio),
                                                weights, opts.segment_length, unique_target=opts.unique_target)
        return loss

    def learning_rate(self, step: int) -> float:
        return self.options.lr

    def step_seed(self, step: int, rank: int = 0) -> int:
        """The attention dropout's draw at ``step`` (per process: each has its own videos)."""
        return int(np.random.SeedSequence([self.options.seed, step, 2, rank]).generate_state(1)[0])

    def optimizer(self, model: torch.nn.Module) -> torch.optim.Optimizer:
        opts = self.options
        if opts.optimizer == "adamw":  # version-1 runs, resumed as they began
            return make_optimizer(model, opts.lr, opts.weight_decay)
        # The authors' Adam: the L2 penalty is added to every parameter's gradient.
        return torch.optim.Adam(model.parameters(), lr=opts.lr, weight_decay=opts.weight_decay)

    def weights(self, model: torch.nn.Module, *, steps: int, seconds: float, trained_on: str, command: str,
                device: str, world_size: int) -> ContrastiveWeights:
        opts, config = self.options, model.config
        return ContrastiveWeights(
            backbone=self.backbone, feature_dim=config.feature_dim, sampling_fps=float(self.sampling_fps),
            size=config.size_name, num_params=model.num_parameters, trained_on=trained_on, steps=steps,
            batch_size=opts.batch_size, seed=opts.seed, created=now(), code_version=code_version(),
            train_seconds=seconds, device=device, world_size=world_size, command=command,
            backbone_weights=self.backbone_weights, epochs=opts.epochs, sequence_length=opts.sequence_length,
            lr=opts.lr, weight_decay=opts.weight_decay, alpha=opts.alpha, lambda_unique=opts.lambda_unique,
            lambda_filter=opts.lambda_filter, neighbour_ratio=opts.neighbour_ratio,
            segment_length=opts.segment_length, n_videos=opts.n_videos, unique_target=opts.unique_target,
            optimizer=opts.optimizer, metrics={"last_step_terms": {k: round(v, 6) for k, v in self.last_terms.items()}},
        )


def contrastive_recipe(sequences: list[FeatureSequence] | list[np.ndarray], options: ContrastiveOptions | None = None,
                       config: ContrastiveConfig | None = None, **record) -> ContrastiveRecipe:
    """The recipe for ``sequences`` (their count sets the steps per epoch)."""
    arrays = [s.features if isinstance(s, FeatureSequence) else s for s in sequences]
    dims = sorted({int(np.shape(a)[1]) for a in arrays})
    if len(dims) > 1:
        raise UsageError(f"the training features have different sizes: {dims}")
    options = ContrastiveOptions(**{**asdict(options or ContrastiveOptions()), "n_videos": len(arrays)})
    config = config or ContrastiveConfig(feature_dim=dims[0] if dims else 1024)
    if dims and config.feature_dim != dims[0]:
        raise UsageError(f"the model takes {config.feature_dim}-d features, the data have {dims[0]}-d ones")
    return ContrastiveRecipe(arrays, config, options, **record)


def train_contrastive(sequences: list[FeatureSequence], out: str | Path, *, backbone: str, sampling_fps: float,
                      options: ContrastiveOptions | None = None, config: ContrastiveConfig | None = None,
                      init: str | Path | None = None, resume: bool = False, overwrite: bool = False,
                      trained_on: str = "", command: str = "", backbone_weights: str = "default",
                      dist: Distributed | None = None, progress: TrainProgress | None = None) -> TrainResult:
    """Train (or resume training) the refinement + uniqueness model and write its checkpoint
    (see ``summarize.training.loop.fit`` for resuming, ``init`` and checkpoints)."""
    if init is not None:  # training goes on in the shape of the weights it starts from
        from ..networks.checkpoint import load_checkpoint

        init = load_checkpoint(init, "contrastive")
        config = init.model.config
    recipe = contrastive_recipe(sequences, options, config, backbone=backbone, sampling_fps=sampling_fps,
                                backbone_weights=backbone_weights)
    return fit(recipe, out, backbone=backbone, fingerprint=data_fingerprint(sequences), init=init, resume=resume,
               overwrite=overwrite, trained_on=trained_on, command=command, dist=dist, progress=progress)
