"""``summarize batch DIR``: every video of a folder, resumable, with a run index."""

from __future__ import annotations

import contextlib
import math
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text
from rich.table import Table

from ..loading import signals_held
from ..paths import shown
from .exits import fail, note
from .logs import debug_log
from .options import (ADAPT, BACKBONE, BATCH_SIZE, BUDGET, CHECKPOINT, CRF, CUT, DECODER, DEVICE, DURATION, EXPORT,
                      FPS, LOG_FILE, METHOD, MIN_SHOT, NO_CACHE, NO_VIDEO, PLOT, PRESET, PROGRESS, QUIET, RAY, RETRIES,
                      RUNTIME, SALVAGE, SAMPLING, SEED, SELECTION, STRIDE, VARIANT, VERBOSE, WEIGHTS, BackboneName, Cut,
                      Decoder, Device, Method, Preset, ProgressMode, Runtime, Sampling, SelectionRule, Variant,
                      check_request, declared_params, options_from_cli)
from .progress import (JSON_EVERY, PLAIN_EVERY, STAGE_LABELS, STAGE_WEIGHTS, LineWriter, clock, failure,
                       progress_mode, stderr_console, time_left)
from .signals import interrupt_on_signals

if TYPE_CHECKING:
    from ..batch import BatchItem, BatchReport, IndexEntry


class _EtaColumn(TimeRemainingColumn):
    """Time remaining for the whole run only (a stage's bar restarts with every video)."""

    def render(self, task):
        return super().render(task) if task.fields.get("eta") else Text("")


class RichBatchProgress:  # a summarize.batch.BatchProgress (not imported here: it loads PyTorch)
    """One bar for the whole run (videos done of total, ETA) and one line per worker."""

    def __init__(self, progress: Progress, jobs: int) -> None:
        self.progress = progress
        self.jobs = jobs
        self.overall: int | None = None
        self.workers: dict[int, int] = {}
        self.where: dict[int, str] = {}  # worker -> host:pid, for workers on a Ray cluster
        self.total = self.done = 0

    def planned(self, total: int, to_do: int) -> None:
        # Up-to-date videos count as done from the start without feeding the ETA's speed.
        self.total = total
        self.done = total - to_do
        self.overall = self.progress.add_task("Videos", total=total, completed=self.done, file="",
                                              detail=f"{self.done}/{total}", eta=True)
        for worker in range(min(self.jobs, to_do)):
            self.workers[worker] = self.progress.add_task("", total=100, file="", detail="", visible=False)

    def worker_where(self, worker: int, where: str) -> None:
        self.where[worker] = where

    def video_started(self, worker: int, item: BatchItem) -> None:
        if worker not in self.workers:  # a Ray cluster may run more workers than --jobs
            self.workers[worker] = self.progress.add_task("", total=100, file="", detail="", visible=False)
        where = self.where.get(worker)
        name = _short(shown(item.name if where is None else f"{where} {item.name}"))
        # reset, not update: the row's elapsed time is this video's
        self.progress.reset(self.workers[worker], total=100, description=name, visible=True,
                            file=STAGE_LABELS["features"], detail="")

    def stage(self, worker: int, item: BatchItem, stage: str, fraction: float) -> None:
        if worker not in self.workers:
            self.video_started(worker, item)
        percent = round(100 * min(max(fraction, 0.0), 1.0))
        self.progress.update(self.workers[worker], file=STAGE_LABELS.get(stage, stage), completed=percent,
                             detail=f"{percent}%")

    def video_finished(self, worker: int | None, item: BatchItem, entry: IndexEntry) -> None:
        if worker is None:
            return  # skipped before the bars exist
        self.done += 1
        self.progress.update(self.overall, advance=1, detail=f"{self.done}/{self.total}")
        if entry.status == "failed" and not self.progress.disable:
            self.progress.console.print(Text.assemble(("failed", "red"), shown(f" {item.name}: {entry.reason}")))

    def stopping(self) -> None:
        if not self.progress.disable:
            self.progress.console.print("stopping: abandoning the videos in progress (their outputs are removed)...")


# A video's share of its own work per stage (the model loads once per run, not per video).
VIDEO_STAGES = {s: STAGE_WEIGHTS[s] for s in ("features", "scoring", "segmentation", "selection", "writing")}


