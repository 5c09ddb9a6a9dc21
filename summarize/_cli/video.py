"""``summarize VIDEO``: one video in, a summary MP4 and JSON out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from ..loading import signals_held
from .exits import fail, note
from .options import (ADAPT, BACKBONE, BATCH_SIZE, BUDGET, CHECKPOINT, CRF, CUT, DECODER, DEVICE, EXPORT, FPS, METHOD,
                      NO_CACHE, NO_VIDEO, PLOT, PRESET, QUIET, REPORT, SALVAGE, SEED, STRIDE, VARIANT, WEIGHTS,
                      BackboneName, Cut, Decoder, Device, Method, Preset,
                      Variant, options_from_cli)
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
    table.add_row("Shots found", _count(found, "shot") + " by KTS"
                  + (f", split into {len(doc['shots'])} to fit the budget" if sel["shots_split"] else ""))
    table.add_row("Kept", f"{_clock(doc['summary']['duration'])} in {_count(doc['summary']['n_shots'], 'shot')} "
                  f"({100 * sel['achieved']:.1f}% of the duration; budget {100 * sel['budget']:.1f}%)")
    if result.video_path is not None:
        table.add_row("Summary video", str(result.video_path))
    table.add_row("Scores (JSON)", str(result.json_path))
    for path in extras:
        table.add_row(_EXTRA_LABELS.get(path.name.rsplit(".summary", 1)[-1], "Export"), str(path))
    cache = " (features from cache)" if doc["run"]["feature_cache"] == "hit" else ""
    table.add_row("Time taken", f"{timings['total']:.1f} s on {doc['run']['device']}{cache}")
    return table


_EXTRA_LABELS = {".html": "Report", ".png": "Plot", ".edl": "EDL", ".otio": "OpenTimelineIO",
                 ".fcp.xml": "FCP XML", ".chapters.vtt": "Chapters", ".ffmetadata": "Chapters"}


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
    with signals_held():  # here, not at the top: --help must not wait for PyTorch
        from ..outputs.exports import parse_formats
        from ..outputs.extras import check_extras_free, write_extras
        from ..pipeline import Summarizer, output_paths

    options = options_from_cli(method, budget, fps, backbone, weights, device, batch_size, variant, no_cache,
                               preset, crf, checkpoint, stride, adapt, seed, salvage, cut=cut, decoder=decoder)

    extras = {"report": report, "plot": plot, "exports": parse_formats(export)}
    if not overwrite:
        check_extras_free(output_paths(video, output_dir)[1], **extras)
    try:
        with interrupt_on_signals():
            summarizer = Summarizer(options)
            note(summarizer.scorer.note, quiet)
            with stage_progress(enabled=not quiet) as progress:
                result = summarizer.summarize(video, output_dir, write_video=not no_video, overwrite=overwrite,
                                              progress=progress)
                written = []
                if any(extras.values()):
                    progress("extras", 0.0)
                    written = write_extras(result.document, result.json_path, **extras).paths
                    progress("extras", 1.0)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP (Typer would turn it into a silent exit 130)
        fail("interrupted; no partial outputs were left behind", 130)
    if not quiet:
        Console().print(result_table(result, written))
