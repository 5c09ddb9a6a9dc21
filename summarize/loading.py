"""Signal handlers replaced for a block, and native modules (PyTorch, OR-Tools, matplotlib,
OpenTimelineIO, Ray) imported with Ctrl-C held: an interrupt raised inside the C++ start-up
of such a module aborts the process (pybind11 terminates on an exception it cannot pass on)
instead of ending the command with one line."""

from __future__ import annotations

import contextlib
import importlib
import signal
import sys
import threading
from typing import Callable, Iterator

HELD_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def handlers_replaced(signals: tuple[int, ...], handler: Callable[[int, object], None]) -> Iterator[None]:
    """``handler`` for each of ``signals`` inside the block, the previous handlers after it.
    A signal the process ignores stays ignored (``nohup`` keeps SIGHUP away); off the main
    thread, where Python cannot set handlers, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in signals:
        if signal.getsignal(signum) in (signal.SIG_IGN, None):
            continue
        with contextlib.suppress(ValueError, OSError):
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(signum, old)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP arriving inside are delivered again, to the handlers they
    had, once the block is done (so Ctrl-C raises KeyboardInterrupt after the imports)."""
    held: list[int] = []
    try:
        with handlers_replaced(HELD_SIGNALS, lambda number, frame: held.append(number)):
            yield
    finally:
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)


def import_native(name: str):
    """``importlib.import_module(name)`` inside ``signals_held``; a module already imported is
    returned as it is (no handlers swapped on the knapsack's hot path)."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    with signals_held():
        return importlib.import_module(name)
