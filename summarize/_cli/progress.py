"""Progress on stderr for the library's ``progress(stage, fraction)`` callbacks.

``--progress`` picks the form: ``bar`` (Rich bars, the default on a terminal), ``plain``
(a line when a stage ends and at most one every ``PLAIN_EVERY`` seconds while it runs: the
default when stderr is a pipe, a log file or CI), ``json`` (one JSON object per line, for
scripts and GUIs; shape in README "Progress") or ``none``. Lines are written as they happen
and flushed, so a log shows where a run is while it runs.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
import time
from typing import Any, Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TaskProgressColumn, TextColumn
from rich.text import Text

from ..paths import shown, text_safe

ProgressFn = Callable[[str, float], None]  # as summarize.pipeline.ProgressFn, without importing it

PROGRESS_MODES = ("auto", "bar", "plain", "json", "none")
PLAIN_EVERY = 5.0  # seconds between plain lines within a stage
JSON_EVERY = 0.5  # seconds between JSON lines of one stage (starts and ends always go out)

STAGE_LABELS = {
    "model": "Loading model",
    "features": "Decoding + features",
    "scoring": "Scoring",
    "segmentation": "Shots + cut frames",
    "selection": "Selecting shots",
    "writing": "Writing summary",
    "extras": "Report + exports",
    "videos": "Videos evaluated",
    "training": "Training per fold",
    "steps": "Training",
}
# Rough shares of a run's time per stage (the 2-core CPU's timings: decoding and features
# dominate; finding the cut frames is about 18% of the analysis, README "Speed"), for the
# whole run's fraction and time left; stages not run do not count.
STAGE_WEIGHTS = {"model": 3, "features": 75, "scoring": 2, "segmentation": 17, "selection": 1, "writing": 12,
                 "extras": 5}

stderr_console = Console(stderr=True)


def progress_mode(mode: Any, quiet: bool = False) -> str:
    """The form ``--progress`` stands for: ``auto`` is bars on a terminal, plain lines
    elsewhere, nothing with ``-q`` (which still leaves an explicit ``--progress`` alone)."""
    mode = getattr(mode, "value", mode) or "auto"
    if mode != "auto":
        return mode
    if quiet:
        return "none"
    return "bar" if _isatty(sys.stderr) else "plain"


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


_clock = clock


def time_left(elapsed: float, fraction: float) -> float | None:
    """Seconds still needed at this pace; None while too little is done to say."""
    if fraction <= 0.01 or fraction >= 1.0 or elapsed < 0.5:
        return None if fraction < 1.0 else 0.0
    return elapsed * (1.0 - fraction) / fraction


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


class LineWriter:
    """Writes whole lines to stderr (looked up at each write: tests capture it), flushed."""

    def __init__(self, mode: str, command: str) -> None:
        self.mode, self.command = mode, command

    def json(self, event: str, **fields: Any) -> None:
        self.write(json.dumps(text_safe({"event": event, "command": self.command, **fields}), ensure_ascii=False))

    def write(self, line: str) -> None:
        stream = sys.stderr
        stream.write(shown(line) + "\n")  # a file name that is not UTF-8 as paths.shown writes it
        stream.flush()


class StageLines:
    """A ``progress(stage, fraction)`` callback writing plain or JSON lines at a steady pace.

    ``stages``: the stages the run will go through, for the fraction of the whole run
    (weighted by ``STAGE_WEIGHTS``); ``video``: the input's name, carried by JSON lines."""

    def __init__(self, mode: str, command: str, *, video: str | None = None, stages: tuple[str, ...] = (),
                 prefix: str = "") -> None:
        self.out = LineWriter(mode, command)
        self.mode, self.video, self.prefix = mode, video, prefix
        weights = {s: STAGE_WEIGHTS.get(s, 1) for s in stages}
        total = sum(weights.values()) or 1
        self.weights = {s: w / total for s, w in weights.items()}
        self.started = time.monotonic()
        self.stage: str | None = None
        self.stage_video: str | None = None  # train: the video whose features a "features" stage makes
        self.stage_started = self.started
        self.fraction = 0.0  # of the stage
        self.done_weight = 0.0  # of the whole run: stages finished
        self.overall = 0.0
        self.last_line = -math.inf

    def __call__(self, stage: str, fraction: float, detail: str = "", video: str | None = None) -> None:
        now = time.monotonic()
        fraction = min(max(float(fraction), 0.0), 1.0)
        changed = (stage, video) != (self.stage, self.stage_video)
        if changed:
            if self.stage is not None and self.fraction < 1.0 and stage != self.stage:
                self._finish_stage()
            self.stage, self.stage_video, self.stage_started, self.fraction = stage, video, now, 0.0
        finished = fraction >= 1.0 and self.fraction < 1.0
        self.fraction = max(self.fraction, fraction) if not changed else fraction
        self.overall = max(self.overall, min(self.done_weight + self.weights.get(stage, 0.0) * self.fraction, 1.0))
        if finished:
            self._finish_stage()
        if changed and not finished:
            self.last_line = now
            if self.mode == "json":  # plain: a stage shows when it ends or has run PLAIN_EVERY seconds
                self._line(stage, now, detail)
        elif finished or now - self.last_line >= (PLAIN_EVERY if self.mode == "plain" else JSON_EVERY):
            self.last_line = now
            self._line(stage, now, detail)

    def _finish_stage(self) -> None:
        self.done_weight = min(self.done_weight + self.weights.get(self.stage, 0.0), 1.0)
        self.overall = max(self.overall, self.done_weight)

    def _line(self, stage: str, now: float, detail: str) -> None:
        label = STAGE_LABELS.get(stage, stage)
        stage_elapsed = now - self.stage_started
        left = time_left(stage_elapsed, self.fraction)
        video = self.stage_video or self.video
        if self.mode == "json":
            self.out.json("progress", **({"video": video} if video is not None else {}), stage=stage,
                          label=label, stage_fraction=round(self.fraction, 4), stage_eta=_round(left),
                          fraction=round(self.overall, 4), eta=_round(time_left(now - self.started, self.overall)),
                          elapsed=_round(now - self.started), **({"detail": detail} if detail else {}))
            return
        if self.fraction >= 1.0:
            when = f"took {clock(stage_elapsed)}"
        else:
            when = f"{clock(left)} left" if left is not None else ""
        if self.stage_video is not None:
            label = f"{label} {self.stage_video}"
        text = f"{self.prefix}{label:<22} {100 * self.fraction:3.0f}%  {when}"
        self.out.write((text + ("  " + detail if detail else "")).rstrip())

    def done(self, **fields: Any) -> None:
        """The run succeeded: the last JSON line has fraction 1.0 (plain mode prints nothing:
        the command's table follows)."""
        if self.mode == "json":
            self.out.json("done", **({"video": self.video} if self.video is not None else {}), fraction=1.0,
                          eta=0.0, elapsed=_round(time.monotonic() - self.started), **fields)

    def failed(self, message: str, exit_code: int) -> None:
        if self.mode == "json":
            self.out.json("error", **({"video": self.video} if self.video is not None else {}),
                          fraction=round(self.overall, 4), message=message, exit_code=exit_code)


