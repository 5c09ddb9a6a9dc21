"""``summarize VIDEO``: one video in, a summary MP4 and JSON out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from ..loading import signals_held
from ..paths import shown
from .exits import fail
from .options import (ADAPT, BACKBONE, BATCH_SIZE, BUDGET, CHECKPOINT, CRF, CUT, DECODER, DEVICE, DURATION, EXPORT,
                      FPS, METHOD, MIN_SHOT, NO_CACHE, NO_VIDEO, PLOT, PRESET, QUIET, REPORT, RUNTIME, SALVAGE, SAMPLING,
                      SEED, SELECTION, STRIDE, VARIANT, WEIGHTS, BackboneName, Cut, Decoder, Device, Method, Preset,
                      Runtime, Sampling, SelectionRule, Variant, check_request, declared_params, options_from_cli)
from .progress import stage_progress
from .signals import interrupt_on_signals

if TYPE_CHECKING:
    from ..pipeline import SummaryResult


def result_table(result: SummaryResult, extras: list[Path] = ()) -> Table:
    doc = result.document
    info, sel, timings = doc["input"], doc["selection"], doc["run"]["timings"]
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Input", f"{info['file_name']}  ({_clock(info['duration'])}, {info['width']}x{info['height']})")
    found = doc["segmentation"]["n_shots"]
    cuts = doc["segmentation"]["boundaries"]["cut"]
    why = "to fit the budget" if sel["rule"] == "benchmark" else "where they matter least"
    on_cuts = f" ({cuts} starting on a picture cut)" if cuts else ""
    table.add_row("Shots found", _count(found, "shot") + " by KTS" + on_cuts
                  + (f", cut into {len(doc['shots'])} pieces {why}" if sel["shots_split"] else ""))
    table.add_row("Kept", f"{_clock(doc['summary']['duration'])} in {_count(doc['summary']['n_shots'], 'shot')} "
                  f"({100 * sel['achieved']:.1f}% of the duration; budget {100 * sel['budget']:.1f}%)")
    if result.video_path is not None:
        table.add_row("Summary video", shown(result.video_path))
    table.add_row("Scores (JSON)", shown(result.json_path))
    for path in extras:
        table.add_row(_EXTRA_LABELS.get(path.name.rsplit(".summary", 1)[-1], "Export"), shown(path))
    if info.get("audio_note"):
        table.add_row("Note", info["audio_note"][0].upper() + info["audio_note"][1:])
    cache = " (features from cache)" if doc["run"]["feature_cache"] == "hit" else ""
    table.add_row("Time taken", f"{timings['total']:.1f} s on {doc['run']['device']}{cache}")
    return table


_EXTRA_LABELS = {".html": "Report", ".png": "Plot", ".edl": "EDL", ".otio": "OpenTimelineIO",
                 ".fcp.xml": "FCP 7 XML", ".fcpxml": "FCPXML", ".chapters.vtt": "Chapters", ".ffmetadata": "Chapters",
                 ".chapters.mp4": "Chaptered copy", ".chapters.mkv": "Chaptered copy", ".shots.csv": "Shot list"}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}" if hours else f"{minutes}:{secs:04.1f}"


HELP = "Summarize one video (the default: `summarize VIDEO` runs this)."


def video_command(
    video: Path = typer.Argument(..., metavar="VIDEO", help="The video file to summarize.",
                                 exists=False, dir_okay=True),
    method: Method = METHOD,
    budget: float = BUDGET,
    duration: str = DURATION,
    selection: SelectionRule = SELECTION,
    min_shot: float = MIN_SHOT,
    fps: float = FPS,
    backbone: BackboneName = BACKBONE,
    weights: Path = WEIGHTS,
    device: Device = DEVICE,
    batch_size: int = BATCH_SIZE,
    variant: Variant = VARIANT,
    checkpoint: Path = CHECKPOINT,
    stride: int = STRIDE,
    adapt: int = ADAPT,
    seed: int = SEED,
    output_dir: Path = typer.Option(None, "--output-dir", "-o", metavar="DIR",
                                    help="Where outputs go (default: beside the video)."),
    no_video: bool = NO_VIDEO,
    cut: Cut = CUT,
    decoder: Decoder = DECODER,
    sampling: Sampling = SAMPLING,
    runtime: Runtime = RUNTIME,
    preset: Preset = PRESET,
    crf: int = CRF,
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing outputs."),
    report: bool = REPORT,
    plot: bool = PLOT,
    export: str = EXPORT,
    no_cache: bool = NO_CACHE,
    salvage: bool = SALVAGE,
    quiet: bool = QUIET,
) -> None:
    # What the command line and the files named can tell is checked first: a wrong value,
    # a missing file or existing outputs are answered before PyTorch loads (seconds).
    options = options_from_cli(method, budget, fps, backbone, weights, device, batch_size, variant, no_cache,
                               preset, crf, checkpoint, stride, adapt, seed, salvage, cut=cut, decoder=decoder,
                               sampling=sampling, runtime=runtime, duration=duration,
                               selection=selection, min_shot=min_shot)
    extras = check_request(options, export, report, plot)
    _check_files(video, output_dir, overwrite, not no_video, extras)
    with signals_held():  # here, not at the top: --help must not wait for PyTorch
        from ..pipeline import Summarizer

    try:
        with interrupt_on_signals():
            summarizer = Summarizer(declared_params(options))
            with stage_progress(enabled=not quiet) as progress:
                result = summarizer.summarize(video, output_dir, write_video=not no_video, overwrite=overwrite,
                                              progress=progress, extras=extras)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP (Typer would turn it into a silent exit 130)
        fail("interrupted; no partial outputs were left behind", 130)
    if not quiet:
        Console().print(result_table(result, result.extras))


def _check_files(video: Path, output_dir: Path | None, overwrite: bool, write_video: bool, extras: dict) -> None:
    """The input is a file we may read, and (without --overwrite) no output exists yet."""
    with signals_held():  # PyAV and decord load here
        from ..decoding.probe import check_path
    from ..outputs.atomic import check_absent
    from ..outputs.extras import extra_paths
    from ..paths import output_paths

    check_path(video)
    from ..outputs.exports import preflight

    preflight(video, extras["exports"])  # a format this video cannot have is refused before decoding
    if not overwrite:
        video_path, json_path = output_paths(video, output_dir)
        check_absent([json_path, *([video_path] if write_video else []), *extra_paths(json_path, **extras)])
