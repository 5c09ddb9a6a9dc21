"""Self-supervised training of the masked autoencoder (Shim et al., Sec. 3.3, 4.5 and App. A1).

Each step draws a batch of clips (``summarize.models.clips.sample_clips``: 30 frames, stride
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

import contextlib
import copy
import datetime as _dt
import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from ..device import resolve_device
from ..errors import OutputError, UsageError
from ..models.checkpoint import MAEWeights, code_version, load_checkpoint, now, save_checkpoint
from ..models.clips import random_masks, sample_clips
from ..models.mae import MAEConfig, MaskedAutoencoder, masked_mse, standardize
from .data import FeatureSequence

# progress(steps done, total steps, loss of the last step, learning rate of the last step)
TrainProgress = Callable[[int, int, float, float], None]


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


def make_optimizer(model: torch.nn.Module, options: TrainOptions) -> torch.optim.AdamW:
    """AdamW; biases and LayerNorm gains (1-d parameters) are not decayed."""
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": options.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=options.peak_lr, betas=(0.9, 0.95),
    )


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


def train_steps(model: torch.nn.Module, batches: ClipBatches, optimizer: torch.optim.Optimizer, options: TrainOptions,
                start: int, stop: int, device: torch.device, *, rank: int = 0, world_size: int = 1,
                progress: TrainProgress | None = None) -> float:
    """Run steps ``start`` .. ``stop - 1``; returns the loss of the last one (mean over processes)."""
    model.train()
    loss_value = float("nan")
    for step in range(start, stop):
        x, mask = batches.batch(step, rank, world_size)
        x, mask = x.to(device, non_blocking=True), mask.to(device, non_blocking=True)
        lr = learning_rate(step, options)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss = masked_mse(model(x, mask), standardize(x), mask)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        reported = loss.detach()
        if world_size > 1:
            torch.distributed.all_reduce(reported)
            reported = reported / world_size
        loss_value = float(reported)
        if progress is not None:
            progress(step + 1, options.steps, loss_value, lr)
    return loss_value


def new_model(config: MAEConfig, seed: int) -> MaskedAutoencoder:
    """A freshly initialised model; the seed fixes the initial weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MaskedAutoencoder(config)


def adapt(model: MaskedAutoencoder, features: np.ndarray, steps: int, *, seed: int = 0, batch_size: int = 16,
          base_lr: float = 4e-4, device: torch.device | str = "cpu") -> MaskedAutoencoder:
    """A copy of ``model`` trained for ``steps`` steps on one video's features (``model`` is untouched).

    A video shorter than one clip trains on clips of its whole length.
    """
    device = resolve_device(device)
    tuned = copy.deepcopy(model).to(device)
    if steps <= 0:
        return tuned.eval()
    options = TrainOptions(steps=steps, batch_size=batch_size, base_lr=base_lr, seed=seed).validate()
    clip_length = min(model.config.clip_length, len(features))
    batches = ClipBatches([np.asarray(features, dtype=np.float32)], clip_length, options)
    train_steps(tuned, batches, make_optimizer(tuned, options), options, 0, steps, device)
    return tuned.eval()


# ---- whole runs: data, processes, checkpoints ------------------------------------------


@dataclass
class Distributed:
    """This process's place in a ``torchrun`` job (rank 0 of 1 without one)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.world_size > 1:
            torch.distributed.barrier()


@contextlib.contextmanager
def distributed(device: str = "auto") -> Iterator[Distributed]:
    """Join the ``torchrun`` process group when launched by it (NCCL on GPUs, gloo on CPUs)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        yield Distributed(device=resolve_device(device))
        return
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    dev = resolve_device(device)
    if dev.type == "cuda":
        dev = torch.device("cuda", local_rank)
        torch.cuda.set_device(dev)
    # Long timeout: rank 0 may spend a while extracting features before the first collective.
    torch.distributed.init_process_group("nccl" if dev.type == "cuda" else "gloo",
                                         timeout=_dt.timedelta(hours=12))
    try:
        yield Distributed(rank, world_size, local_rank, dev)
    finally:
        torch.distributed.destroy_process_group()


def data_fingerprint(sequences: list[FeatureSequence]) -> str:
    text = json.dumps([[s.name, int(len(s.features))] for s in sequences])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class TrainResult:
    path: Path
    meta: MAEWeights
    final_loss: float
    resumed_from: int  # steps already done when this run started (0 for a fresh run)


