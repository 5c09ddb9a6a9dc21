"""``summarize train mae``: self-supervised training of the masked-autoencoder scorer.

Runs as one process, or as several under ``torchrun --nproc_per_node N -m summarize train mae ...``
(PyTorch DDP; only the first process writes the checkpoint and shows progress).
"""

from __future__ import annotations

import enum
import shlex
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..backbones import BACKBONES, DEFAULT_BACKBONE, load_backbone
from ..device import DEVICE_CHOICES
from ..errors import UsageError
from ..features import FeatureCache
from ..models.mae import DEFAULT_SIZE, SIZES, MAEConfig
from ..training import TrainOptions, distributed, train_mae, training_sequences
from ..training.data import check_sequences, describe
from .progress import stderr_console

train_app = typer.Typer(help="Train a scorer's model without labels.", no_args_is_help=True, rich_markup_mode=None,
                        context_settings={"help_option_names": ["-h", "--help"]})

BackboneName = enum.Enum("BackboneName", {name: name for name in BACKBONES}, type=str)
Device = enum.Enum("Device", {name: name for name in DEVICE_CHOICES}, type=str)
Size = enum.Enum("Size", {name: name for name in SIZES}, type=str)
DEFAULTS = TrainOptions()


@train_app.command("mae", help="Train the masked autoencoder of `--method mae` on videos and/or feature files.")
def train_mae_command(
    out: Path = typer.Option(..., "--out", "-o", metavar="PATH", help="Checkpoint to write (e.g. my.ckpt)."),
    videos: Path = typer.Option(None, "--videos", metavar="DIR",
                                help="Folder of videos (features extracted once with --backbone and cached)."),
    features: list[Path] = typer.Option([], "--features", metavar="FILE.h5",
                                        help="eccv16-layout h5 file (groups with a 'features' dataset); repeatable."),
    backbone: BackboneName = typer.Option(DEFAULT_BACKBONE, "--backbone", help="Backbone of the features."),
    weights: Path = typer.Option(None, "--weights", metavar="PATH", help="State dict for the backbone."),
    fps: float = typer.Option(2.0, "--fps", help="Sampling rate for the videos' features (scoring uses 2)."),
    size: Size = typer.Option(DEFAULT_SIZE, "--size", help="Model size: small (CPU-friendly) or the paper's base/large."),
    steps: int = typer.Option(DEFAULTS.steps, "--steps", help="Optimisation steps."),
    batch_size: int = typer.Option(DEFAULTS.batch_size, "--batch-size", help="Clips per step (over all processes)."),
    lr: float = typer.Option(DEFAULTS.base_lr, "--lr", help="Base learning rate per 256 clips (scaled linearly)."),
    warmup: float = typer.Option(DEFAULTS.warmup_fraction, "--warmup", help="Fraction of the steps for warm-up."),
    max_stride: int = typer.Option(DEFAULTS.max_stride, "--max-stride", help="Clip strides are drawn from 1..N."),
    seed: int = typer.Option(DEFAULTS.seed, "--seed", help="Seed of the initial weights and of the clips drawn."),
    save_every: int = typer.Option(DEFAULTS.save_every, "--save-every", help="Steps between checkpoints."),
    init: Path = typer.Option(None, "--init", metavar="CKPT", help="Start from this checkpoint's weights."),
    resume: bool = typer.Option(False, "--resume", help="Continue the unfinished run saved in --out."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out."),
    description: str = typer.Option("", "--description", help="Words about the training data for the checkpoint."),
    device: Device = typer.Option("auto", "--device", help="auto takes the GPU when there is one."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the feature cache."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars and no final line."),
) -> None:
    if videos is None and not features:
        raise UsageError("no training data: give --videos DIR and/or --features FILE.h5")
    options = TrainOptions(steps=steps, batch_size=batch_size, base_lr=lr, warmup_fraction=warmup,
                           max_stride=max_stride, seed=seed, save_every=save_every)
    options.validate()
    backbone_name = backbone.value if isinstance(backbone, enum.Enum) else str(backbone)
    with distributed(device.value if isinstance(device, enum.Enum) else str(device)) as dist:
        options.validate(dist.world_size)  # before any feature extraction
        show = dist.is_main and not quiet
        progress = Progress(TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                            console=stderr_console, disable=not show)
        with progress:
            sequences = []
            if videos is not None:
                net = load_backbone(backbone_name, str(weights) if weights else None, dist.device)
                tasks: dict[str, int] = {}

                def extracting(name: str, fraction: float) -> None:
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
            config = MAEConfig.sized(size.value if isinstance(size, enum.Enum) else str(size),
                                     feature_dim=feature_dim)
            sequences = check_sequences(sequences, feature_dim, config.clip_length, backbone_name)
            trained_on = (description + "; " if description else "") + describe(sequences, fps if videos else None)
            task = progress.add_task("training", total=options.steps, status="")

            def step_done(step: int, total: int, loss: float, lr: float) -> None:
                progress.update(task, completed=step, total=total, status=f"loss {loss:.4f}  lr {lr:.2e}")

            result = train_mae(
                sequences, out, backbone=backbone_name, sampling_fps=fps, options=options, config=config,
                init=init, resume=resume, overwrite=overwrite, trained_on=trained_on,
                command=shlex.join(["summarize", *sys.argv[1:]]) if sys.argv else "",
                backbone_weights=str(weights) if weights else "default", dist=dist, progress=step_done,
            )
        if show:
            meta = result.meta
            Console().print(f"wrote {result.path}: {meta.size} model, {meta.num_params:,} parameters, "
                            f"{meta.steps} steps on {describe(sequences, None)}, final loss {result.final_loss:.4f}, "
                            f"{meta.train_seconds:.0f} s training on {meta.device}")
