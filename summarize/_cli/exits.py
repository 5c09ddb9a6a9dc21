"""How the command line ends on an expected failure: one line on stderr and an exit code."""

from __future__ import annotations

import sys

INTERRUPTED = "interrupted; no partial outputs were left behind"


def fail(message: str, code: int) -> None:
    """One line on stderr, then exit."""
    sys.stderr.write(f"summarize: error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def note(message: str | None, quiet: bool) -> None:
    """One line on stderr that a user should read before trusting the result (not with -q)."""
    if message and not quiet:
        sys.stderr.write(f"summarize: note: {message}\n")
        sys.stderr.flush()
