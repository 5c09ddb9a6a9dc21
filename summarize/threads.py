"""Thread counts that decide how fast, never what: the same input and options give the same
numbers whether a run has one core or sixteen, alone or beside other batch jobs.

On a CPU, PyTorch's oneDNN kernels split a convolution's or a product's work by the number
of threads, so features and scores moved in their seventh digit with the thread count
(enough to change a rounded score in the JSON, and in a near tie a shot). So every network
call runs on one PyTorch thread; a backbone uses the cores by encoding micro-batches side
by side (one thread each, results independent of the batch size), and the cheap scoring
step runs on one thread. How many cores a run uses is the calling thread's PyTorch count
(``torch.set_num_threads``; batch jobs split the cores) and ``SummaryOptions.threads`` for
the decoder and encoder, whose outputs do not depend on it either (see ``decoding``).
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator, Sequence, TypeVar

import torch

T = TypeVar("T")
R = TypeVar("R")

_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """PyTorch on one thread in the calling thread (OpenMP's count is per thread), restored after."""
    previous = torch.get_num_threads()
    if previous != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if previous != 1:
            torch.set_num_threads(previous)


def _pool(workers: int) -> ThreadPoolExecutor:
    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = _pools[workers] = ThreadPoolExecutor(
                workers, thread_name_prefix="summarize-net", initializer=torch.set_num_threads, initargs=(1,))
        return pool


def map_one_thread_each(fn: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """``[fn(item) for item in items]``, each call on one PyTorch thread, up to ``workers``
    calls at a time (the GIL is released inside PyTorch's kernels)."""
    if workers <= 1 or len(items) <= 1:
        with one_torch_thread():
            return [fn(item) for item in items]
    return list(_pool(workers).map(_in_inference_mode(fn), items))


def _in_inference_mode(fn: Callable[[T], R]) -> Callable[[T], R]:
    """Inference mode is per thread: the pool's threads need it set again."""
    enabled = torch.is_inference_mode_enabled()

    def call(item: T) -> R:
        with torch.inference_mode(enabled):
            return fn(item)

    return call
