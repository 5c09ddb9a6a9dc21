"""``python -m tests.held_run ARGS``: ``summarize ARGS`` in which the second video to be analysed
waits, reporting progress, until the run is stopped; it first writes its path to the file
named by ``SUMMARIZE_TEST_HELD``. A test can then interrupt the run at a known point instead
of racing it (one video done, one in progress, the rest not started)."""

import os
import runpy
import sys
import time
from pathlib import Path

from summarize.pipeline import Summarizer

HOLD_SECONDS = 120  # a stop that never comes fails the test instead of hanging it
_analyze = Summarizer.analyze
_seen: list[Path] = []


def _held(self, path, progress=lambda stage, fraction: None):
    _seen.append(Path(path))
    if len(_seen) < 2:
        return _analyze(self, path, progress)
    Path(os.environ["SUMMARIZE_TEST_HELD"]).write_text(str(path))
    deadline = time.monotonic() + HOLD_SECONDS
    while time.monotonic() < deadline:
        progress("features", 0.0)  # a stopped batch raises here
        time.sleep(0.02)
    raise RuntimeError(f"tests.held_run: nothing stopped the run within {HOLD_SECONDS} s")


Summarizer.analyze = _held
sys.argv = ["summarize", *sys.argv[1:]]
runpy.run_module("summarize", run_name="__main__", alter_sys=True)
