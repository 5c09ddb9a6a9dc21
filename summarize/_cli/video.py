"""``summarize VIDEO``: one video in, a summary MP4 and JSON out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from ..loading import signals_held
from ..paths import shown
from .exits import fail, note
from .logs import debug_log
from .options import (ADAPT, BACKBONE, BATCH_SIZE, BUDGET, CHECKPOINT, CRF, CUT, DECODER, DEVICE, DURATION, END,
                      EXPORT, FPS, LOG_FILE, METHOD, MIN_SHOT, NO_CACHE, NO_VIDEO, PLOT, PRESET, PROGRESS, QUIET,
                      REPORT, RUNTIME, SALVAGE, SAMPLING, SEED, SELECTION, START, STRIDE, VARIANT, VERBOSE, WEIGHTS,
                      BackboneName, Cut, Decoder, Device, Method, Preset, ProgressMode, Runtime, Sampling,
                      SelectionRule, Variant, check_request, declared_params, options_from_cli)
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
    cuts = doc["segmentation"]["boundaries"]["cut"]
    why = "to fit the budget" if sel["rule"] == "benchmark" else "where they matter least"
    on_cuts = f" ({cuts} starting on a picture cut)" if cuts else ""
    table.add_row("Shots found", _count(found, "shot") + " by KTS" + on_cuts
                  + (f", cut into {len(doc['shots'])} pieces {why}" if sel["shots_split"] else ""))
    table.add_row("Kept", f"{_clock(doc['summary']['duration'])} in {_count(doc['summary']['n_shots'], 'shot')} "
                  f"({100 * sel['achieved']:.1f}% of the duration; budget {100 * sel['budget']:.1f}%)")
    if doc.get("sampling", {}).get("range"):
        span = doc["sampling"]["range"]
        table.add_row("Range", f"{_clock(span['start'])} to {_clock(span['end'])} of the file")
    if result.video_path is not None:
        table.add_row("Summary video", shown(result.video_path))
    for key, label, noun in (("clips", "Shot clips", "clip"), ("images", "Shot images", "image")):
        files = doc["outputs"].get(key)
        if files is not None:
            where = shown(result.json_path.parent / _shot_pattern(files[0]["path"])) if files else ""
            table.add_row(label, f"{_count(len(files), noun)}  {where}".rstrip())
    table.add_row("Scores (JSON)", shown(result.json_path))
    base = result.json_path.name.removesuffix(".json")  # NAME.summary, or short for -o short.mp4
    for path in extras:
        table.add_row(_EXTRA_LABELS.get(path.name.removeprefix(base), "Export"), shown(path))
    if info.get("audio_note"):
        table.add_row("Note", info["audio_note"][0].upper() + info["audio_note"][1:])
    cache = " (features from cache)" if doc["run"]["feature_cache"] == "hit" else ""
    table.add_row("Time taken", f"{timings['total']:.1f} s on {doc['run']['device']}{cache}")
    return table


_EXTRA_LABELS = {".html": "Report", ".png": "Plot", ".edl": "EDL", ".otio": "OpenTimelineIO",
                 ".fcp.xml": "FCP 7 XML", ".fcpxml": "FCPXML", ".chapters.vtt": "Chapters", ".ffmetadata": "Chapters",
                 ".chapters.mp4": "Chaptered copy", ".chapters.mkv": "Chaptered copy", ".shots.csv": "Shot list"}


def _shot_pattern(path: str) -> str:
    """``/out/talk-shot-003.mp4`` -> ``talk-shot-NNN.mp4``."""
    return re.sub(r"-shot-\d+(\.\w+)$", r"-shot-NNN\1", Path(path).name)


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
    output: str = typer.Option(None, "--output", "--output-dir", "-o", metavar="FILE.mp4|DIR",
                               help="The summary file (a name ending in .mp4; its JSON and extras go beside it: "
                               "short.mp4, short.json, ...) or a folder for NAME.summary.mp4 and .json (an existing "
                               "folder or a name ending in /). Default: beside the video."),
    no_video: bool = NO_VIDEO,
    cut: Cut = CUT,
    decoder: Decoder = DECODER,
    sampling: Sampling = SAMPLING,
    runtime: Runtime = RUNTIME,
    preset: Preset = PRESET,
    crf: int = CRF,
    overwrite: bool = typer.Option(False, "--overwrite", "-y", help="Replace existing outputs."),
    split: bool = typer.Option(False, "--split", help="Also write each kept shot as its own MP4, NAME-shot-NNN.mp4 "
                               "(NNN: the shot's number in the JSON), cut as --cut says."),
    save_images: bool = typer.Option(False, "--save-images", help="Also write the middle frame of every shot (kept "
                                     "or not) as NAME-shot-NNN.jpg, at the video's size."),
    start: str = START,
    end: str = END,
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
    # What the command line and the files named can tell is checked first: a wrong value,
    # a missing file or existing outputs are answered before PyTorch loads (seconds).
    mode = progress_mode(show, quiet)
    debug_log(verbose, log_file)
    options = options_from_cli(method, budget, fps, backbone, weights, device, batch_size, variant, no_cache,
                               preset, crf, checkpoint, stride, adapt, seed, salvage, cut=cut, decoder=decoder,
                               sampling=sampling, runtime=runtime, duration=duration,
                               selection=selection, min_shot=min_shot, start=start, end=end)
    extras = check_request(options, export, report, plot)
    _check_files(video, output, overwrite, not no_video, extras, split, save_images)
    with signals_held():  # here, not at the top: --help must not wait for PyTorch
        from ..pipeline import STAGES, Summarizer

    stages = STAGES + (("extras",) if any(extras.values()) else ())
    try:
        with interrupt_on_signals():
            summarizer = Summarizer(declared_params(options))
            note(summarizer.scorer.note, quiet or mode == "json")  # a JSON stream holds JSON lines only
            with stage_progress(mode, command="video", video=shown(video.name), stages=stages) as progress:
                result = summarizer.summarize(video, output, write_video=not no_video, overwrite=overwrite,
                                              progress=progress, extras=extras, split=split, images=save_images)
                progress.done(outputs=_outputs(result))
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP (Typer would turn it into a silent exit 130)
        fail("interrupted; no partial outputs were left behind", 130)
    if not quiet:
        Console().print(result_table(result, result.extras))


def _outputs(result: SummaryResult) -> list[str]:
    """Every file the run wrote, for the last ``--progress json`` line."""
    files = result.document["outputs"]
    return ([p for p in (files["video"], files["json"]) if p is not None]
            + [f["path"] for f in files.get("clips", []) + files.get("images", [])]
            + [shown(p.resolve()) for p in result.extras])


def _check_files(video: Path, output: str | None, overwrite: bool, write_video: bool, extras: dict,
                 split: bool, images: bool) -> None:
    """The input is a file we may read, ``-o`` a name we can use, and (without --overwrite)
    no output exists yet: the names are the pipeline's (``paths.summary_paths``,
    ``outputs.extras.planned_outputs``)."""
    with signals_held():  # PyAV and decord load here
        from ..decoding.probe import check_path
    from ..outputs.atomic import check_absent
    from ..outputs.extras import planned_outputs
    from ..paths import summary_paths

    video_path, json_path = summary_paths(video, output, write_video)  # a wrong -o is a usage error
    check_path(video)
    from ..outputs.exports import preflight

    preflight(video, extras["exports"])  # a format this video cannot have is refused before decoding
    if not overwrite:
        check_absent(planned_outputs(json_path, video_path if write_video else None, extras, split, images))
