"""Work done ahead on threads and handed back in order: the summary writer decodes and encodes
the pieces it cannot copy, and encodes the sound, while it copies and muxes; feature
extraction decodes the next batches while the network encodes (FFmpeg, x264 and PyTorch
release the GIL while they work, so the threads use the cores)."""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Generic, Iterator, Sequence, TypeVar

J = TypeVar("J")
S = TypeVar("S")

_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Cancelled(Exception):
    pass


class Ahead(Generic[J, S]):
    """Runs ``work(state, job, put)`` for every job on ``workers`` threads, jobs started in
    order; ``results(i)`` yields what job ``i`` put, in order, and raises what it raised.

    Each thread makes its own ``state = setup()`` (a decoder, say) and ends it with
    ``teardown(state)``. Memory stays bounded: a job waits once it has put ``bound`` items
    the reader has not taken, and a job starts only when fewer than ``window`` (default:
    twice the threads) started jobs are still unread. Jobs start in order, so the job the
    reader waits for has always started: it cannot wait on a job stuck behind it.
    ``close()`` (always call it) stops the threads and waits for them.
    """

    def __init__(self, jobs: Sequence[J], work: Callable[[S, J, Callable[[Any], None]], None], *,
                 workers: int = 1, setup: Callable[[], S] = lambda: None,
                 teardown: Callable[[S], None] = lambda state: None, bound: int = 256,
                 window: int | None = None, name: str = "summarize-writer") -> None:
        self.jobs, self.work, self.setup, self.teardown = list(jobs), work, setup, teardown
        self.queues: list[queue.Queue] = [queue.Queue(bound) for _ in self.jobs]
        self.todo: queue.SimpleQueue = queue.SimpleQueue()
        for number in range(len(self.jobs)):
            self.todo.put(number)
        self.unread = threading.Semaphore(max(window or 2 * workers, workers, 1))
        self.read: set[int] = set()
        self.cancelled = threading.Event()
        count = min(max(1, workers), len(self.jobs))
        self.threads = [threading.Thread(target=self._run, name=name if count == 1 else f"{name}-{n}", daemon=True)
                        for n in range(count)]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        try:
            state = self.setup()
        except BaseException as exc:  # every job this thread would have run fails with it
            state, failed = None, _Failed(exc)
        else:
            failed = None
        try:
            while not self.cancelled.is_set():
                try:
                    number = self.todo.get_nowait()
                except queue.Empty:
                    return
                while not self.unread.acquire(timeout=0.05):  # released once the reader has read it all
                    if self.cancelled.is_set():
                        return
                if failed is not None:
                    self._put(number, failed)
                    continue
                try:
                    self.work(state, self.jobs[number], lambda item, n=number: self._put(n, item))
                    self._put(number, _DONE)
                except _Cancelled:
                    return
                except BaseException as exc:
                    self._put(number, _Failed(exc))
        except _Cancelled:
            return
        finally:
            if failed is None:
                self.teardown(state)

    def _put(self, number: int, item: Any) -> None:
        while True:
            if self.cancelled.is_set():
                raise _Cancelled
            try:
                self.queues[number].put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def results(self, number: int) -> Iterator[Any]:
        """What job ``number`` put, in order (waiting for it); its error, raised here."""
        q = self.queues[number]
        try:
            while True:
                item = q.get()
                if item is _DONE:
                    return
                if isinstance(item, _Failed):
                    raise item.error
                yield item
        finally:  # read to its end, failed, or left: another job may start
            if number not in self.read:
                self.read.add(number)
                self.unread.release()

    def close(self) -> None:
        self.cancelled.set()
        for thread in self.threads:
            thread.join()

    def __enter__(self) -> "Ahead[J, S]":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
