"""The process ends once a command has returned: the exit handlers run, the interpreter's
teardown (a garbage collection over every object, then freeing each) does not. It kept
``--no-video`` runs alive 15-40 s after their JSON on a busy machine."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.synthetic import write_video

# Runs ``summarize._cli.run`` as the console script does, with two witnesses: an exit
# handler (must run: Ray's shutdown and temporary folders depend on them) and an object
# whose finalizer runs only in the interpreter's teardown (must not).
PROBE = """
import atexit, os, sys
class Witness:
    def __del__(self):
        os.write(2, b"TEARDOWN\\n")
witness = Witness()
atexit.register(lambda: os.write(2, b"EXIT-HANDLERS\\n"))
sys.argv = ["summarize"] + sys.argv[1:]
from summarize._cli import run
run()
"""


def _probe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=600)


def test_witness_sees_the_teardown_of_an_ordinary_exit():
    """The probe can tell: without ``run`` the finalizer does run at exit."""
    plain = subprocess.run([sys.executable, "-c", PROBE.replace("run()", "pass")], capture_output=True, text=True)
    assert "TEARDOWN" in plain.stderr and "EXIT-HANDLERS" in plain.stderr


@pytest.mark.parametrize("args, code", [(["--version"], 0), (["video", "--no-such-option"], 2)])
def test_commands_end_without_the_teardown(args, code):
    proc = _probe(*args)
    assert proc.returncode == code, proc.stderr
    assert "EXIT-HANDLERS" in proc.stderr
    assert "TEARDOWN" not in proc.stderr
    if code == 0:
        assert proc.stdout.startswith("summarize ")  # the output was flushed before the end


@pytest.mark.slow
def test_a_no_video_run_ends_without_the_teardown(tmp_path):
    video = write_video(tmp_path / "clip.mp4", [(0, 2.0), (1, 2.0)], width=96, height=64, fps=10, audio=False)
    proc = _probe(str(video.path), "-o", str(tmp_path / "out"), "--no-video", "-q", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out" / "clip.summary.json").read_text())["summary"]["n_shots"] >= 1
    assert "EXIT-HANDLERS" in proc.stderr and "TEARDOWN" not in proc.stderr
