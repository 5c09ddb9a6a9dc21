"""``summarize VIDEO``: one video in, a summary MP4 and JSON out."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from ..errors import UsageError
from ..loading import signals_held
from ..naming import summary_paths
from .exits import fail
from .logs import debug_log
from .options import (ADAPT, BACKBONE, BATCH_SIZE, BUDGET, CHECKPOINT, CRF, CUT, DECODER, DEVICE, EXPORT, FPS, LOG_FILE,
                      METHOD, NO_CACHE, NO_VIDEO, PLOT, PRESET, PROGRESS, QUIET, REPORT, SALVAGE, SEED, STRIDE, VARIANT,
                      VERBOSE, WEIGHTS, BackboneName, Cut, Decoder, Device, Method, Preset, ProgressMode,
                      Variant, options_from_cli)
from .progress import progress_mode, stage_progress
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
    if doc.get("sampling", {}).get("range"):
        span = doc["sampling"]["range"]
        table.add_row("Range", f"{_clock(span['start'])} to {_clock(span['end'])} of the file")
    if result.video_path is not None:
        table.add_row("Summary video", str(result.video_path))
    for key, label, noun in (("clips", "Shot clips", "clip"), ("images", "Shot images", "image")):
        files = doc["outputs"].get(key)
        if files is not None:
            where = str(result.json_path.parent / _shot_pattern(files[0]['path'])) if files else ""
            table.add_row(label, f"{_count(len(files), noun)}  {where}".rstrip())
    table.add_row("Scores (JSON)", str(result.json_path))
    for path in extras:
        table.add_row(_EXTRA_LABELS.get(path.name.rsplit(".summary", 1)[-1], "Export"), str(path))
    cache = " (features from cache)" if doc["run"]["feature_cache"] == "hit" else ""
    table.add_row("Time taken", f"{timings['total']:.1f} s on {doc['run']['device']}{cache}")
    return table


_EXTRA_LABELS = {".html": "Report", ".png": "Plot", ".edl": "EDL", ".otio": "OpenTimelineIO",
                 ".fcp.xml": "FCP XML", ".chapters.vtt": "Chapters", ".ffmetadata": "Chapters"}


def _shot_pattern(path: str) -> str:
    """``/out/talk-shot-003.mp4`` -> ``talk-shot-NNN.mp4``."""
    return re.sub(r"-shot-\d+(\.\w+)$", r"-shot-NNN\1", Path(path).name)


def parse_time(text: str | None, option: str) -> float | None:
    """Seconds from ``90``, ``90.5``, ``1:30``, ``1:30.5`` or ``0:01:30.500`` (as ffmpeg's -ss)."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?|\.\d+)\s*", text)
    if not match:
        raise UsageError(f"{option} {text!r}: give seconds (90.5) or [HH:]MM:SS[.ms] (1:30.5)")
    hours, minutes, seconds = match.groups()
    if minutes is not None and float(seconds) >= 60:
        raise UsageError(f"{option} {text!r}: seconds must be below 60 in MM:SS")
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


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
    output: str = typer.Option(None, "--output", "--output-dir", "-o", metavar="FILE.mp4|DIR",
                               help="The summary file (a name ending in .mp4; its JSON and extras go beside it: "
                               "short.mp4, short.json, ...) or a folder for NAME.summary.mp4 and .json (an existing "
                               "folder or a name ending in /). Default: beside the video."),
    no_video: bool = NO_VIDEO,
    cut: Cut = CUT,
    decoder: Decoder = DECODER,
    preset: Preset = PRESET,
    crf: int = CRF,
    overwrite: bool = typer.Option(False, "--overwrite", "-y", help="Replace existing outputs."),
    split: bool = typer.Option(False, "--split", help="Also write each kept shot as its own MP4, NAME-shot-NNN.mp4 "
                               "(NNN: the shot's number in the JSON), cut as --cut says."),
    save_images: bool = typer.Option(False, "--save-images", help="Also write the middle frame of every shot (kept "
                                     "or not) as NAME-shot-NNN.jpg, at the video's size."),
    start: str = typer.Option(None, "--start", metavar="TIME", help="Summarize the file from TIME (seconds or "
                              "[HH:]MM:SS[.ms]); the JSON's times stay the file's."),
    end: str = typer.Option(None, "--end", metavar="TIME", help="Summarize the file up to TIME (seconds or "
                            "[HH:]MM:SS[.ms])."),
    report: bool = REPORT,
    plot: bool = PLOT,
    export: str = EXPORT,
    no_cache: bool = NO_CACHE,
    salvage: bool = SALVAGE,
    quiet: bool = QUIET,
    show: ProgressMode = PROGRESS,
    verbose: bool = VERBOSE,
    log_file: Path = LOG_FILE,
) -> None:
    span = {"start": parse_time(start, "--start") or 0.0, "end": parse_time(end, "--end")}
    json_path = summary_paths(video, output)[1]  # a wrong -o is a usage error before any loading
    mode = progress_mode(show, quiet)
    debug_log(verbose, log_file)
    with signals_held():  # here, not at the top: --help must not wait for PyTorch
        from ..outputs.exports import parse_formats
        from ..outputs.extras import check_extras_free, write_extras
        from ..pipeline import STAGES, Summarizer

    options = options_from_cli(method, budget, fps, backbone, weights, device, batch_size, variant, no_cache,
                               preset, crf, checkpoint, stride, adapt, seed, salvage, cut=cut, decoder=decoder)
    options = dataclasses.replace(options, **span)

    extras = {"report": report, "plot": plot, "exports": parse_formats(export)}
    if not overwrite:
        check_extras_free(json_path, **extras)
    stages = STAGES + (("extras",) if any(extras.values()) else ())
    try:
        with interrupt_on_signals():
            summarizer = Summarizer(options)
            with stage_progress(mode, command="video", video=video.name, stages=stages) as progress:
                result = summarizer.summarize(video, output, write_video=not no_video, overwrite=overwrite,
                                              progress=progress, split=split, images=save_images)
                written = []
                if any(extras.values()):
                    progress("extras", 0.0)
                    written = write_extras(result.document, result.json_path, **extras).paths
                    progress("extras", 1.0)
                progress.done(outputs=_outputs(result, written))
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP (Typer would turn it into a silent exit 130)
        fail("interrupted; no partial outputs were left behind", 130)
    if not quiet:
        Console().print(result_table(result, written))


def _outputs(result: SummaryResult, extras: list[Path]) -> list[str]:
    """Every file the run wrote, for the last ``--progress json`` line."""
    files = result.document["outputs"]
    return ([p for p in (files["video"], files["json"]) if p is not None]
            + [f["path"] for f in files.get("clips", []) + files.get("images", [])]
            + [str(p.resolve()) for p in extras])
