"""How the command line ends on an expected failure: one line on stderr and an exit code."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from typing import NoReturn

from ..paths import shown

INTERRUPTED = "interrupted; no partial outputs were left behind"


def fail(message: str, code: int) -> None:
    """One line on stderr, then exit (a file name that is not UTF-8 written as ``paths.shown`` does)."""
    sys.stderr.write(f"summarize: error: {shown(message)}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def exit_now(code: object) -> NoReturn:
    """End the process with ``code`` (as ``SystemExit`` would take it) without the
    interpreter's teardown. Once a command has returned, its outputs are complete and its
    threads joined; the teardown then only frees memory, but it is a garbage collection over
    every object PyTorch, the decoders and the network made, then a release of each: 1-4 s
    after a 10-minute video's JSON alone, 15-40 s while other runs shared the cores. The
    exit handlers still run (Ray's shutdown, temporary folders, logging), and the standard
    streams are flushed."""
    if code is None:
        code = 0
    elif not isinstance(code, int):  # SystemExit("message"): printed, status 1
        sys.stderr.write(f"{code}\n")
        code = 1
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe must not turn success into a traceback
            stream.flush()
    os._exit(code)


run_exit_handlers = atexit._run_exitfuncs  # what the interpreter would run first on its way out


def note(message: str | None, quiet: bool) -> None:
    """One line on stderr that a user should read before trusting the result (not with -q)."""
    if message and not quiet:
        sys.stderr.write(f"summarize: note: {message}\n")
        sys.stderr.flush()
