"""The one training loop every trained scorer uses (``summarize train mae|contrastive``).

A model kind describes its training as a ``Recipe``: the batches of every step (drawn
reproducibly from ``(seed, step)``, so a run resumes exactly and gives the same batches
with any number of processes), the loss of a batch, the learning rate of a step, its
optimizer, and the record (``Weights``) written with the checkpoint. ``fit`` does the rest
for all of them: fresh start, ``--init`` or ``--resume``; ``torchrun`` DDP (each of the W
processes takes its 1/W share of the global batch and DDP averages the gradients, which
equals the gradient of the whole batch's mean loss); periodic atomic checkpoints with the
optimizer state while the run is unfinished; progress.
"""

from __future__ import annotations

import abc
import contextlib
import copy
import datetime as _dt
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator

import torch

from ..device import resolve_device
from ..digest import text_digest
from ..errors import OutputError, UsageError
from ..networks.checkpoint import KINDS, Checkpoint, TrainedWeights, load_checkpoint, save_checkpoint
from .data import FeatureSequence

# progress(steps done, total steps, loss of the last step, learning rate of the last step)
TrainProgress = Callable[[int, int, float, float], None]


def make_optimizer(model: torch.nn.Module, lr: float, weight_decay: float,
                   betas: tuple[float, float] = (0.9, 0.999)) -> torch.optim.AdamW:
    """AdamW; biases and LayerNorm gains (1-d parameters) are not decayed."""
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr, betas=betas,
    )