def failure(exc: BaseException) -> tuple[str, int]:
    """(one-line message, exit code) of an exception that ends a command."""
    from ..errors import SummarizeError  # light: no PyTorch

    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", 130
    if isinstance(exc, SystemExit):
        return "stopped", exc.code if isinstance(exc.code, int) else 1
    if isinstance(exc, SummarizeError):
        return str(exc), exc.exit_code
    return f"internal error: {type(exc).__name__}: {exc}", 1


class TimeLeftColumn(ProgressColumn):
    """The time a running stage still needs ("0:12 left"), then the time it took."""

    max_refresh = 0.5  # an estimate that flickers every frame cannot be read

    def render(self, task) -> Text:
        if task.finished:
            return Text(f"took {clock(task.finished_time or task.elapsed or 0.0)}", style="progress.elapsed")
        remaining = task.time_remaining
        if not task.completed or remaining is None:
            return Text("")
        return Text(f"{clock(remaining)} left", style="progress.remaining")


class Reporter:
    """What ``stage_progress`` yields: call it as ``progress(stage, fraction)``; ``done(**fields)``
    ends a successful run (JSON: the last line, fraction 1.0)."""

    def __init__(self, update: ProgressFn, lines: StageLines | None = None) -> None:
        self._update, self.lines = update, lines

    def __call__(self, stage: str, fraction: float) -> None:
        self._update(stage, fraction)

    def done(self, **fields: Any) -> None:
        if self.lines is not None:
            self.lines.done(**fields)


@contextlib.contextmanager
def stage_progress(mode: str = "bar", *, command: str = "video", video: str | None = None,
                   stages: tuple[str, ...] = (), prefix: str = "") -> Iterator[Reporter]:
    """A ``progress(stage, fraction)`` callback showing progress on stderr in ``mode``
    (``bar``, ``plain``, ``json`` or ``none``; see ``progress_mode``)."""
    if mode in ("plain", "json"):
        lines = StageLines(mode, command, video=video, stages=stages, prefix=prefix)
        try:
            yield Reporter(lines, lines)
        except BaseException as exc:
            lines.failed(*failure(exc))
            raise
        return
    if mode != "bar":
        yield Reporter(lambda stage, fraction: None)
        return
    progress = Progress(
        TextColumn("{task.description:<22}"), BarColumn(), TaskProgressColumn(), TimeLeftColumn(),
        console=stderr_console, transient=False,
    )
    tasks: dict[str, int] = {}

    def update(stage: str, fraction: float) -> None:
        if stage not in tasks:
            label = f"{prefix}{STAGE_LABELS.get(stage, stage)}"
            tasks[stage] = progress.add_task(label, total=100)
        progress.update(tasks[stage], completed=round(100 * min(max(fraction, 0.0), 1.0), 1))

    with progress:
        failed = False
        try:
            yield Reporter(update)
        except BaseException:
            failed = True
            raise
        finally:
            if failed or not tasks:
                # A failed run ends with its one error line, and a run that showed nothing
                # stops quietly: the bars go (Rich would otherwise end with an empty line
                # when stderr is not a terminal, standing before the error message).
                progress.live.transient = True
                progress.live.stop()
                progress.disable = True
