"""Importing native modules (PyTorch, OR-Tools, matplotlib, OpenTimelineIO, Ray) with Ctrl-C
held: an interrupt raised inside the C++ start-up of such a module aborts the process
(pybind11 terminates on an exception it cannot pass on) instead of ending the command with
one line."""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

HELD_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP arriving inside are delivered again, to the handlers they
    had, once the block is done (so Ctrl-C raises KeyboardInterrupt after the imports). A
    signal the process ignores stays ignored; off the main thread nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {}
    for signum in HELD_SIGNALS:
        if signal.getsignal(signum) in (signal.SIG_IGN, None):
            continue
        with contextlib.suppress(ValueError, OSError):
            previous[signum] = signal.signal(signum, lambda number, frame: held.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(signum, handler)
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)
