"""``summarize VIDEO``: one video in, a summary MP4 and JSON out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from .options import (ADAPT, BACKBONE, BATCH_SIZE, BUDGET, CHECKPOINT, CRF, DEVICE, FPS, METHOD, NO_CACHE,
                      NO_VIDEO, PRESET, CUT, DECODER, Cut, Decoder, QUIET, SEED, STRIDE, VARIANT, WEIGHTS, BackboneName, Device, Method, Preset,
                      Variant, options_from_cli)
from .progress import stage_progress

if TYPE_CHECKING:
    from ..pipeline import SummaryResult


def result_table(result: SummaryResult) -> Table:
    doc = result.document
    info, sel, timings = doc["input"], doc["selection"], doc["run"]["timings"]
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Input", f"{info['file_name']}  ({_clock(info['duration'])}, {info['width']}x{info['height']})")
    table.add_row("Shots found", f"{doc['segmentation']['n_shots']} (KTS)"
                  + (f", {sel['shots_split']} split to fit the budget" if sel["shots_split"] else ""))
    table.add_row("Kept", f"{_clock(doc['summary']['duration'])} in {doc['summary']['n_shots']} shots "
                  f"({100 * sel['achieved']:.1f}% of the frames; budget {100 * sel['budget']:.1f}%)")
    if result.video_path is not None:
        table.add_row("Summary video", str(result.video_path))
    table.add_row("Scores (JSON)", str(result.json_path))
    cache = " (features from cache)" if doc["run"]["feature_cache"] == "hit" else ""
    table.add_row("Time taken", f"{timings['total']:.1f} s on {doc['run']['device']}{cache}")
    return table


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
    no_cache: bool = NO_CACHE,
    quiet: bool = QUIET,
) -> None:
    from ..pipeline import Summarizer  # here, not at the top: --help must not wait for PyTorch

    options = options_from_cli(method, budget, fps, backbone, weights, device, batch_size, variant, no_cache,
                               preset, crf, checkpoint, stride, adapt, seed, cut=cut, decoder=decoder)
    summarizer = Summarizer(options)
    with stage_progress(enabled=not quiet) as progress:
        result = summarizer.summarize(video, output_dir, write_video=not no_video, overwrite=overwrite,
                                      progress=progress)
    if not quiet:
        Console().print(result_table(result))
