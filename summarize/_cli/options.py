"""Command-line options shared by the commands that summarize (``video`` and ``batch``)."""

from __future__ import annotations

import enum
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..names import (BACKBONE_NAMES, CUT_MODES, DECODERS, DEFAULT_BACKBONE, DEFAULT_CUT, DEFAULT_METHOD,
                     DEFAULT_MIN_SHOT, DEVICE_CHOICES, METHOD_NAMES, RUNTIMES, SAMPLING_MODES, SELECTIONS, VARIANTS,
                     X264_PRESETS)

if TYPE_CHECKING:
    from ..options import SummaryOptions

Method = enum.Enum("Method", {name: name for name in METHOD_NAMES}, type=str)
BackboneName = enum.Enum("BackboneName", {name: name for name in BACKBONE_NAMES}, type=str)
Device = enum.Enum("Device", {name: name for name in DEVICE_CHOICES}, type=str)
Variant = enum.Enum("Variant", {name: name for name in VARIANTS}, type=str)
Preset = enum.Enum("Preset", {name: name for name in X264_PRESETS}, type=str)
Cut = enum.Enum("Cut", {name: name for name in CUT_MODES}, type=str)
Decoder = enum.Enum("Decoder", {name: name for name in DECODERS}, type=str)
Sampling = enum.Enum("Sampling", {name: name for name in SAMPLING_MODES}, type=str)
Runtime = enum.Enum("Runtime", {name: name for name in RUNTIMES}, type=str)
SelectionRule = enum.Enum("SelectionRule", {name: name for name in SELECTIONS}, type=str)
DEFAULT_BUDGET = 0.15

METHOD = typer.Option(DEFAULT_METHOD, "--method", "-m", help="How frames are scored.")
BUDGET = typer.Option(None, "--budget", "-b", show_default=False,
                      help="Length of the summary as a fraction of the video, 0 < b <= 1.  "
                      f"[default: {DEFAULT_BUDGET}]")
DURATION = typer.Option(None, "--duration", metavar="TIME",
                        help="Length of the summary as a time instead of --budget: 60, 60s, 1:30, 1m30s, 2m, 1:02:03.")
START = typer.Option(None, "--start", metavar="TIME",
                     help="Summarize the file from TIME (written as for --duration); the JSON's times stay the file's.")
END = typer.Option(None, "--end", metavar="TIME", help="Summarize the file up to TIME (written as for --duration).")
SELECTION = typer.Option(SELECTIONS[0], "--selection",
                         help="How shots are chosen: total keeps the shots that hold the most importance in all (long "
                         "shots cut where they matter least, none shorter than --min-shot); benchmark is the "
                         "published rule of summarize eval (a shot is worth its mean score; shots halved to fill).")
MIN_SHOT = typer.Option(DEFAULT_MIN_SHOT, "--min-shot", metavar="SECONDS",
                        help="--selection total: no kept shot is shorter (unless the video has none this long).")
FPS = typer.Option(2.0, "--fps", help="Frames sampled per second for scoring (2 is the benchmark rate).")
BACKBONE = typer.Option(DEFAULT_BACKBONE, "--backbone", help="ImageNet CNN that turns frames into features.")
WEIGHTS = typer.Option(None, "--weights", metavar="PATH",
                       help="State dict for the backbone instead of its default weights.")
DEVICE = typer.Option("auto", "--device", help="Where networks run: auto takes the GPU if present.")
BATCH_SIZE = typer.Option(32, "--batch-size", help="Frames decoded and encoded per batch.")
VARIANT = typer.Option(None, "--variant",
                       help="contrastive: the terms multiplied: align (local dissimilarity), align+uniform (times "
                       "global consistency; the default without --checkpoint), align+unique, align+uniform+unique "
                       "(times the uniqueness filter; need --checkpoint, the last is the default with one).")
NO_VIDEO = typer.Option(False, "--no-video", help="Write the JSON only, no summary MP4.")
PRESET = typer.Option("superfast", "--preset", help="x264 speed for the summary MP4: faster presets give larger files.")
CUT = typer.Option(DEFAULT_CUT, "--cut",
                  help="How the summary MP4 is cut from an H.264 source: exact copies the whole groups of pictures "
                  "inside each shot and re-encodes only the frames at its edges (same frames as reencode, much "
                  "faster); keyframe copies only, moving shot edges to the nearest keyframes; reencode encodes "
                  "every frame. Other sources are re-encoded.")