class Recipe(abc.ABC):
    """How one kind of model trains. ``options`` is a dataclass with at least ``steps``,
    ``batch_size``, ``seed`` and ``save_every`` and a ``validate(world_size)`` method; it is
    saved in unfinished checkpoints and restored on ``--resume``."""

    kind: ClassVar[str]  # a key of summarize.networks.checkpoint.KINDS
    options: Any
    feature_dim: int  # of the training data

    @abc.abstractmethod
    def new_model(self) -> torch.nn.Module:
        """A freshly initialised network (the options' seed fixes its weights)."""

    @abc.abstractmethod
    def batch(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[torch.Tensor, ...]:
        """This process's share of step ``step``'s batch."""

    @abc.abstractmethod
    def loss(self, model: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The loss of a batch (already on the device)."""

    @abc.abstractmethod
    def learning_rate(self, step: int) -> float:
        """The rate of step ``step`` (0-based)."""

    @abc.abstractmethod
    def optimizer(self, model: torch.nn.Module) -> torch.optim.Optimizer: ...

    @abc.abstractmethod
    def weights(self, model: torch.nn.Module, *, steps: int, seconds: float, trained_on: str, command: str,
                device: str, world_size: int) -> TrainedWeights:
        """The record saved with the weights after ``steps`` steps."""

    def step_seed(self, step: int, rank: int = 0) -> int | None:
        """A seed for what the model itself draws at ``step`` (dropout), so that a run resumes
        exactly; None: the model draws nothing."""
        return None

    def with_options(self, options: Any) -> "Recipe":
        """The same recipe with other options (those of the run being resumed)."""
        other = copy.copy(self)
        other.options = options
        return other

    def new_seeded_model(self) -> torch.nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.options.seed)
            return self.new_model()


def train_steps(model: torch.nn.Module, recipe: Recipe, optimizer: torch.optim.Optimizer, start: int, stop: int,
                device: torch.device, *, rank: int = 0, world_size: int = 1,
                progress: TrainProgress | None = None) -> float:
    """Run steps ``start`` .. ``stop - 1``; returns the loss of the last one (mean over processes)."""
    model.train()
    loss_value = float("nan")
    for step in range(start, stop):
        batch = tuple(t.to(device, non_blocking=True) for t in recipe.batch(step, rank, world_size))
        lr = recipe.learning_rate(step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        with _seeded(recipe.step_seed(step, rank), device):
            loss = recipe.loss(model, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        reported = loss.detach()
        if world_size > 1:
            torch.distributed.all_reduce(reported)
            reported = reported / world_size
        loss_value = float(reported)
        if progress is not None:
            progress(step + 1, recipe.options.steps, loss_value, lr)
    return loss_value


@contextlib.contextmanager
def _seeded(seed: int | None, device: torch.device) -> Iterator[None]:
    """PyTorch's generators seeded with ``seed`` inside, restored after (nothing without a seed)."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        yield


# ---- processes ----------------------------------------------------------------------------


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


# ---- whole runs -----------------------------------------------------------------------------


def data_fingerprint(sequences: list[FeatureSequence]) -> str:
    text = json.dumps([[s.name, int(len(s.features))] for s in sequences])
    return text_digest(text)


@dataclass
class TrainResult:
    path: Path
    meta: TrainedWeights
    final_loss: float
    resumed_from: int  # steps already done when this run started (0 for a fresh run)


def fit(recipe: Recipe, out: str | Path, *, backbone: str, fingerprint: str,
        init: str | Path | Checkpoint | None = None,
        resume: bool = False, overwrite: bool = False, trained_on: str = "", command: str = "",
        dist: Distributed | None = None, progress: TrainProgress | None = None) -> TrainResult:
    """Train (or resume training) ``recipe``'s model and write its checkpoint to ``out``.

    While the run is unfinished, ``out`` holds the last periodic checkpoint with the
    optimizer state; ``resume=True`` continues from it with the options it records. The
    finished checkpoint has no optimizer state. With ``init``, training starts from that
    checkpoint's weights (and shape) instead of a random initialisation (a path, or the
    checkpoint already loaded by a caller that needed its shape first: read once).
    """
    out = Path(out)
    dist = dist or Distributed(device=torch.device("cpu"))
    label = KINDS[recipe.kind].label
    start, elapsed, saved_optimizer = 0, 0.0, None
    if resume and out.exists():
        ckpt = load_checkpoint(out, recipe.kind)
        if ckpt.training is None:
            raise UsageError(f"{out} is a finished checkpoint ({ckpt.meta.steps} steps): nothing to resume "
                             "(to train further from it, use --init with a new --out)")
        if ckpt.meta.backbone != backbone:
            raise UsageError(f"{out} was trained on {ckpt.meta.backbone} features, not {backbone}")
        if ckpt.training["data"] != fingerprint:
            raise UsageError(f"the training data differ from those of the run saved in {out}")
        recipe = recipe.with_options(type(recipe.options)(**ckpt.training["options"]))
        model, start, elapsed = ckpt.model, int(ckpt.training["step"]), float(ckpt.training["seconds"])
        saved_optimizer = ckpt.training["optimizer"]
        trained_on, command = ckpt.meta.trained_on, ckpt.meta.command
    elif out.exists() and not overwrite:
        raise OutputError(f"{out} already exists (use --resume to continue its run or --overwrite to replace it)")
    elif init is not None:
        start_from = init if isinstance(init, Checkpoint) else load_checkpoint(init, recipe.kind)
        if start_from.meta.backbone != backbone:
            raise UsageError(f"--init {start_from.path} was trained on {start_from.meta.backbone} features, "
                             f"not {backbone}")
        model = start_from.model
        trained_on = f"{trained_on} (starting from {start_from.path.name}: {start_from.meta.trained_on})"
    else:
        model = recipe.new_seeded_model()
    options = recipe.options.validate(dist.world_size)
    if model.config.feature_dim != recipe.feature_dim:
        raise UsageError(f"the {label} model takes {model.config.feature_dim}-d features, "
                         f"the data have {recipe.feature_dim}-d ones")
    if dist.is_main:
        out.parent.mkdir(parents=True, exist_ok=True)

    model = model.to(dist.device)
    trained = model
    if dist.world_size > 1:
        trained = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[dist.device.index] if dist.device.type == "cuda" else None)
    optimizer = recipe.optimizer(trained)
    if saved_optimizer is not None:
        optimizer.load_state_dict(saved_optimizer)

    def weights(steps: int, seconds: float) -> TrainedWeights:
        return recipe.weights(model, steps=steps, seconds=round(seconds, 1), trained_on=trained_on, command=command,
                              device=dist.device.type, world_size=dist.world_size)

    loss, step = float("nan"), start
    while step < options.steps:
        stop = min(options.steps, (step // options.save_every + 1) * options.save_every)
        t0 = time.perf_counter()
        loss = train_steps(trained, recipe, optimizer, step, stop, dist.device, rank=dist.rank,
                           world_size=dist.world_size, progress=progress)
        elapsed += time.perf_counter() - t0
        step = stop
        if dist.is_main:
            unfinished = step < options.steps
            training = {"step": step, "seconds": elapsed, "options": asdict(options), "data": fingerprint,
                        "optimizer": optimizer.state_dict(), "last_loss": loss} if unfinished else None
            save_checkpoint(out, model, weights(step, elapsed), training)
        dist.barrier()
    return TrainResult(out, weights(options.steps, elapsed), loss, start)


def train_model(recipe: Recipe, device: torch.device | str = "cpu", progress: TrainProgress | None = None,
                model: torch.nn.Module | None = None) -> torch.nn.Module:
    """Train ``model`` (a fresh seeded one by default) through every step of ``recipe`` in this
    process, without checkpoints (evaluation folds, test-time adaptation); returns it in eval mode."""
    device = resolve_device(device)
    recipe.options.validate()
    model = (model if model is not None else recipe.new_seeded_model()).to(device)
    train_steps(model, recipe, recipe.optimizer(model), 0, recipe.options.steps, device, progress=progress)
    return model.eval()
