"""Who summarizes the videos of a batch: the runner plans, keeps the index and reports; an
executor only runs the work it is given and hands back one result per finished video.

``LocalExecutor`` is the thread pool of one machine; ``summarize.batch.ray_executor.RayExecutor``
spreads the same work over a Ray cluster. Both run each video through ``summarize_one``.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import traceback
from typing import Any, Callable, Iterator

import torch

from ..errors import SummarizeError
from ..outputs import ensure_writable_dir
from ..pipeline import Summarizer
from .index import IndexEntry, RunIndex, now_iso
from .plan import BatchItem

# (worker, item, entry, traceback of a bug or None): what an executor yields per finished video.
Result = tuple[int, BatchItem, IndexEntry, "str | None"]
Work = list[tuple[BatchItem, str]]  # each video and the index reason it gets when summarized ("redone: ...")


class Stop(BaseException):
    """Raised inside a worker to abandon its video (BaseException: never taken for a failure)."""


class Executor:
    """The interface: ``prepare`` comes first (before any planning: a cluster that cannot be
    reached says so then); ``run`` yields results as videos finish; when the caller stops
    early (Ctrl-C, ``stop`` set, its callback failing) it calls ``cancel``, which abandons the
    videos in progress (no half-written outputs) and yields those that finished meanwhile;
    ``close`` always comes last, once ``prepare`` has succeeded."""

    parallel = 1  # videos in progress at once (0: as many as the cluster takes)

    def prepare(self) -> None:
        pass

    def run(self, summarizer: Summarizer, work: Work, index: RunIndex, progress: Any,
            stop: threading.Event) -> Iterator[Result]:
        raise NotImplementedError

    def cancel(self) -> Iterator[Result]:
        return iter(())

    def close(self) -> None:
        pass


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class LocalExecutor(Executor):
    """``jobs`` worker threads sharing one model (see ``summarize.batch.runner``)."""

    def __init__(self, jobs: int = 1) -> None:
        self.parallel = jobs
        self._workers: list[threading.Thread] = []
        self._results: queue.Queue = queue.Queue()
        self._previous_threads: int | None = None

    def run(self, summarizer: Summarizer, work: Work, index: RunIndex, progress: Any,
            stop: threading.Event) -> Iterator[Result]:
        _ = summarizer.backbone  # load once, before the workers share it
        jobs = min(self.parallel, len(work))
        todo: queue.Queue = queue.Queue()
        for job in work:
            todo.put(job)
        # Several jobs share the cores out: decoder, encoder and (on a CPU) PyTorch threads.
        threads_each = max(1, cpu_count() // jobs) if jobs > 1 else None
        torch_threads = threads_each if summarizer.device.type == "cpu" else None
        if threads_each is not None and summarizer.options.threads == 0:
            summarizer = summarizer.with_options(threads=threads_each)  # the same model
        self._previous_threads = torch.get_num_threads()
        if torch_threads is not None:
            torch.set_num_threads(torch_threads)
        self._workers = [threading.Thread(target=self._worker, name=f"summarize-batch-{n}", daemon=True,
                                          args=(n, summarizer, todo, index.folder, progress, stop, torch_threads))
                         for n in range(jobs)]
        for worker in self._workers:
            worker.start()
        while True:
            try:
                yield self._results.get(timeout=0.25)
            except queue.Empty:
                if not any(worker.is_alive() for worker in self._workers) and self._results.empty():
                    return

    def cancel(self) -> Iterator[Result]:
        for worker in self._workers:  # the stop event is set: each abandons its video
            worker.join()
        while not self._results.empty():  # videos that finished while the others stopped still count
            yield self._results.get()

    def close(self) -> None:
        if self._previous_threads is not None:
            torch.set_num_threads(self._previous_threads)

    def _worker(self, worker_id: int, summarizer: Summarizer, todo: queue.Queue, index_folder, progress: Any,
                stop: threading.Event, threads: int | None) -> None:
        if threads is not None:
            torch.set_num_threads(threads)  # OpenMP's thread count is set per calling thread
        while not stop.is_set():
            try:
                item, note = todo.get_nowait()
            except queue.Empty:
                return
            try:
                entry, trace = summarize_one(worker_id, summarizer, item, note, index_folder, progress, stop)
            except Stop:  # abandoned: its outputs were cleaned up, the index will not list it
                return
            self._results.put((worker_id, item, entry, trace))


def summarize_one(worker_id: int, summarizer: Summarizer, item: BatchItem, note: str, index_folder,
                  progress: Any, stop: threading.Event,
                  on_stage: Callable[[BatchItem, str, float], None] | None = None) -> tuple[IndexEntry, str | None]:
    """One video from decoding to its written outputs, as an index row (and the traceback of
    a bug). Raises ``Stop`` when ``stop`` is set before its outputs are in place."""
    started = time.perf_counter()
    progress.video_started(worker_id, item)

    in_place = False

    def report(stage: str, fraction: float) -> None:
        nonlocal in_place
        # ("writing", 1.0) comes once the outputs are renamed into place: the video is done, and
        # a stop arriving from then on must not abandon it (it would be on disk but not indexed).
        in_place = in_place or (stage == "writing" and fraction >= 1.0)
        if stop.is_set() and not in_place:
            raise Stop
        if on_stage is not None:
            on_stage(item, stage, fraction)
        progress.stage(worker_id, item, stage, fraction)

    def entry(status: str, reason: str, document: dict[str, Any] | None = None) -> IndexEntry:
        return IndexEntry(
            input=item.name, status=status, reason=reason,
            duration=document["input"]["duration"] if document else None,
            kept_seconds=document["summary"]["duration"] if document else None,
            summary_json=RunIndex.relative_to(item.json_path, index_folder) if document else None,
            summary_video=RunIndex.relative_to(item.video_path, index_folder) if document and item.video_path
            else None,
            seconds=round(time.perf_counter() - started, 2), finished=now_iso(),
        )

    try:
        ensure_writable_dir(item.json_path.parent)  # before the long work
        analysis = summarizer.analyze(item.source, report)
        result = summarizer.write(analysis, item.json_path, item.video_path, progress=report, started=started)
    except SummarizeError as exc:
        return entry("failed", one_line(str(exc))), None
    except Exception as exc:  # a bug: the video fails, the run goes on, the traceback is kept
        return entry("failed", one_line(f"internal error: {type(exc).__name__}: {exc}")), traceback.format_exc()
    return entry("ok", note, result.document), None


def failed_entry(item: BatchItem, reason: str, seconds: float = 0.0) -> IndexEntry:
    return IndexEntry(input=item.name, status="failed", reason=one_line(reason), duration=None, kept_seconds=None,
                      summary_json=None, summary_video=None, seconds=round(seconds, 2), finished=now_iso())


def one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 300 else line[:297] + "..."
