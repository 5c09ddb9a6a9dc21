"""``summarize train mae|contrastive``: self-supervised training of the scorers' models.

Both commands share their data options (videos through the feature cache, h5 feature files),
the progress display and the training loop (``summarize.training.loop``). Each runs as one
process, or as several under ``torchrun --nproc_per_node N -m summarize train ...`` (PyTorch
DDP; only the first process writes the checkpoint and shows progress).
"""

from __future__ import annotations

import enum
import shlex
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..backbones import BACKBONES, DEFAULT_BACKBONE, load_backbone
from ..device import DEVICE_CHOICES
from ..errors import UsageError
from ..features import FeatureCache
from ..networks.mae import DEFAULT_SIZE, SIZES, MAEConfig
from ..networks.contrastive import UNIQUE_TARGETS, ContrastiveConfig
from ..paths import shown
from ..training import TrainOptions, distributed, train_mae, training_sequences
from ..training.contrastive import ContrastiveOptions, train_contrastive
from ..training.data import check_sequences, describe
from .logs import debug_log
from .options import LOG_FILE, PROGRESS, VERBOSE, ProgressMode
from .progress import StageLines, progress_mode, stderr_console

train_app = typer.Typer(help="Train a scorer's model without labels.", no_args_is_help=True, rich_markup_mode=None,
                        context_settings={"help_option_names": ["-h", "--help"]})

BackboneName = enum.Enum("BackboneName", {name: name for name in BACKBONES}, type=str)
Device = enum.Enum("Device", {name: name for name in DEVICE_CHOICES}, type=str)
Size = enum.Enum("Size", {name: name for name in SIZES}, type=str)
UniqueTarget = enum.Enum("UniqueTarget", {name: name for name in UNIQUE_TARGETS}, type=str)
DEFAULTS = TrainOptions()
CONTRASTIVE = ContrastiveOptions()

# Options both commands take.
OUT = typer.Option(..., "--out", "-o", metavar="PATH", help="Checkpoint to write (e.g. my.ckpt).")
VIDEOS = typer.Option(None, "--videos", metavar="DIR",
                      help="Folder of videos (features extracted once with --backbone and cached).")
FEATURES = typer.Option([], "--features", metavar="FILE.h5",
                        help="eccv16-layout h5 file (groups with a 'features' dataset); repeatable.")
BACKBONE = typer.Option(DEFAULT_BACKBONE, "--backbone", help="Backbone of the features.")
WEIGHTS = typer.Option(None, "--weights", metavar="PATH", help="State dict for the backbone.")
FPS = typer.Option(2.0, "--fps", help="Sampling rate for the videos' features (scoring uses 2).")
SEED = typer.Option(0, "--seed", help="Seed of the initial weights and of the batches drawn.")
SAVE_EVERY = typer.Option(250, "--save-every", help="Steps between checkpoints.")
INIT = typer.Option(None, "--init", metavar="CKPT", help="Start from this checkpoint's weights.")
RESUME = typer.Option(False, "--resume", help="Continue the unfinished run saved in --out.")
OVERWRITE = typer.Option(False, "--overwrite", "-y", help="Replace an existing --out.")
DESCRIPTION = typer.Option("", "--description", help="Words about the training data for the checkpoint.")
DEVICE = typer.Option("auto", "--device", help="auto takes the GPU when there is one.")
NO_CACHE = typer.Option(False, "--no-cache", help="Neither read nor write the feature cache.")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bars and no final line.")


def _name(choice) -> str:
    return choice.value if isinstance(choice, enum.Enum) else str(choice)


