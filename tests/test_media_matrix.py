"""The media matrix (issue 19): every case of ``tests/media.py`` summarized, and the result checked
against an independent oracle, the container's packet timestamps (``media.packets``: PyAV's
demuxer alone, not ``summarize.decoding``).

For each case: the run ends without an error, the JSON's duration is the packets' span within
one frame, every shot starts and ends on a frame of the source, the time kept is within the
budget, the summary MP4 (read through its packets too) lasts what the JSON says, and its
sound is there exactly when the source has some. A few cases also run through the command
line. A new check is a function ``check_*(case, source, result)`` added to ``CHECKS``
(exports, a source time code: see ``tests/media.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from summarize import Summarizer
from tests import media

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def summarizer():
    return Summarizer(cache=False, device="cpu")


def _frame(case: media.Case, source: media.Packets) -> float:
    """One frame: the tolerance on every time (the longest a frame of the source lasts)."""
    return max(case.longest_frame, source.frame, source.last_duration) + 1e-3


def check_duration(case, source, result) -> None:
    doc = result.document["input"]
    assert abs(source.duration - case.duration) <= _frame(case, source), "the oracle disagrees with the generator"
    assert doc["n_frames"] == len(source.starts)
    assert doc["duration"] == pytest.approx(source.duration, abs=_frame(case, source)), \
        f"JSON {doc['duration']:.3f} s, packets {source.duration:.3f} s"


def check_shots_on_frames(case, source, result) -> None:
    """Shot boundaries are the source's own frame times (a stretched clock moves them off)."""
    doc = result.document
    starts = source.starts - source.starts[0]
    edges = np.append(starts, doc["input"]["duration"])
    for shot in doc["shots"]:
        for edge in (shot["start"], shot["end"]):
            assert np.min(np.abs(edges - edge)) < 2e-3, f"shot edge {edge:.4f} s is not a frame's start"


def check_budget(case, source, result) -> None:
    doc = result.document
    kept, duration = doc["summary"]["duration"], doc["input"]["duration"]
    selected = [s for s in doc["shots"] if s["selected"]]
    assert selected and kept == pytest.approx(sum(s["end"] - s["start"] for s in selected), abs=1e-3)
    # A frame cannot be cut: where one frame outlasts the budget, the summary keeps one frame.
    assert 0 < kept <= doc["selection"]["budget"] * duration + _frame(case, source)


def check_summary_video(case, source, result) -> None:
    written = media.packets(result.video_path)
    kept = result.document["summary"]["duration"]
    assert written.starts[0] == pytest.approx(0.0, abs=1e-3)
    assert written.duration == pytest.approx(kept, abs=_frame(case, source)), \
        f"the MP4 lasts {written.duration:.3f} s, the JSON says {kept:.3f} s"


def check_audio(case, source, result) -> None:
    doc = result.document["input"]
    written = media.packets(result.video_path)
    kept = result.document["summary"]["duration"]
    if case.audio == "present":
        assert source.audio is not None and doc["has_audio"] and "audio_note" not in doc
        first, last = written.audio
        assert first == pytest.approx(0.0, abs=0.05) and last == pytest.approx(kept, abs=0.05)
    else:
        assert source.audio is None and not doc["has_audio"] and written.audio_streams == 0
        if case.audio == "empty":  # the file has a track, without sound: said so
            assert "audio track is empty" in doc["audio_note"]


CHECKS = [check_duration, check_shots_on_frames, check_budget, check_summary_video, check_audio]


@pytest.mark.parametrize("name", list(media.MATRIX))
def test_media_matrix(name, tmp_path, summarizer):
    case = media.MATRIX[name](tmp_path)
    source = media.packets(case.path)
    result = summarizer.summarize(case.path, tmp_path / "out")
    for check in CHECKS:
        check(case, source, result)


@pytest.mark.parametrize("name", ["vfr-60-then-1-mp4", "offset-10h-mkv", "audio-empty-mkv"])
def test_media_matrix_on_the_command_line(name, tmp_path):
    case = media.MATRIX[name](tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-m", "summarize", str(case.path), "-o", str(tmp_path / "out"),
                          "--no-cache", "--device", "cpu"], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    stem = case.path.stem
    result = SimpleNamespace(document=json.loads((tmp_path / "out" / f"{stem}.summary.json").read_text()),
                             video_path=tmp_path / "out" / f"{stem}.summary.mp4")
    for check in CHECKS:
        check(case, media.packets(case.path), result)
    if case.audio == "empty":
        assert "audio track is empty" in run.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{stem}.summary.json", f"{stem}.summary.mp4"]