DECODER = typer.Option("auto", "--decoder",
                      help="Video decoder: auto is PyAV on a CPU and NVDEC beside a GPU (PyAV on the CPU when "
                      "NVDEC cannot be used, as for files decord cannot read; the JSON says so). All sample the "
                      "same frames.")
SAMPLING = typer.Option("uniform", "--sampling",
                       help="Which frames are scored: uniform samples --fps frames a second; keyframes (triage) "
                       "takes one sample per keyframe and decodes nothing else, several times faster on a CPU "
                       "for a coarser summary (samples every few seconds, where the encoder put keyframes).")
RUNTIME = typer.Option("auto", "--runtime",
                      help="What runs the network on a CPU: onnxruntime (about twice as fast; pip install "
                      "'summarize[onnx]'), torch, or auto (ONNX Runtime when installed). Features agree to float "
                      "rounding; on a GPU it is always torch.")
CRF = typer.Option(23, "--crf", help="x264 quality for the summary MP4, 0-51 (lower is better, larger).")
NO_CACHE = typer.Option(False, "--no-cache", help="Neither read nor write the feature cache.")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bars and no final table.")
CHECKPOINT = typer.Option(None, "--checkpoint", metavar="PATH",
                          help="contrastive: a model from `summarize train contrastive` (refined terms and the "
                          "uniqueness filter; default: training-free); mae: a checkpoint from `summarize train mae` "
                          "(default: the shipped one).")
STRIDE = typer.Option(2, "--stride", help="mae: samples between the frames of a scoring clip.")
ADAPT = typer.Option(0, "--adapt", metavar="N", help="mae: first fine-tune a copy of the model on this video for N steps.")
SEED = typer.Option(0, "--seed", help="mae: seed of the --adapt fine-tuning.")
RAY = typer.Option(None, "--ray", metavar="ADDRESS",
                   help="Spread the videos over a Ray cluster: auto (join the cluster of this machine), local (start "
                   "Ray here, --jobs CPUs) or ray://HOST:PORT. Needs pip install 'summarize[ray]'.")
RETRIES = typer.Option(2, "--retries", metavar="N", help="With --ray: new tries for a video whose worker process "
                       "died (then it is recorded failed).")
SALVAGE = typer.Option(False, "--salvage", help="Summarize what decodes of a damaged or truncated file (the "
                       "damaged and missing time ranges go in the JSON; a damaged kept frame is shown as the "
                       "last one that decoded) instead of failing. Decodes on one thread.")


def _value(choice) -> str:
    return choice.value if isinstance(choice, enum.Enum) else str(choice)


def options_from_cli(method, budget, fps, backbone, weights: Path | None, device, batch_size, variant, no_cache,
                     preset="superfast", crf=23, checkpoint=None, stride=2, adapt=0, seed=0,
                     salvage=False, cut=DEFAULT_CUT, decoder="auto", sampling="uniform",
                     runtime="auto", duration: str | None = None, selection=SELECTIONS[0],
                     min_shot=DEFAULT_MIN_SHOT, start: str | None = None, end: str | None = None) -> SummaryOptions:
    """The summary options of the command line, checked: a wrong value is answered before
    PyTorch is imported. ``method_params`` holds every method option until
    ``declared_params`` keeps those of the chosen method (that needs the registry)."""
    from ..options import SummaryOptions

    if budget is not None and duration is not None:
        raise typer.BadParameter("give the summary's length once: --budget (a fraction) or --duration (a time)",
                                 param_hint="--duration")
    return SummaryOptions(
        method=_value(method),
        method_params={"variant": _value(variant) if variant is not None else None,
                       "checkpoint": str(checkpoint) if checkpoint else None, "stride": stride, "adapt": adapt,
                       "seed": seed},
        budget=DEFAULT_BUDGET if budget is None else budget,
        duration=None if duration is None else parse_duration(duration),
        selection=_value(selection), min_shot=min_shot, fps=fps,
        backbone=_value(backbone), weights=str(weights) if weights else None, device=_value(device),
        batch_size=batch_size, cache=not no_cache, video_preset=_value(preset), video_crf=crf, salvage=salvage,
        video_cut=_value(cut), decoder=_value(decoder), sampling=_value(sampling), runtime=_value(runtime),
        start=0.0 if start is None else parse_duration(start, "--start"),
        end=None if end is None else parse_duration(end, "--end"),
    ).validate()


