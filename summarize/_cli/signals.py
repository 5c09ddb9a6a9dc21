"""SIGTERM and SIGHUP end a command as Ctrl-C does: temporary outputs removed, one line, exit 130."""

from __future__ import annotations

import contextlib
import signal
from typing import Iterator

from ..loading import handlers_replaced

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise KeyboardInterrupt in the main thread, so the
    clean-up that follows Ctrl-C (partial files removed, the batch index written) runs too.
    A signal the process ignores (SIGHUP under ``nohup``) stays ignored."""
    with handlers_replaced(STOP_SIGNALS, _interrupt):
        yield
