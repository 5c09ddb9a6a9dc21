"""``summarize eval``: benchmark numbers with the published protocols (``summarize.evaluation``)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from ..device import check_device
from ..errors import UsageError
from ..loading import signals_held
from ..names import BASELINES, DATASETS, DEFAULT_METHOD, METHOD_NAMES, REFERENCES
from ..outputs.atomic import ensure_writable_dir
from ..paths import shown
from .logs import debug_log
from .progress import progress_mode, stage_progress
from .options import LOG_FILE, PROGRESS, RAY, RETRIES, VERBOSE, BackboneName, Device, ProgressMode, _value

if TYPE_CHECKING:
    from ..evaluation import EvaluationResult

Dataset = enum.Enum("Dataset", {name: name for name in DATASETS}, type=str)

DATASET_LABELS = {"tvsum": "TVSum", "summe": "SumMe"}


def _number(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}" if percent else f"{value:.3f}"


def results_table(result: EvaluationResult) -> Table:
    rule = result.protocol.f1_rule
    where = "feature file" if result.mode == "features" else "raw videos"
    table = Table(title=f"{DATASET_LABELS[result.dataset]} ({where}): F1 {rule} over users, "
                        "rank correlation mean over annotators", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Method", no_wrap=True)
    for column in ("F1 %", "P %", "R %", "Kendall", "Spearman", "Videos"):
        table.add_column(column, justify="right", no_wrap=True)
    methods = [m for m in result.methods if m.kind == "method"]
    references = [m for m in result.methods if m.kind == "reference"]
    for i, row in enumerate(methods + references):
        if i == len(methods) and methods and references:
            table.add_section()
        label = row.label + (f" ({row.draws} draws)" if row.draws else "")
        if row.label == "human":
            label = "human (leave one out)"
        table.add_row(label, _number(row.f1, True), _number(row.precision, True), _number(row.recall, True),
                      _number(row.kendall_tau), _number(row.spearman_rho), str(row.n_videos))
    return table


def per_video_table(result: EvaluationResult) -> Table:
    table = Table(title="Per video", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("Video", "Method", "F1 %", "Kendall", "Spearman", "Kept %"):
        table.add_column(column, justify="left" if column in ("Video", "Method") else "right", no_wrap=True)
    for video, scores in result.per_video.items():
        for i, (label, score) in enumerate(scores.items()):
            table.add_row(video if i == 0 else "", label, _number(score.f1, True), _number(score.kendall_tau),
                          _number(score.spearman_rho), _number(score.selected_fraction, True))
        table.add_section()
    return table


SHORT_HELP = "Benchmark numbers (F1, rank correlation) with the published protocols."
HELP = (
    "Benchmark numbers with the published protocols: keyshot F1 (Zhang et al. 2016) and rank correlation "
    "(Otani et al. 2019), with random, uniform and human reference rows.\n\n"
    "\b\n"  # the examples keep their lines
    "  summarize eval --dataset tvsum --data-dir DIR            (eccv16 feature file in DIR)\n"
    "  summarize eval --dataset summe --videos DIR --annotations GT_DIR --backbone efficientnet-lite0"
)


def eval_command(
    dataset: Dataset = typer.Option(..., "--dataset", "-d", help="Which benchmark."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", metavar="DIR",
                                            help="Folder with eccv16_dataset_DATASET_google_pool5.h5."),
    videos: Optional[Path] = typer.Option(None, "--videos", metavar="DIR",
                                          help="Folder of raw videos (instead of --data-dir), named as annotated."),
    annotations: Optional[Path] = typer.Option(None, "--annotations", metavar="PATH",
                                               help="TVSum ydata-tvsum50.mat / anno .tsv, or SumMe's GT folder."),
    method: Optional[List[str]] = typer.Option(
        None, "--method", "-m", metavar="NAME[:k=v,...]",
        help=f"Method to evaluate, repeatable (default {DEFAULT_METHOD}): "
             f"{', '.join([*METHOD_NAMES, *BASELINES])}; parameters as contrastive:variant=align."),
    no_reference: bool = typer.Option(False, "--no-reference",
                                      help=f"Skip the reference rows ({', '.join(REFERENCES)})."),
    splits: Optional[Path] = typer.Option(None, "--splits", metavar="FILE",
                                          help="JSON folds [{\"train_keys\", \"test_keys\"}]: mean over folds."),
    per_video: bool = typer.Option(False, "--per-video", help="Also show one row per video and method."),
    json_path: Optional[Path] = typer.Option(None, "--json", metavar="FILE",
                                             help="Write every result, the protocol and the parameters here."),
    backbone: Optional[BackboneName] = typer.Option(None, "--backbone",
                                                    help="Raw videos: the CNN for features [efficientnet-lite0]."),
    weights: Optional[Path] = typer.Option(None, "--weights", metavar="PATH", help="Raw videos: backbone weights."),
    fps: Optional[float] = typer.Option(None, "--fps", help="Raw videos: samples per second [2]."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Raw videos: frames per batch [32]."),
    device: Device = typer.Option("auto", "--device", help="Where networks run: auto takes the GPU if present."),
    random_draws: int = typer.Option(10, "--random-draws", help="Seeded draws averaged in the random row."),
    seed: int = typer.Option(0, "--seed", help="First seed of the random draws."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Raw videos: neither read nor write the feature cache."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars and no tables (needs --json)."),
    ray: Optional[str] = RAY,
    jobs: int = typer.Option(0, "--jobs", "-j", show_default=False,
                             help="With --ray: the workers decoding raw videos [one per GPU, else one per CPU]."),
    retries: int = RETRIES,
    show: ProgressMode = PROGRESS,
    verbose: bool = VERBOSE,
    log_file: Optional[Path] = LOG_FILE,
) -> None:
    mode = progress_mode(show, quiet)
    debug_log(verbose, log_file)
    # What the command line can tell is checked before PyTorch loads (seconds).
    options = {"backbone": _value(backbone) if backbone is not None else None,
               "weights": str(weights) if weights else None, "fps": fps, "batch_size": batch_size}
    options = {k: v for k, v in options.items() if v is not None}
    options["device"] = _value(device)
    if no_cache:
        options["cache"] = False
    if quiet and json_path is None:
        raise UsageError("--quiet prints no results, so it needs --json FILE to keep them")
    check_device(options["device"])
    if json_path is not None:  # fail before a long run, not after it
        if json_path.is_dir():
            raise UsageError(f"--json {json_path} is a folder; give a file name")
        ensure_writable_dir(json_path.parent)
    with signals_held():  # here, not at the top: --help must not wait for PyTorch
        from ..evaluation import evaluate
    with stage_progress(mode, command="eval", stages=("videos",)) as progress:
        result = evaluate(
            _value(dataset), data_dir=data_dir, videos=videos, annotations=annotations,
            methods=method or [DEFAULT_METHOD], references=() if no_reference else REFERENCES, splits=splits,
            random_draws=random_draws, seed=seed, progress=progress, ray=ray, jobs=jobs, retries=retries, **options,
        )
    if json_path is not None:
        result.write_json(json_path)
    progress.done(**({"json": str(json_path.resolve())} if json_path is not None else {}))
    if quiet:
        return
    console = Console()
    console.print(results_table(result))
    if per_video:
        console.print(per_video_table(result))
    console.print(f"Protocol: {result.protocol.name} (every rule is in the JSON); "
                  f"{result.timings['total']:.1f} s on {result.device}")
    for note in result.notes:
        console.print(shown(f"Note: {note}"), highlight=False)
    if json_path is not None:
        console.print(f"Results (JSON): {shown(json_path)}")
