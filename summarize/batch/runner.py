"""Running a batch: every video through one ``Summarizer``, a bad file never stopping the rest.

Videos go to ``jobs`` worker threads that share one model (on the GPU when there is
one). Each worker takes the next video and runs it from decoding to the written
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

import os
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..errors import OutputError, SummarizeError, UsageError
from ..outputs import ensure_writable_dir
from ..pipeline import Summarizer, SummaryOptions
from .discover import find_videos
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


class _Stop(BaseException):
    """Raised inside a worker to abandon its video (BaseException: never taken for a failure)."""


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def run_batch(folder: str | Path, output_dir: str | Path | None = None, *,
              summarizer: Summarizer | SummaryOptions | None = None, recursive: bool = False,
              pattern: str | None = None, jobs: int = 1, force: bool = False, write_video: bool = True,
              progress: BatchProgress | None = None, stop: threading.Event | None = None,
              **options: Any) -> BatchReport:
    """Summarize every video in ``folder``; see the module doc and README ("Batch").

    ``summarizer`` is a ``Summarizer`` (its model is reused), ``SummaryOptions``, or None
    with the options as keywords (``budget=0.1``). Videos whose outputs are up to date are skipped unless ``force``. Every video ends up
    in the run index (``index.json``/``index.csv`` in ``output_dir``, or in ``folder``)
    as ok, skipped or failed; failures never stop the run. Ctrl-C (KeyboardInterrupt) or
    setting ``stop`` ends the run after abandoning the videos in progress (their outputs
    are never half-written); the index is written and KeyboardInterrupt re-raised.
    """
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    folder = Path(folder)
    progress = progress or BatchProgress()
    stop = stop or threading.Event()
    if not isinstance(summarizer, Summarizer):
        summarizer = Summarizer(summarizer, **options)
    elif options:
        raise TypeError("pass options either in the Summarizer or as keywords, not both")
    out = Path(output_dir) if output_dir is not None else None
    unreadable: list[tuple[Path, str]] = []
    videos = find_videos(folder, recursive=recursive, pattern=pattern, exclude=out, unreadable=unreadable)
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

    _ = summarizer.backbone  # load once, before the workers share it
    jobs = min(jobs, len(work))
    todo: queue.Queue = queue.Queue()
    if jobs > 1:
        # Largest first: a long video started last would end the run alone on a share of
        # the cores. (The index keeps the order of the paths.)
        work.sort(key=lambda job: _size(job[0].source), reverse=True)
    for job in work:
        todo.put(job)
    results: queue.Queue = queue.Queue()
    # Several jobs share the cores out: decoder, encoder and (on a CPU) PyTorch threads.
    threads_each = max(1, _cpu_count() // jobs) if jobs > 1 else None
    torch_threads = threads_each if summarizer.device.type == "cpu" else None
    if threads_each is not None and summarizer.options.threads == 0:
        summarizer = summarizer.with_options(threads=threads_each)  # the same model
    previous_threads = torch.get_num_threads()
    if torch_threads is not None:
        torch.set_num_threads(torch_threads)
    workers = [threading.Thread(target=_worker, name=f"summarize-batch-{n}", daemon=True,
                                args=(n, summarizer, todo, results, index, progress, stop, torch_threads))
               for n in range(jobs)]
    for worker in workers:
        worker.start()
    try:
        while True:
            try:
                _record(report, progress, *results.get(timeout=0.25))
            except queue.Empty:
                if not any(worker.is_alive() for worker in workers) and results.empty():
                    break
    except BaseException:  # Ctrl-C, or a front end's callback failing: stop, keep what is done
        stop.set()
        progress.stopping()
        for worker in workers:
            worker.join()
        while not results.empty():  # videos that finished while the others stopped still count
            _record(report, _quiet, *results.get())
        report.interrupted = True
        index.write(complete=False)
        raise
    finally:
        torch.set_num_threads(previous_threads)
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


def _worker(worker_id: int, summarizer: Summarizer, todo: queue.Queue, results: queue.Queue, index: RunIndex,
            progress: BatchProgress, stop: threading.Event, threads: int | None) -> None:
    if threads is not None:
        torch.set_num_threads(threads)  # OpenMP's thread count is set per calling thread
    while not stop.is_set():
        try:
            item, note = todo.get_nowait()
        except queue.Empty:
            return
        try:
            entry, trace = _summarize_one(worker_id, summarizer, item, note, index, progress, stop)
        except _Stop:  # abandoned: its outputs were cleaned up, the index will not list it
            return
        results.put((worker_id, item, entry, trace))


def _summarize_one(worker_id: int, summarizer: Summarizer, item: BatchItem, note: str, index: RunIndex,
                   progress: BatchProgress, stop: threading.Event) -> tuple[IndexEntry, str | None]:
    started = time.perf_counter()
    progress.video_started(worker_id, item)

    in_place = False

    def report(stage: str, fraction: float) -> None:
        nonlocal in_place
        # ("writing", 1.0) comes once the outputs are renamed into place: the video is done, and
        # a stop arriving from then on must not abandon it (it would be on disk but not indexed).
        in_place = in_place or (stage == "writing" and fraction >= 1.0)
        if stop.is_set() and not in_place:
            raise _Stop
        progress.stage(worker_id, item, stage, fraction)

    def entry(status: str, reason: str, document: dict[str, Any] | None = None) -> IndexEntry:
        return IndexEntry(
            input=item.name, status=status, reason=reason,
            duration=document["input"]["duration"] if document else None,
            kept_seconds=document["summary"]["duration"] if document else None,
            summary_json=index.relative(item.json_path) if document else None,
            summary_video=index.relative(item.video_path) if document and item.video_path else None,
            seconds=round(time.perf_counter() - started, 2), finished=now_iso(),
        )

    try:
        ensure_writable_dir(item.json_path.parent)  # before the long work
        analysis = summarizer.analyze(item.source, report)
        result = summarizer.write(analysis, item.json_path, item.video_path, progress=report, started=started)
    except SummarizeError as exc:
        return entry("failed", _one_line(str(exc))), None
    except Exception as exc:  # a bug: the video fails, the run goes on, the traceback is kept
        return entry("failed", _one_line(f"internal error: {type(exc).__name__}: {exc}")), traceback.format_exc()
    return entry("ok", note, result.document), None


def _skipped_entry(index: RunIndex, item: BatchItem, document: dict[str, Any] | None) -> IndexEntry:
    return IndexEntry(
        input=item.name, status="skipped", reason="up to date",
        duration=document["input"]["duration"] if document else None,
        kept_seconds=document["summary"]["duration"] if document else None,
        summary_json=index.relative(item.json_path),
        summary_video=index.relative(item.video_path) if item.video_path else None,
        seconds=0.0, finished=now_iso(),
    )


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 300 else line[:297] + "..."
