"""``summarize batch DIR``: every video of a folder, resumable, with a run index."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text
from rich.table import Table

from ..loading import signals_held
from .exits import fail, note
from .options import (ADAPT, BACKBONE, BATCH_SIZE, BUDGET, CHECKPOINT, CRF, CUT, DECODER, DEVICE, EXPORT, FPS, METHOD,
                      NO_CACHE, NO_VIDEO, PLOT, PRESET, QUIET, RAY, RETRIES, SALVAGE, SEED, STRIDE, VARIANT, WEIGHTS,
                      BackboneName, Cut, Decoder, Device, Method, Preset, Variant, options_from_cli)
from .progress import STAGE_LABELS, stderr_console
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
        name = _short(item.name if where is None else f"{where} {item.name}")
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
            self.progress.console.print(Text.assemble(("failed", "red"), f" {item.name}: {entry.reason}"))

    def stopping(self) -> None:
        if not self.progress.disable:
            self.progress.console.print("stopping: abandoning the videos in progress (their outputs are removed)...")


def _short(name: str, width: int = 40) -> str:
    return name if len(name) <= width else "..." + name[-(width - 3):]


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
        table.add_row("Unreadable folders", ", ".join(folders))
    if report.interrupted:
        table.add_row("Not done", f"{report.index.total - len(report.entries)} (interrupted)")
    json_path, csv_path = report.index_paths
    table.add_row("Index", f"{json_path} (and {csv_path.name})")
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
) -> None:
    import time

    with signals_held():  # here, not at the top: --help must not wait for PyTorch
        from ..batch import run_batch
        from ..outputs.exports import parse_formats
        from ..outputs.extras import write_batch_extras
        from ..pipeline import Summarizer

    started = time.perf_counter()
    executor = None
    if ray is not None:
        with signals_held():
            from ..batch.ray_executor import RayExecutor

        if jobs is not None and jobs < 1:
            fail(f"--jobs must be at least 1, got {jobs}", 2)
        executor = RayExecutor(ray, jobs or 0, retries=retries)
    extras = {"report": report, "plot": plot, "exports": parse_formats(export)}
    summarizer = Summarizer(options_from_cli(method, budget, fps, backbone, weights, device, batch_size, variant,
                                             no_cache, preset, crf, checkpoint, stride, adapt, seed, salvage,
                                             cut=cut, decoder=decoder))
    note(summarizer.scorer.note, quiet)
    progress = Progress(
        TextColumn("{task.description:<40}"), TextColumn("{task.fields[file]:<20}"), BarColumn(),
        TextColumn("{task.fields[detail]:>9}"), TimeElapsedColumn(), _EtaColumn(),
        console=stderr_console, transient=True, disable=quiet,
    )
    jobs_here = 1 if jobs is None else jobs
    listener = RichBatchProgress(progress, jobs_here)
    try:
        with interrupt_on_signals(), progress:
            run = run_batch(folder, output_dir, summarizer=summarizer, recursive=recursive, pattern=pattern,
                               jobs=jobs_here, force=force, write_video=not no_video, progress=listener,
                               executor=executor)
    except KeyboardInterrupt:
        fail("interrupted; finished summaries are kept and listed in the run index; "
             "run the same command again to continue", 130)
    extra_failures: list[tuple[str, str]] = []
    if any(extras.values()):
        # Made from each JSON after the run, so videos skipped as up to date get them too.
        with stderr_console.status("Writing reports and exports...") if not quiet else contextlib.nullcontext():
            _, extra_failures = write_batch_extras(run.entries, run.index.folder, **extras)
        for name, reason in extra_failures:
            sys.stderr.write(f"summarize: error: extras of {name}: {reason}\n")
    for name, trace in run.internal_errors:
        sys.stderr.write(f"summarize: internal error on {name} (a bug; please report it with this trace):\n{trace}")
    if not quiet:
        table = summary_table(run, time.perf_counter() - started)
        if report:
            table.add_row("Report", str(run.index.folder / "index.html"))
        Console().print(table)
    if run.index_error:
        fail(run.index_error, 1)
    if run.count("failed") or extra_failures:
        raise typer.Exit(1)
