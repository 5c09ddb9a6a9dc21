"""How the command line ends on an expected failure: one line on stderr and an exit code."""

from __future__ import annotations

import sys

from ..paths import shown

INTERRUPTED = "interrupted; no partial outputs were left behind"


def fail(message: str, code: int) -> None:
    """One line on stderr, then exit (a file name that is not UTF-8 written as ``paths.shown`` does)."""
    sys.stderr.write(f"summarize: error: {shown(message)}\n")
    sys.stderr.flush()
    raise SystemExit(code)
