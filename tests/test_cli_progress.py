"""Progress where there is no terminal (a pipe, a log file, CI), for scripts (``--progress
json``), and the debug log (``-v``, ``--log-file``)."""

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.synthetic import write_video
from tests.test_cli import run_cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_plain_lines_reach_a_pipe_while_the_run_goes_on(four_scene_video, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "summarize", four_scene_video.path, "-o", tmp_path,
                                "--no-cache"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True).start()
    seen = []
    try:
        deadline = time.monotonic() + 120
        while not any(line.startswith("Decoding + features") for line in seen):
            seen.append(lines.get(timeout=max(deadline - time.monotonic(), 0.1)).rstrip("\n"))
        # A progress line of the decoding stage has come through the pipe, and the run is not over:
        # the summary is still to be written.
        assert process.poll() is None, seen
        assert not (tmp_path / "four_scenes.summary.json").exists()
    finally:
        assert process.wait(timeout=300) == 0
    assert seen[0].startswith("Loading model")
    assert (tmp_path / "four_scenes.summary.json").is_file()


def _events(err):
    return [json.loads(line) for line in err.splitlines()]


@pytest.mark.slow
def test_json_lines_parse_carry_the_stages_and_end_at_one(four_scene_video, tmp_path, capsys):
    code, out, err = run_cli([four_scene_video.path, "-o", tmp_path, "--progress", "json", "-q", "--plot",
                              "--no-cache"], capsys)
    assert code == 0 and out == ""
    events = _events(err)  # every line of stderr is a JSON object
    assert all(e["command"] == "video" and e["video"] == "four_scenes.mp4" for e in events)
    progress = [e for e in events if e["event"] == "progress"]
    assert list(dict.fromkeys(e["stage"] for e in progress)) == [
        "model", "features", "scoring", "segmentation", "selection", "writing", "extras"]
    assert all(any(e["stage"] == stage and e["stage_fraction"] == 1.0 for e in progress) for stage in (
        "model", "features", "writing", "extras"))
    fractions = [e["fraction"] for e in events]
    assert fractions == sorted(fractions) and all(0 <= f <= 1 for f in fractions)
    assert all(e["stage_fraction"] <= 1 and (e["eta"] is None or e["eta"] >= 0) for e in progress)
    last = events[-1]
    assert last["event"] == "done" and last["fraction"] == 1.0 and last["eta"] == 0.0
    assert str(tmp_path / "four_scenes.summary.json") in last["outputs"]
    assert str(tmp_path / "four_scenes.summary.png") in last["outputs"]


def test_json_lines_end_with_the_error_of_a_failed_run(tmp_path, capsys):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    code, _, err = run_cli([bad, "-o", tmp_path / "out", "--progress", "json"], capsys)
    lines = err.strip().splitlines()
    assert code == 1 and lines[-1].startswith("summarize: error: not a video file")
    last = json.loads(lines[-2])
    assert last["event"] == "error" and last["exit_code"] == 1 and "not a video file" in last["message"]


