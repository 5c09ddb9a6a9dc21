"""``summarize batch``: the command line over ``run_batch``."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.signals import default_sigint
from tests.synthetic import write_video
from tests.test_cli import run_cli


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch-cli")
    return [write_video(folder / f"clip{k}.mp4", [(k, 2.0), (k + 1, 2.0)], width=160, height=96, fps=20).path
            for k in range(4)]


def _folder(tmp_path, videos, count):
    folder = tmp_path / "videos"
    folder.mkdir()
    for video in videos[:count]:
        shutil.copy(video, folder / video.name)
    return folder


def test_help_lists_the_batch_options(capsys):
    code, out, _ = run_cli(["batch", "--help"], capsys)
    assert code == 0
    for option in ("DIR", "--recursive", "--pattern", "--output-dir", "--jobs", "--force", "--budget", "--method",
                   "--no-video", "--quiet"):
        assert option in out
    code, out, _ = run_cli(["--help"], capsys)
    assert "summarize batch DIR" in out


def test_counts_table_and_exit_code(tmp_path, videos, capsys):
    folder = _folder(tmp_path, videos, 2)
    (folder / "notes.mp4").write_text("not a video")
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(["batch", folder, "-o", out, "--no-cache", "--jobs", "2"], capsys)
    assert code == 1  # one failed
    lines = {line.split()[0]: line for line in stdout.splitlines() if line.strip()}
    assert lines["Summarized"].split()[1] == "2" and lines["Failed"].split()[1] == "1"
    assert "Up" in lines and f"Index{out / 'index.json'}(andindex.csv)" in "".join(stdout.split())
    assert "failed notes.mp4: not a video file FFmpeg can read" in " ".join(stderr.split())
    assert "Traceback" not in stderr

    (folder / "notes.mp4").unlink()
    code, stdout, _ = run_cli(["batch", folder, "-o", out, "--no-cache"], capsys)
    assert code == 0 and "Up to date  2 (skipped; --force redoes them)" in stdout
    code, stdout, stderr = run_cli(["batch", folder, "-o", out, "--no-cache", "-q", "--pattern", "clip0*"], capsys)
    assert (code, stdout, stderr) == (0, "", "")
    index = json.loads((out / "index.json").read_text())
    assert [v["input"] for v in index["videos"]] == ["clip0.mp4"] and index["pattern"] == "clip0*"


def test_selection_options_reach_every_summary(tmp_path, videos, capsys):
    """--duration, --selection and --min-shot are those of summarize VIDEO, for every video."""
    folder = _folder(tmp_path, videos, 1)
    code, _, _ = run_cli(["batch", folder, "-o", tmp_path / "out", "--no-cache", "-q", "--no-video",
                          "--duration", "1.5", "--selection", "benchmark"], capsys)
    selection = json.loads((tmp_path / "out" / "clip0.summary.json").read_text())["selection"]
    assert code == 0 and (selection["rule"], selection["duration"], selection["budget"]) == ("benchmark", 1.5, 0.375)
    code, _, _ = run_cli(["batch", folder, "-o", tmp_path / "out", "--no-cache", "-q", "--no-video",
                          "--duration", "1.5", "--min-shot", "0.25"], capsys)
    selection = json.loads((tmp_path / "out" / "clip0.summary.json").read_text())["selection"]
    assert code == 0 and (selection["rule"], selection["duration"], selection["min_shot"]) == ("total", 1.5, 0.25)


@pytest.mark.parametrize("args, code, message", [
    (["batch", "{video}"], 2, r"is not a folder; to summarize one video run: summarize .*clip0\.mp4"),
    (["batch", "{missing}"], 2, r"no such folder: .*missing"),
    (["batch", "{folder}", "--jobs", "0"], 2, r"--jobs must be at least 1, got 0"),
    (["batch", "{folder}", "--budget", "2"], 2, r"--budget must be in \(0, 1\]"),
    (["batch", "{folder}", "-o", "{blocked}"], 1, r"cannot create output folder .*file/out: Not a directory"),
    (["batch", "{folder}", "--duration", "soon"], 2, r"--duration.*'soon' is not a time"),
    (["batch", "{folder}", "--budget", "0.2", "--duration", "5"], 2, r"give the summary's length once"),
])
def test_unusable_requests_are_one_line(tmp_path, videos, capsys, args, code, message):
    import re

    folder = _folder(tmp_path, videos, 1)
    (tmp_path / "file").write_text("")
    values = {"video": folder / "clip0.mp4", "missing": tmp_path / "missing", "folder": folder,
              "blocked": tmp_path / "file" / "out"}
    got, out, err = run_cli([a.format(**values) for a in args] + ["--no-cache"], capsys)
    lines = err.strip().splitlines()
    assert got == code and len(lines) == 1 and re.search(message, lines[0]), err


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_a_rerun_continues(tmp_path, videos, capsys):
    folder = _folder(tmp_path, videos, 4)
    out, held = tmp_path / "out", tmp_path / "held"
    env = dict(os.environ, PYTHONPATH=os.getcwd(), SUMMARIZE_TEST_HELD=str(held))
    # The second video waits until the run is stopped: Ctrl-C always arrives with one done.
    process = subprocess.Popen([sys.executable, "-m", "tests.held_run", "batch", str(folder), "-o", str(out),
                                "--no-cache", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, preexec_fn=default_sigint)
    deadline = time.monotonic() + 120
    while not held.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert held.exists(), process.communicate(timeout=120)[1]
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == (
        "summarize: error: interrupted; finished summaries are kept and listed in the run index; "
        "run the same command again to continue")
    assert "Traceback" not in stderr
    index = json.loads((out / "index.json").read_text())
    done = [v["input"] for v in index["videos"] if v["status"] == "ok"]
    assert index["complete"] is False and done == ["clip0.mp4"]
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []  # no partial files
    assert sorted(p.name for p in out.glob("*.summary.json")) == sorted(n.replace(".mp4", ".summary.json")
                                                                        for n in done)

    code, stdout, _ = run_cli(["batch", folder, "-o", out, "--no-cache"], capsys)
    assert code == 0 and f"Up to date  {len(done)} " in stdout and f"Summarized  {4 - len(done)}" in stdout
    assert json.loads((out / "index.json").read_text())["complete"] is True