def train_mae(sequences: list[FeatureSequence], out: str | Path, *, backbone: str, sampling_fps: float,
              options: TrainOptions | None = None, config: MAEConfig | None = None, init: str | Path | None = None,
              resume: bool = False, overwrite: bool = False, trained_on: str = "", command: str = "",
              backbone_weights: str = "default", dist: Distributed | None = None,
              progress: TrainProgress | None = None) -> TrainResult:
    """Train (or resume training) a masked autoencoder and write its checkpoint to ``out``.

    While the run is unfinished, ``out`` holds the last periodic checkpoint with the
    optimizer state; ``resume=True`` continues from it with the options it records. The
    finished checkpoint has no optimizer state. With ``init``, training starts from that
    checkpoint's weights (and size) instead of a random initialisation.
    """
    out = Path(out)
    dist = dist or Distributed(device=torch.device("cpu"))
    options = options or TrainOptions()
    fingerprint = data_fingerprint(sequences)
    start, elapsed, saved_optimizer = 0, 0.0, None
    if resume and out.exists():
        ckpt = load_checkpoint(out)
        if ckpt.training is None:
            raise UsageError(f"{out} is a finished checkpoint ({ckpt.meta.steps} steps): nothing to resume "
                             "(to train further from it, use --init with a new --out)")
        if ckpt.meta.backbone != backbone:
            raise UsageError(f"{out} was trained on {ckpt.meta.backbone} features, not {backbone}")
        if ckpt.training["data"] != fingerprint:
            raise UsageError(f"the training data differ from those of the run saved in {out}")
        options = TrainOptions(**ckpt.training["options"])
        model, start, elapsed = ckpt.model, int(ckpt.training["step"]), float(ckpt.training["seconds"])
        saved_optimizer = ckpt.training["optimizer"]
        trained_on, command = ckpt.meta.trained_on, ckpt.meta.command
    elif out.exists() and not overwrite:
        raise OutputError(f"{out} already exists (use --resume to continue its run or --overwrite to replace it)")
    elif init is not None:
        start_from = load_checkpoint(init)
        if start_from.meta.backbone != backbone:
            raise UsageError(f"--init {init} was trained on {start_from.meta.backbone} features, not {backbone}")
        model = start_from.model
        trained_on = f"{trained_on} (starting from {Path(init).name}: {start_from.meta.trained_on})"
    else:
        model = new_model(config or MAEConfig(), options.seed)
    options.validate(dist.world_size)
    dims = {len(s.features[0]) for s in sequences}
    if dims != {model.config.feature_dim}:
        raise UsageError(f"the model takes {model.config.feature_dim}-d features, the data have {sorted(dims)}")
    if dist.is_main:
        out.parent.mkdir(parents=True, exist_ok=True)

    model = model.to(dist.device)
    trained = model
    if dist.world_size > 1:
        trained = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[dist.device.index] if dist.device.type == "cuda" else None)
    optimizer = make_optimizer(trained, options)
    if saved_optimizer is not None:
        optimizer.load_state_dict(saved_optimizer)
    batches = ClipBatches([s.features for s in sequences], model.config.clip_length, options)

    def meta(steps: int, seconds: float) -> MAEWeights:
        return MAEWeights(
            backbone=backbone, feature_dim=model.config.feature_dim, sampling_fps=float(sampling_fps),
            clip_length=model.config.clip_length, size=model.config.size_name, num_params=model.num_parameters,
            trained_on=trained_on, steps=steps, batch_size=options.batch_size, base_lr=options.base_lr,
            mask_ratio=options.mask_ratio, max_stride=options.max_stride, seed=options.seed, created=now(),
            code_version=code_version(), train_seconds=round(seconds, 1), device=dist.device.type,
            world_size=dist.world_size, command=command, backbone_weights=backbone_weights,
        )

    loss, step = float("nan"), start
    while step < options.steps:
        stop = min(options.steps, (step // options.save_every + 1) * options.save_every)
        t0 = time.perf_counter()
        loss = train_steps(trained, batches, optimizer, options, step, stop, dist.device,
                           rank=dist.rank, world_size=dist.world_size, progress=progress)
        elapsed += time.perf_counter() - t0
        step = stop
        if dist.is_main:
            unfinished = step < options.steps
            training = {"step": step, "seconds": elapsed, "options": asdict(options), "data": fingerprint,
                        "optimizer": optimizer.state_dict(), "last_loss": loss} if unfinished else None
            save_checkpoint(out, model, meta(step, elapsed), training)
        dist.barrier()
    final = meta(options.steps, elapsed)
    return TrainResult(out, final, loss, start)