class LineBatchProgress:  # a summarize.batch.BatchProgress
    """Plain or JSON lines for a batch (``--progress plain|json``): a line per video done and,
    while videos are in progress, a status line at most every ``PLAIN_EVERY`` seconds (plain)
    or a line per stage change and at most every ``JSON_EVERY`` seconds per video (JSON)."""

    def __init__(self, mode: str) -> None:
        self.out, self.mode = LineWriter(mode, "batch"), mode
        self.lock = threading.Lock()  # workers report from their threads
        self.total = self.done = self.done_at_start = 0
        self.current: dict[int, tuple[BatchItem, str, float]] = {}  # worker -> (video, stage, fraction)
        # Videos whose worker took the next one before their result was recorded: still counted.
        self.leaving: dict[int, tuple[BatchItem, str, float]] = {}  # id(video) -> (video, stage, fraction)
        self.reported = 0.0  # the largest fraction told: fractions never go back
        self.where: dict[int, str] = {}
        self.last_line = -math.inf
        self.last_json: dict[int, float] = {}
        self.started = time.monotonic()

    def planned(self, total: int, to_do: int) -> None:
        with self.lock:
            self.total, self.done = total, total - to_do
            self.done_at_start, self.started = self.done, time.monotonic()
            if self.mode == "json":
                self.out.json("planned", videos_total=total, videos_to_do=to_do, fraction=self._fraction())
            else:
                self.out.write(f"{_count(total, 'video')} found: {total - to_do} up to date, {to_do} to summarize")

    def worker_where(self, worker: int, where: str) -> None:
        self.where[worker] = where

    def video_started(self, worker: int, item: BatchItem) -> None:
        with self.lock:
            self._move_on(worker, item)
            self.current[worker] = (item, "features", 0.0)

    def _move_on(self, worker: int, item: BatchItem) -> None:
        """The worker takes ``item``: the video it held stays counted until its result is recorded."""
        previous = self.current.get(worker)
        if previous is not None and previous[0] is not item:
            self.leaving[id(previous[0])] = previous

    def stage(self, worker: int, item: BatchItem, stage: str, fraction: float) -> None:
        with self.lock:
            self._move_on(worker, item)
            previous = self.current.get(worker)
            self.current[worker] = (item, stage, min(max(fraction, 0.0), 1.0))
            now = time.monotonic()
            if self.mode == "json":
                changed = previous is None or previous[0] is not item or previous[1] != stage
                if changed or fraction >= 1.0 or now - self.last_json.get(worker, -math.inf) >= JSON_EVERY:
                    self.last_json[worker] = now
                    self.out.json("progress", video=item.name, worker=worker,
                                  **({"where": self.where[worker]} if worker in self.where else {}),
                                  stage=stage, label=STAGE_LABELS.get(stage, stage),
                                  stage_fraction=round(self.current[worker][2], 4), **self._totals(now))
            elif now - self.last_line >= PLAIN_EVERY:
                self.last_line = now
                self.out.write(self._status(now))

    def video_finished(self, worker: int | None, item: BatchItem, entry: IndexEntry) -> None:
        with self.lock:
            if worker is not None:
                self.done += 1
                if worker in self.current and self.current[worker][0] is item:
                    self.current.pop(worker)
                self.leaving.pop(id(item), None)
            if self.mode == "json":  # (videos up to date are told before the plan: no totals yet)
                self.out.json("video", video=item.name, status=entry.status, reason=entry.reason,
                              seconds=entry.seconds, **(self._totals(time.monotonic()) if self.total else {}))
            elif worker is not None:
                what = "ok" if entry.status == "ok" else entry.status
                reason = f": {entry.reason}" if entry.status == "failed" else f" ({entry.seconds:.1f} s)"
                self.out.write(f"[{self.done}/{self.total}] {what} {item.name}{reason}")

    def stopping(self) -> None:
        with self.lock:
            if self.mode == "json":
                self.out.json("stopping")
            else:
                self.out.write("stopping: abandoning the videos in progress (their outputs are removed)...")

    def note(self, text: str) -> None:
        if self.mode == "plain":
            self.out.write(text)

    def finished(self, report: BatchReport) -> None:
        if self.mode == "json":
            self.out.json("done", fraction=1.0, eta=0.0, elapsed=round(time.monotonic() - self.started, 1),
                          counts={s: report.count(s) for s in ("ok", "skipped", "failed")},
                          index=str(report.index_paths[0]))

    def failed(self, message: str, exit_code: int) -> None:
        if self.mode == "json":
            self.out.json("error", message=message, exit_code=exit_code, **self._totals(time.monotonic()))

    def _fraction(self) -> float:
        if not self.total:
            return 1.0
        weight = sum(VIDEO_STAGES.values())
        partial = 0.0
        for _, stage, fraction in [*self.current.values(), *self.leaving.values()]:
            names = list(VIDEO_STAGES)
            before = sum(VIDEO_STAGES[s] for s in names[:names.index(stage)]) if stage in VIDEO_STAGES else 0
            partial += (before + VIDEO_STAGES.get(stage, 0) * fraction) / weight
        return min((self.done + partial) / self.total, 1.0)

    def _totals(self, now: float) -> dict:
        fraction = self.reported = max(self.reported, self._fraction())
        start = self.done_at_start / self.total if self.total else 0.0
        eta = time_left(now - self.started, (fraction - start) / (1 - start)) if start < 1 else 0.0
        return {"videos_done": self.done, "videos_total": self.total, "fraction": round(fraction, 4),
                "eta": None if eta is None else round(eta, 1), "elapsed": round(now - self.started, 1)}

    def _status(self, now: float) -> str:
        totals = self._totals(now)
        left = f", {clock(totals['eta'])} left" if totals["eta"] is not None else ""
        rows = [f"{_short(item.name, 30)}: {STAGE_LABELS.get(stage, stage)} {100 * fraction:.0f}%"
                for _, (item, stage, fraction) in sorted(self.current.items())]
        more = f"; +{len(rows) - 4} more" if len(rows) > 4 else ""
        return (f"[{self.done}/{self.total}] {100 * totals['fraction']:.0f}% of the work{left}"
                + ("; " + "; ".join(rows[:4]) if rows else "") + more)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _short(name: str, width: int = 40) -> str:
    return name if len(name) <= width else "..." + name[-(width - 3):]