def _train(kind: str, out: Path, videos: Path | None, features: list[Path], backbone, weights: Path | None,
           fps: float, device, no_cache: bool, quiet: bool, validate: Callable[[int], None],
           run: Callable[..., object], mode: str = "bar") -> None:
    """What both commands do: data (features extracted once, cached), progress, the run, a final line.

    ``run(sequences, feature_dim, dist, progress)`` trains; it returns the ``TrainResult`` and the
    sequences it trained on.
    """
    if videos is None and not features:
        raise UsageError("no training data: give --videos DIR and/or --features FILE.h5")
    validate(1)
    backbone_name = _name(backbone)
    with distributed(_name(device)) as dist:
        validate(dist.world_size)  # before any feature extraction
        show = dist.is_main and not quiet
        # --progress plain|json: lines instead of the bars (the first process only)
        lines = StageLines(mode, "train", stages=("steps",)) if dist.is_main and mode in ("plain", "json") else None
        progress = Progress(TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                            console=stderr_console, disable=not (dist.is_main and mode == "bar"))
        with progress:
            if videos is not None:
                net = load_backbone(backbone_name, str(weights) if weights else None, dist.device)
                tasks: dict[str, int] = {}

                def extracting(name: str, fraction: float) -> None:
                    if lines is not None:
                        lines("features", fraction, video=name)
                    if name not in tasks:
                        tasks[name] = progress.add_task(f"features {name[:15]}", total=100, status="")
                    progress.update(tasks[name], completed=round(100 * fraction))

                sequences = training_sequences(videos, features, net, fps=fps,
                                               cache=None if no_cache else FeatureCache(), rank=dist.rank,
                                               world_size=dist.world_size, barrier=dist.barrier, progress=extracting)
                feature_dim = net.feature_dim
            else:
                sequences = training_sequences(None, features, None)
                feature_dim = BACKBONES[backbone_name].default_weights.feature_dim
            task = progress.add_task("training", total=1, status="")

            def step_done(step: int, total: int, loss: float, lr: float) -> None:
                if lines is not None:
                    lines("steps", step / max(total, 1), detail=f"loss {loss:.4f}  lr {lr:.2e}")
                progress.update(task, completed=step, total=total, status=f"loss {loss:.4f}  lr {lr:.2e}")

            result, sequences = run(sequences, feature_dim, dist, step_done)
        if lines is not None:
            lines.done(checkpoint=str(Path(result.path).resolve()))
        if show:
            meta = result.meta
            Console().print(f"wrote {shown(result.path)}: {kind} model {meta.size}, {meta.num_params:,} parameters, "
                            f"{meta.steps} steps on {describe(sequences, None)}, final loss "
                            f"{result.final_loss:.4f}, {meta.train_seconds:.0f} s training on {meta.device}")


def _command() -> str:
    return shlex.join(["summarize", *sys.argv[1:]]) if sys.argv else ""


@train_app.command("mae", help="Train the masked autoencoder of `--method mae` on videos and/or feature files.")
def train_mae_command(
    out: Path = OUT,
    videos: Path = VIDEOS,
    features: list[Path] = FEATURES,
    backbone: BackboneName = BACKBONE,
    weights: Path = WEIGHTS,
    fps: float = FPS,
    size: Size = typer.Option(DEFAULT_SIZE, "--size", help="Model size: small (CPU-friendly) or the paper's base/large."),
    steps: int = typer.Option(DEFAULTS.steps, "--steps", help="Optimisation steps."),
    batch_size: int = typer.Option(DEFAULTS.batch_size, "--batch-size", help="Clips per step (over all processes)."),
    lr: float = typer.Option(DEFAULTS.base_lr, "--lr", help="Base learning rate per 256 clips (scaled linearly)."),
    warmup: float = typer.Option(DEFAULTS.warmup_fraction, "--warmup", help="Fraction of the steps for warm-up."),
    max_stride: int = typer.Option(DEFAULTS.max_stride, "--max-stride", help="Clip strides are drawn from 1..N."),
    seed: int = SEED,
    save_every: int = SAVE_EVERY,
    init: Path = INIT,
    resume: bool = RESUME,
    overwrite: bool = OVERWRITE,
    description: str = DESCRIPTION,
    device: Device = DEVICE,
    no_cache: bool = NO_CACHE,
    quiet: bool = QUIET,
    show: ProgressMode = PROGRESS,
    verbose: bool = VERBOSE,
    log_file: Path = LOG_FILE,
) -> None:
    debug_log(verbose, log_file)
    options = TrainOptions(steps=steps, batch_size=batch_size, base_lr=lr, warmup_fraction=warmup,
                           max_stride=max_stride, seed=seed, save_every=save_every)

    def run(sequences, feature_dim, dist, progress):
        config = MAEConfig.sized(_name(size), feature_dim=feature_dim)
        sequences = check_sequences(sequences, feature_dim, config.clip_length, _name(backbone))
        trained_on = (description + "; " if description else "") + describe(sequences, fps if videos else None)
        result = train_mae(sequences, out, backbone=_name(backbone), sampling_fps=fps, options=options,
                           config=config, init=init, resume=resume, overwrite=overwrite, trained_on=trained_on,
                           command=_command(), backbone_weights=str(weights) if weights else "default", dist=dist,
                           progress=progress)
        return result, sequences

    _train("MAE", out, videos, features, backbone, weights, fps, device, no_cache, quiet, options.validate, run,
           progress_mode(show, quiet))


