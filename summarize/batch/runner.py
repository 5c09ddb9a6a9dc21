"""Running a batch: every video through one ``Summarizer``, a bad file never stopping the rest.

The runner plans, keeps the index and reports; an executor (``summarize.batch.executor``)
runs the videos. With the default ``LocalExecutor``, videos go to ``jobs`` worker threads
that share one model (on the GPU when there is one). Each worker takes the next video and runs it from decoding to the written
summary, so one video's decoding or MP4 writing overlaps another's network. With
several jobs the cores are shared out: each worker's decoder, x264 encoder and (on a
CPU) PyTorch get cores / jobs threads. On a 2-core CPU one thread each costs less CPU
per video than two (decoding a minute of 480p: 3.35 CPU-s against 3.5; x264: 1.86
against 2.0), no OpenMP thread spins waiting for a partner, and the two-core network
of ``--jobs 1`` is matched by two one-core networks (58 images/s). With one PyTorch
thread, each worker also decodes its next frames while its network runs (see
``extract_features``): 20 one-minute 480p videos went from 103 s to 88-91 s with
``--jobs 2`` (``benchmarks/bench_batch.py``). Memory grows with
``jobs`` (one video's frames and features per worker), never with the number of files.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import OutputError, SummarizeError, UsageError
from ..outputs import ensure_writable_dir
from ..pipeline import Summarizer, SummaryOptions
from .discover import find_videos, require_videos
from .executor import Executor, LocalExecutor
from .index import IndexEntry, RunIndex, now_iso
from .plan import BatchItem, check_outputs, plan_outputs


class BatchProgress:
    """What a front end hears about a run; every method may be called from a worker thread."""

    def planned(self, total: int, to_do: int) -> None:
        """``total`` videos found, of which ``to_do`` need work (the rest are up to date)."""

    def video_started(self, worker: int, item: BatchItem) -> None:
        pass

    def stage(self, worker: int, item: BatchItem, stage: str, fraction: float) -> None:
        pass

    def video_finished(self, worker: int | None, item: BatchItem, entry: IndexEntry) -> None:
        pass

    def stopping(self) -> None:
        """The run was interrupted and waits for the videos in progress to be abandoned."""


@dataclass
class BatchReport:
    index: RunIndex
    entries: list[IndexEntry]
    internal_errors: list[tuple[str, str]] = field(default_factory=list)  # (input, traceback): bugs
    interrupted: bool = False
    index_error: str | None = None  # the run index could not be written at the end

    def count(self, status: str) -> int:
        return sum(e.status == status for e in self.entries)

    @property
    def index_paths(self) -> tuple[Path, Path]:
        return self.index.json_path, self.index.csv_path


_quiet = BatchProgress()


def run_batch(folder: str | Path, output_dir: str | Path | None = None, *,
              summarizer: Summarizer | SummaryOptions | None = None, recursive: bool = False,
              pattern: str | None = None, jobs: int = 1, force: bool = False, write_video: bool = True,
              progress: BatchProgress | None = None, stop: threading.Event | None = None,
              executor: Executor | None = None, **options: Any) -> BatchReport:
    """Summarize every video in ``folder``; see the module doc and README ("Batch").

    ``summarizer`` is a ``Summarizer`` (its model is reused), ``SummaryOptions``, or None
    with the options as keywords (``budget=0.1``). Videos whose outputs are up to date are skipped unless ``force``. Every video ends up
    in the run index (``index.json``/``index.csv`` in ``output_dir``, or in ``folder``)
    as ok, skipped or failed; failures never stop the run. Ctrl-C (KeyboardInterrupt) or
    setting ``stop`` ends the run after abandoning the videos in progress (their outputs
    are never half-written); the index is written and KeyboardInterrupt re-raised.
    ``executor`` runs the videos (default: ``LocalExecutor(jobs)``, threads on this machine;
    ``summarize.batch.ray_executor.RayExecutor`` for a Ray cluster).
    """
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    executor = executor or LocalExecutor(jobs)
    if not isinstance(summarizer, Summarizer):
        summarizer = Summarizer(summarizer, **options)
    elif options:
        raise TypeError("pass options either in the Summarizer or as keywords, not both")
    executor.prepare()  # a cluster that cannot be reached is said before any work
    try:
        return _run_batch(Path(folder), output_dir, summarizer, recursive, pattern, force, write_video,
                          progress or BatchProgress(), stop or threading.Event(), executor)
    finally:
        executor.close()


def _run_batch(folder: Path, output_dir: str | Path | None, summarizer: Summarizer, recursive: bool,
               pattern: str | None, force: bool, write_video: bool, progress: BatchProgress,
               stop: threading.Event, executor: Executor) -> BatchReport:
    out = Path(output_dir) if output_dir is not None else None
    unreadable: list[tuple[Path, str]] = []
    videos = find_videos(folder, recursive=recursive, pattern=pattern, exclude=out, unreadable=unreadable)
    require_videos(videos, folder, recursive=recursive, pattern=pattern, unreadable=unreadable)  # nothing written
    items = plan_outputs(videos, folder, out, write_video=write_video)
    unreadable_names = [_folder_name(path, folder) for path, _ in unreadable]
    options = {"fingerprint": summarizer.options_fingerprint(), "values": summarizer.output_options()}
    index_folder = ensure_writable_dir(out if out is not None else folder)
    index = RunIndex(index_folder, {
        "folder": str(folder.resolve()),
        "output_dir": str(out.resolve()) if out is not None else None,
        "recursive": recursive,
        "pattern": pattern,
        "write_video": write_video,
        "options": options,
    }, [item.name for item in items] + unreadable_names)
    index.check_replaceable()
    report = BatchReport(index, index.entries)
    for name, (_, reason) in zip(unreadable_names, unreadable):
        # A folder that cannot be listed may hold videos: the run says so instead of skipping it.
        index.entries.append(IndexEntry(input=name, status="failed", reason=f"folder cannot be read: {reason}",
                                        duration=None, kept_seconds=None, summary_json=None, summary_video=None,
                                        seconds=0.0, finished=now_iso()))

    work: list[tuple[BatchItem, str]] = []
    for item in items:
        fresh = check_outputs(item, options)
        if fresh.up_to_date and not force:
            entry = _skipped_entry(index, item, fresh.document)
            index.entries.append(entry)
            progress.video_finished(None, item, entry)
        else:
            reason = "" if fresh.reason in ("no summary yet", "input unreadable") else f"redone: {fresh.reason}"
            work.append((item, "redone: --force" if fresh.up_to_date else reason))
    progress.planned(len(items), len(work))
    try:
        index.write()
    except OutputError:  # a full disk: the videos will say so; the final write tries again
        pass
    if not work:
        _final_index(report, complete=True)
        return report

    if executor.parallel != 1:
        # Largest first: a long video started last would end the run alone on a share of
        # the cores. (The index keeps the order of the paths.)
        work.sort(key=lambda job: _size(job[0].source), reverse=True)
    try:
        for result in executor.run(summarizer, work, index, progress, stop):
            _record(report, progress, *result)
    except SummarizeError:  # the executor cannot run at all (Ray workers that cannot start): no stop to report
        raise
    except BaseException:  # Ctrl-C, or a front end's callback failing: stop, keep what is done
        stop.set()
        progress.stopping()
        for result in executor.cancel():  # videos that finished while the others stopped still count
            _record(report, _quiet, *result)
        report.interrupted = True
        index.write(complete=False)
        raise
    report.interrupted = stop.is_set()
    _final_index(report, complete=not report.interrupted)
    return report


def _final_index(report: BatchReport, complete: bool) -> None:
    """The last index write: a failure (a full disk) is reported with the results, never
    instead of them."""
    try:
        report.index.write(complete=complete)
    except OutputError as exc:
        report.index_error = str(exc)


def _folder_name(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix() + "/"
    except ValueError:
        return str(path) + "/"


def _record(report: BatchReport, progress: BatchProgress, worker_id: int, item: BatchItem,
            entry: IndexEntry, trace: str | None) -> None:
    if trace is not None:
        report.internal_errors.append((item.name, trace))
    report.index.add(entry)
    progress.video_finished(worker_id, item, entry)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _skipped_entry(index: RunIndex, item: BatchItem, document: dict[str, Any] | None) -> IndexEntry:
    return IndexEntry(
        input=item.name, status="skipped", reason="up to date",
        duration=document["input"]["duration"] if document else None,
        kept_seconds=document["summary"]["duration"] if document else None,
        summary_json=index.relative(item.json_path),
        summary_video=index.relative(item.video_path) if item.video_path else None,
        seconds=0.0, finished=now_iso(),
    )