def _check_folder(folder: Path, recursive: bool, pattern: str | None, output_dir: Path | None) -> None:
    """The folder exists and holds videos (the run finds them again when it starts)."""
    from ..batch.discover import find_videos, require_videos

    unreadable: list = []
    videos = find_videos(folder, recursive=recursive, pattern=pattern, exclude=output_dir, unreadable=unreadable)
    require_videos(videos, folder, recursive=recursive, pattern=pattern, unreadable=unreadable)


def summary_table(report: BatchReport, seconds: float) -> Table:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")  # paths wrap, never lose their end
    ok, skipped, failed = report.count("ok"), report.count("skipped"), report.count("failed")
    table.add_row("Summarized", str(ok))
    table.add_row("Up to date", f"{skipped} (skipped; --force redoes them)" if skipped else "0")
    table.add_row("Failed", str(failed))
    folders = [e.input for e in report.entries if e.reason.startswith("folder cannot be read")]
    if folders:
        table.add_row("Unreadable folders", shown(", ".join(folders)))
    if report.interrupted:
        table.add_row("Not done", f"{report.index.total - len(report.entries)} (interrupted)")
    json_path, csv_path = report.index_paths
    table.add_row("Index", shown(f"{json_path} (and {csv_path.name})"))
    table.add_row("Time taken", f"{seconds:.1f} s")
    return table


HELP = "Summarize every video in a folder; a rerun skips what is already done."