@train_app.command("contrastive", help=(
    "Train the contrastive refinement and uniqueness filter of `--method contrastive --checkpoint` "
    "(Pang et al. 2023) on videos and/or feature files. Refinement generalises only with many videos."))
def train_contrastive_command(
    out: Path = OUT,
    videos: Path = VIDEOS,
    features: list[Path] = FEATURES,
    backbone: BackboneName = BACKBONE,
    weights: Path = WEIGHTS,
    fps: float = FPS,
    epochs: int = typer.Option(CONTRASTIVE.epochs, "--epochs", help="Passes over the training videos."),
    batch_size: int = typer.Option(CONTRASTIVE.batch_size, "--batch-size", help="Videos per step."),
    lr: float = typer.Option(CONTRASTIVE.lr, "--lr", help="Adam learning rate (constant)."),
    weight_decay: float = typer.Option(CONTRASTIVE.weight_decay, "--weight-decay",
                                       help="L2 penalty on every weight (Adam's weight_decay, as the authors' code)."),
    length: int = typer.Option(CONTRASTIVE.sequence_length, "--length",
                               help="Samples each training video is resampled to."),
    alpha: float = typer.Option(CONTRASTIVE.alpha, "--alpha", help="Weight of the uniformity loss (lambda1)."),
    heads: int = typer.Option(1, "--heads", help="Attention heads of 64-d: 1 canonical, 8 for large corpora."),
    unique_target: UniqueTarget = typer.Option(
        CONTRASTIVE.unique_target, "--unique-target",
        help="Segments the uniqueness loss compares a frame with: other = the other videos' (the paper), "
             "ctvsum = every video's, its own included (the authors' code, which made the published +unique rows)."),
    seed: int = SEED,
    save_every: int = SAVE_EVERY,
    init: Path = INIT,
    resume: bool = RESUME,
    overwrite: bool = OVERWRITE,
    description: str = DESCRIPTION,
    device: Device = DEVICE,
    no_cache: bool = NO_CACHE,
    quiet: bool = QUIET,
    show: ProgressMode = PROGRESS,
    verbose: bool = VERBOSE,
    log_file: Path = LOG_FILE,
) -> None:
    debug_log(verbose, log_file)
    options = ContrastiveOptions(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                                 sequence_length=length, alpha=alpha, seed=seed, save_every=save_every,
                                 unique_target=_name(unique_target))

    def validate(world_size: int) -> None:  # the data decide n_videos; check the rest now
        least = options.videos_per_batch * world_size
        ContrastiveOptions(**{**asdict(options), "n_videos": least}).validate(world_size)

    def run(sequences, feature_dim, dist, progress):
        sequences = check_sequences(sequences, feature_dim, 2, _name(backbone))
        trained_on = (description + "; " if description else "") + describe(sequences, fps if videos else None)
        result = train_contrastive(sequences, out, backbone=_name(backbone), sampling_fps=fps if videos else 0.0,
                                   options=options, config=ContrastiveConfig(feature_dim=feature_dim, heads=heads),
                                   init=init, resume=resume, overwrite=overwrite, trained_on=trained_on,
                                   command=_command(), backbone_weights=str(weights) if weights else "default",
                                   dist=dist, progress=progress)
        return result, sequences

    _train("contrastive", out, videos, features, backbone, weights, fps, device, no_cache, quiet, validate, run,
           progress_mode(show, quiet))