def method_params(method: str, variant: str | None = None, checkpoint: Path | None = None, stride: int = 2,
                  adapt: int = 0, seed: int = 0) -> dict:
    """The options the chosen method declares (``Scorer.cli_params``); the others are ignored."""
    from ..scoring import SCORERS  # here: the registry imports the networks (start-up stays light)

    values = {"variant": variant, "checkpoint": str(checkpoint) if checkpoint else None, "stride": stride,
              "adapt": adapt, "seed": seed}
    return {name: values[name] for name in SCORERS[method].cli_params}


def declared_params(options: SummaryOptions) -> SummaryOptions:
    """``options`` (from ``options_from_cli``) with only the method options its method declares."""
    return replace(options, method_params=method_params(options.method, **options.method_params))


def check_request(options: SummaryOptions, export: str | None, report: bool, plot: bool) -> dict:
    """What can be checked before PyTorch loads: the device and the extras asked for (formats
    known, their libraries installed). Returns the extras' options (``write_extras``'s)."""
    from ..device import check_device
    from ..loading import signals_held

    with signals_held():  # NumPy loads here
        from ..outputs.exports import parse_formats
        from ..outputs.extras import check_extras_available

    extras = {"report": report, "plot": plot, "exports": parse_formats(export)}
    check_device(options.device)
    check_extras_available(**extras)
    return extras


_DURATION = re.compile(r"^(?:(?P<h>\d+(?:\.\d*)?)h)?(?:(?P<m>\d+(?:\.\d*)?)m)?(?:(?P<s>\d+(?:\.\d*)?)s?)?$")


def parse_duration(text: str, option: str = "--duration") -> float:
    """Seconds in ``text``: 90, 90s, 1.5m, 1m30s, 1h5m, 1:30 (minutes:seconds), 1:30.5 or
    1:02:03 (the minutes and seconds after a colon below 60); ``option`` names it in errors."""
    value = text.strip().lower()
    if ":" in value:
        parts = value.split(":")
        if len(parts) <= 3 and all(re.fullmatch(r"\d+(?:\.\d*)?", p) for p in parts):
            if any(float(p) >= 60 for p in parts[1:]):
                raise typer.BadParameter(f"{text!r}: the minutes and seconds after a colon must be below 60",
                                         param_hint=option)
            seconds = 0.0
            for part in parts:
                seconds = seconds * 60 + float(part)
            return seconds
    else:
        match = _DURATION.match(value)
        if value and match:
            h, m, s = (float(match.group(k) or 0) for k in "hms")
            return h * 3600 + m * 60 + s
    raise typer.BadParameter(f"{text!r} is not a time: write seconds (90, 90s), minutes (1m30s, 1:30) "
                             f"or hours (1h5m, 1:02:03)", param_hint=option)


REPORT = typer.Option(False, "--report", help="Also write NAME.summary.html, one page to judge the summary: the "
                      "source and the summary side by side, the importance curve, a keyframe per shot (click one to "
                      "play it), and other lengths tried in the page with their edits to download.")
PLOT = typer.Option(False, "--plot", help="Also write NAME.summary.png: the importance curve with the shots.")
EXPORT = typer.Option(None, "--export", metavar="FORMATS",
                      help="Also write the kept shots for editors, comma-separated: edl (CMX 3600), otio "
                      "(OpenTimelineIO), fcp7xml (Final Cut Pro 7 XML; old name fcpxml), fcpx (Final Cut Pro X "
                      "FCPXML), chapters (WebVTT + FFmetadata), chapters-mp4 / chapters-mkv (a copy of the video "
                      "with chapters), csv (the shot list).")

# Progress and logging (every command).
ProgressMode = enum.Enum("ProgressMode", {name: name for name in ("auto", "bar", "plain", "json", "none")}, type=str)
PROGRESS = typer.Option("auto", "--progress",
                        help="How progress shows on stderr: bar (Rich bars), plain (a line per stage and every 5 s), "
                        "json (one JSON object per line, for scripts), none; auto is bar on a terminal, plain "
                        "otherwise (a pipe, a log file, CI), none with -q.")
VERBOSE = typer.Option(False, "--verbose", "-v", help="Also write a debug log on stderr.")
LOG_FILE = typer.Option(None, "--log-file", metavar="FILE", help="Append the debug log to FILE.")