def batch_command(
    folder: Path = typer.Argument(..., metavar="DIR", help="The folder of videos."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Also search the folders inside DIR."),
    pattern: str = typer.Option(None, "--pattern", metavar="GLOB",
                                help="Take the files whose name matches GLOB (case-insensitive), e.g. '*.mp4', "
                                "instead of every mp4, mov, mkv, webm, avi and m4v."),
    output_dir: Path = typer.Option(None, "--output-dir", "-o", metavar="OUT",
                                    help="Where outputs go, mirroring the folders of DIR (default: beside each "
                                    "video); the run index (index.json, index.csv) goes there too."),
    jobs: int = typer.Option(None, "--jobs", "-j", show_default=False,
                             help="Videos in progress at once, sharing one model [1]; with --ray, the workers "
                             "(each loads the model once) [one per GPU, else one per CPU of the cluster]."),
    force: bool = typer.Option(False, "--force", help="Redo videos whose summaries are up to date."),
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
    no_video: bool = NO_VIDEO,
    cut: Cut = CUT,
    decoder: Decoder = DECODER,
    sampling: Sampling = SAMPLING,
    runtime: Runtime = RUNTIME,
    preset: Preset = PRESET,
    crf: int = CRF,
    report: bool = typer.Option(False, "--report", help="Also a report page per video (NAME.summary.html) and "
                                "index.html beside the run index, listing every video with its thumbnail."),
    plot: bool = PLOT,
    export: str = EXPORT,
    no_cache: bool = NO_CACHE,
    salvage: bool = SALVAGE,
    quiet: bool = QUIET,
    ray: str = RAY,
    retries: int = RETRIES,
    show: ProgressMode = PROGRESS,
    verbose: bool = VERBOSE,
    log_file: Path = LOG_FILE,
) -> None:
    mode = progress_mode(show, quiet)
    debug_log(verbose, log_file)
    # What the command line and the folder can tell is checked first: a wrong value or a
    # folder without videos is answered before PyTorch loads (seconds).
    if ray is not None and jobs is not None and jobs < 1:
        fail(f"--jobs must be at least 1, got {jobs}", 2)
    options = options_from_cli(method, budget, fps, backbone, weights, device, batch_size, variant, no_cache, preset,
                               crf, checkpoint, stride, adapt, seed, salvage, cut=cut, decoder=decoder,
                               sampling=sampling, runtime=runtime, duration=duration, selection=selection,
                               min_shot=min_shot)
    extras = check_request(options, export, report, plot)
    executor = None
    if ray is not None:  # a command line asking for a missing Ray is wrong whatever the folder holds
        with signals_held():
            from ..batch.ray_executor import RayExecutor

        executor = RayExecutor(ray, jobs or 0, retries=retries)
    _check_folder(folder, recursive, pattern, output_dir)
    with signals_held():  # here, not at the top: --help must not wait for PyTorch
        from ..batch import run_batch
        from ..outputs.extras import write_batch_extras
        from ..pipeline import Summarizer

    started = time.perf_counter()
    summarizer = Summarizer(declared_params(options))
    note(summarizer.scorer.note, quiet or mode == "json")  # a JSON stream holds JSON lines only
    jobs_here = 1 if jobs is None else jobs
    if mode in ("plain", "json"):
        listener, display = LineBatchProgress(mode), contextlib.nullcontext()
    else:
        display = Progress(
            TextColumn("{task.description:<40}"), TextColumn("{task.fields[file]:<20}"), BarColumn(),
            TextColumn("{task.fields[detail]:>9}"), TimeElapsedColumn(), _EtaColumn(),
            console=stderr_console, transient=True, disable=mode == "none",
        )
        listener = RichBatchProgress(display, jobs_here)
    try:
        with interrupt_on_signals(), display:
            run = run_batch(folder, output_dir, summarizer=summarizer, recursive=recursive, pattern=pattern,
                               jobs=jobs_here, force=force, write_video=not no_video, progress=listener,
                               executor=executor)
    except BaseException as exc:
        if hasattr(listener, "failed"):
            listener.failed(*failure(exc))
        if isinstance(exc, KeyboardInterrupt):
            fail("interrupted; finished summaries are kept and listed in the run index; "
                 "run the same command again to continue", 130)
        raise
    extra_failures: list[tuple[str, str]] = []
    if any(extras.values()):
        # Made from each JSON after the run, so videos skipped as up to date get them too.
        if hasattr(listener, "note"):
            listener.note("Writing reports and exports...")
        with stderr_console.status("Writing reports and exports...") if mode == "bar" else contextlib.nullcontext():
            _, extra_failures = write_batch_extras(run.entries, run.index.folder, **extras)
        for name, reason in extra_failures:
            sys.stderr.write(shown(f"summarize: error: extras of {name}: {reason}\n"))
    for name, trace in run.internal_errors:
        sys.stderr.write(shown(f"summarize: internal error on {name} (a bug; please report it with this trace):\n"
                               f"{trace}"))
    if not quiet:
        table = summary_table(run, time.perf_counter() - started)
        if report:
            table.add_row("Report", shown(run.index.folder / "index.html"))
        Console().print(table)
    if hasattr(listener, "finished"):
        listener.finished(run)
    if run.index_error:
        fail(run.index_error, 1)
    if run.count("failed") or extra_failures:
        raise typer.Exit(1)