@pytest.mark.slow
def test_batch_lines_plain_and_json(tmp_path, capsys):
    folder = tmp_path / "videos"
    folder.mkdir()
    for k in range(2):
        write_video(folder / f"clip{k}.mp4", [(k, 2.0), (k + 1, 2.0)], width=160, height=96, fps=20)
    (folder / "notes.mp4").write_text("not a video")
    code, _, err = run_cli(["batch", folder, "-o", tmp_path / "plain", "--progress", "plain"], capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0] == "3 videos found: 0 up to date, 3 to summarize"
    done = [line for line in lines if line.startswith("[")]
    assert sorted(line.split("] ", 1)[1].split(" (")[0].split(":")[0] for line in done if "%" not in line) == [
        "failed notes.mp4", "ok clip0.mp4", "ok clip1.mp4"]

    shutil.rmtree(tmp_path / "plain")
    code, _, err = run_cli(["batch", folder, "-o", tmp_path / "json", "--progress", "json", "-q"], capsys)
    events = _events(err)
    assert code == 1 and events[0]["event"] == "planned" and events[0]["videos_to_do"] == 3
    finished = {e["video"]: e["status"] for e in events if e["event"] == "video"}
    assert finished == {"clip0.mp4": "ok", "clip1.mp4": "ok", "notes.mp4": "failed"}
    progress = [e for e in events if e["event"] == "progress"]
    assert {e["video"] for e in progress} == {"clip0.mp4", "clip1.mp4"} and {"features", "writing"} <= {
        e["stage"] for e in progress}
    fractions = [e["fraction"] for e in events if "fraction" in e]
    assert fractions == sorted(fractions)
    assert events[-1]["event"] == "done" and events[-1]["fraction"] == 1.0
    assert events[-1]["counts"] == {"ok": 2, "skipped": 0, "failed": 1}

    # A rerun: the videos done are up to date, and say so.
    code, _, err = run_cli(["batch", folder, "-o", tmp_path / "json", "--progress", "json", "-q"], capsys)
    events = _events(err)
    assert {e["video"]: e["status"] for e in events if e["event"] == "video"}["clip0.mp4"] == "skipped"
    assert events[-1]["counts"] == {"ok": 0, "skipped": 2, "failed": 1} and events[-1]["fraction"] == 1.0


def test_batch_fraction_counts_a_video_whose_worker_moved_on(capsys):
    """A worker takes its next video before the run records the last one's result (the
    result goes through a queue): the finished video still counts, the fraction never drops."""
    from types import SimpleNamespace

    from summarize._cli.batch import LineBatchProgress

    first, second = SimpleNamespace(name="a.mp4"), SimpleNamespace(name="b.mp4")
    listener = LineBatchProgress("json")
    listener.planned(2, 2)
    listener.video_started(0, first)
    listener.stage(0, first, "writing", 1.0)
    listener.video_started(0, second)  # before video_finished(0, first)
    listener.stage(0, second, "scoring", 0.0)
    listener.video_finished(0, first, SimpleNamespace(status="ok", reason="", seconds=1.0))
    listener.stage(0, second, "segmentation", 0.0)
    events = _events(capsys.readouterr().err)
    # VIDEO_STAGES weigh features 75, scoring 2, segmentation 17, selection 1, writing 12 (107).
    assert [(e["event"], e.get("videos_done"), e["fraction"]) for e in events] == [
        ("planned", None, 0.0), ("progress", 0, 0.5), ("progress", 0, round((1 + 75 / 107) / 2, 4)),
        ("video", 1, round((1 + 75 / 107) / 2, 4)), ("progress", 1, round((1 + 77 / 107) / 2, 4))]


@pytest.mark.slow
def test_verbose_and_log_file_write_the_debug_log(four_scene_video, tmp_path, capsys):
    log = tmp_path / "run.log"
    code, _, err = run_cli([four_scene_video.path, "-o", tmp_path, "-q", "-v", "--log-file", log, "--no-cache"],
                           capsys)
    assert code == 0
    text = log.read_text()
    for what in ("DEBUG summarize", "pyav decoder, 600 frames", "48 samples at 2 fps", "4 shots found", "wrote "):
        assert what in text, what
    assert "48 samples at 2 fps" in err and "DEBUG" in err  # -v: on stderr too
    code, _, err = run_cli([four_scene_video.path, "-o", tmp_path / "again", "-q"], capsys)
    assert code == 0 and err == ""  # the next command without -v logs nothing


def test_an_unwritable_log_file_is_one_line(tmp_path, capsys):
    code, _, err = run_cli([tmp_path / "x.mp4", "--log-file", tmp_path / "no" / "such" / "run.log"], capsys)
    assert code == 1 and err.startswith("summarize: error: cannot write --log-file ") and len(err.splitlines()) == 1
