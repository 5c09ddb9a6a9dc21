"""The command line: help, a real run, and every bad input with its one line and exit code."""

import os
import re
import subprocess
import sys

import av
import pytest

from summarize._cli import main
from tests.synthetic import write_video


def run_cli(args, capsys):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_help_reads_well(capsys):
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0 and "summarize VIDEO [OPTIONS]" in out and "video" in out
    code, out, _ = run_cli(["some.mp4", "--help"], capsys)
    assert code == 0
    for option in ("--method", "--budget", "--fps", "--backbone", "--weights", "--device", "--batch-size",
                   "--output-dir", "--no-video", "--overwrite", "--quiet", "efficientnet-lite0"):
        assert option in out


@pytest.mark.slow
def test_console_script_summarizes_a_real_video(bikes, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "summarize", str(bikes), "--budget", "0.2", "-o", str(tmp_path), "--no-cache"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bikes.summary.mp4").is_file() and (tmp_path / "bikes.summary.json").is_file()
    for label in ("Input", "Shots found", "Kept", "Summary video", "Time taken"):
        assert label in result.stdout
    assert "Decoding + features" in result.stderr  # progress goes to stderr


def test_no_video_writes_json_only_and_existing_outputs_are_kept(bikes, tmp_path, capsys):
    code, _, _ = run_cli([bikes, "-o", tmp_path, "--no-video", "-q", "--no-cache"], capsys)
    assert code == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["bikes.summary.json"]
    before = (tmp_path / "bikes.summary.json").read_bytes()
    code, out, err = run_cli([bikes, "-o", tmp_path, "--no-video", "-q"], capsys)
    assert code == 1 and err.strip() == (
        f"summarize: error: {tmp_path / 'bikes.summary.json'} already exists (use --overwrite to replace it)")
    assert (tmp_path / "bikes.summary.json").read_bytes() == before


def _zero_frames(path):
    """A valid MP4 index whose video data is all zeros: nothing decodes."""
    write_video(path, [(0, 2.0)], fps=25, audio=False)
    data = bytearray(path.read_bytes())
    at = data.find(b"mdat")
    size = int.from_bytes(data[at - 4 : at], "big")
    data[at + 4 : at - 4 + size] = bytes(size - 8)
    path.write_bytes(data)


def _audio_only(path):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=44100, layout="mono")
        import numpy as np

        for i in range(30):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, i * 1024
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


PROGRESS_LINE = re.compile(r"[A-Z][\w +()]+ +\d+%(  .*)?")  # "Loading model  100%  took 0:01"

BAD_INPUTS = {
    # name: (how to make it, extra arguments, exit code, message pattern)
    "missing": (None, [], 2, r"no such file: .*missing\.mp4"),
    "directory": ("dir", [], 2, r"is a directory; to summarize every video in it run: summarize batch"),
    "text": ("text", [], 1, r"not a video file FFmpeg can read"),
    "empty": ("empty", [], 1, r"empty file \(0 bytes\)"),
    "audio_only": ("audio", [], 1, r"no video stream in .* \(streams: audio\)"),
    "truncated": ("truncated", [], 1, r"truncated or damaged"),
    "zero_frames": ("zero", [], 1, r"cannot decode any video frame"),
    "too_short": ("short", [], 1, r"holds a single video frame: there is nothing to summarize"),
    "budget_zero": ("good", ["--budget", "0"], 2, r"--budget must be in \(0, 1\]"),
    "budget_high": ("good", ["--budget", "1.5"], 2, r"--budget must be in \(0, 1\]"),
    "backbone": ("good", ["--backbone", "vgg16"], 2, r"Invalid value for '--backbone': 'vgg16' is not one of"),
    "method": ("good", ["--method", "magic"], 2, r"Invalid value for '--method'.*'magic' is not one of"),
    "no_cuda": ("good", ["--device", "cuda"], 2, r"no CUDA GPU is available"),
    "budget_and_duration": ("good", ["--budget", "0.2", "--duration", "10s"], 2,
                            r"give the summary's length once: --budget \(a fraction\) or --duration \(a time\)"),
    "duration_text": ("good", ["--duration", "soon"], 2, r"'soon' is not a time: write seconds \(90, 90s\)"),
    "duration_zero": ("good", ["--duration", "0s"], 2, r"--duration must be a positive number of seconds, got 0"),
    "selection": ("good", ["--selection", "best"], 2, r"Invalid value for '--selection'.*'best' is not one of"),
    "min_shot": ("good", ["--min-shot", "-1"], 2, r"--min-shot must be 0 or more seconds, got -1"),
}


@pytest.mark.parametrize("text, seconds", [("60", 60), ("60s", 60), ("90.5s", 90.5), ("1:30", 90), ("1m30s", 90),
                                           ("2m", 120), ("1.5m", 90), ("1h5m", 3900), ("1:02:03", 3723),
                                           (" 45S ", 45), ("1h", 3600)])
def test_duration_reads_the_ways_people_write_time(text, seconds):
    from summarize._cli.options import parse_duration

    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "1:2:3:4", "-5", "5 min", "1m-3s", "1::2", ":30", "s"])
def test_duration_refuses_what_is_not_a_time(text):
    import typer

    from summarize._cli.options import parse_duration

    with pytest.raises(typer.BadParameter, match="is not a time"):
        parse_duration(text)


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gives_one_line_and_no_outputs(case, tmp_path, capsys, four_scene_video, monkeypatch):
    import re

    import torch

    make, extra, expected_code, pattern = BAD_INPUTS[case]
    if case == "no_cuda":
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a machine without one, even on a GPU
    source = tmp_path / "in"
    source.mkdir()
    target = source / f"{case}.mp4"
    if make == "dir":
        target.mkdir()
    elif make == "text":
        target.write_text("this is not a video\n")
    elif make == "empty":
        target.touch()
    elif make == "audio":
        target = source / "audio_only.m4a"
        _audio_only(target)
    elif make == "truncated":
        data = four_scene_video.path.read_bytes()
        target.write_bytes(data[: len(data) // 2])
    elif make == "zero":
        _zero_frames(target)
    elif make == "short":  # one frame (shorter clips of two frames or more are sampled faster)
        write_video(target, [(0, 0.04)], fps=25)
    elif make == "good":
        target = four_scene_video.path
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = run_cli([target, "-o", out_dir, "--no-cache", *extra], capsys)
    assert code == expected_code
    lines = err.strip().splitlines()
    # stderr is no terminal here: progress lines (--progress plain) may come before the one error line
    assert lines and lines[-1].startswith("summarize: error: "), err
    assert all(PROGRESS_LINE.fullmatch(line) for line in lines[:-1]), err
    assert re.search(pattern, lines[-1]), lines[-1]
    assert "Traceback" not in err + out
    assert os.listdir(out_dir) == []  # nothing written, not even a hidden temporary file


def test_interrupted_write_leaves_nothing_behind(four_scene_video, tmp_path, monkeypatch):
    import summarize.pipeline as pipeline

    def interrupted(source, segments, destination, **kwargs):
        destination.write_bytes(b"half a video")
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "write_cut_video", interrupted)  # the default --cut exact's writer
    monkeypatch.setattr(pipeline, "write_summary_video", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipeline.summarize_video(four_scene_video.path, tmp_path, cache=False, device="cpu")
    assert os.listdir(tmp_path) == []


def test_a_full_disk_while_the_report_is_written_leaves_nothing_and_a_rerun_completes(tmp_path, capsys,
                                                                                       monkeypatch):
    """The report, plot and exports are renamed into place with the MP4 and JSON as one unit."""
    import errno
    from pathlib import Path

    clip = write_video(tmp_path / "clip.mp4", [(0, 2.0), (1, 2.0)], width=160, height=96, fps=20).path
    out = tmp_path / "out"
    args = [clip, "-o", out, "--report", "--plot", "--export", "chapters", "-q", "--no-cache"]
    write_bytes = Path.write_bytes

    def full_disk(self, data):
        if self.suffix == ".html":
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    code, _, err = run_cli(args, capsys)
    assert code == 1 and err.startswith("summarize: error: cannot write ") and err.count("\n") == 1, err
    assert err.rstrip().endswith("clip.summary.html: No space left on device")
    assert os.listdir(out) == []  # no MP4 or JSON either, so the same command can run again

    monkeypatch.setattr(Path, "write_bytes", write_bytes)  # space again
    code, _, err = run_cli(args, capsys)
    assert code == 0, err
    assert sorted(os.listdir(out)) == ["clip.summary.chapters.vtt", "clip.summary.ffmetadata", "clip.summary.html",
                                       "clip.summary.json", "clip.summary.mp4", "clip.summary.png"]


def test_a_torchvision_that_does_not_fit_torch_is_one_line_naming_both(tmp_path, capsys, monkeypatch):
    """The error a torchvision built for another torch raises when it loads its operators."""
    from importlib import metadata

    import torch

    import summarize.backbones.torchvision_models as torchvision_models

    real = torchvision_models.import_native

    def mismatched(name):
        if name.startswith("torchvision"):
            raise RuntimeError("operator torchvision::nms does not exist")
        return real(name)

    monkeypatch.setattr(torchvision_models, "import_native", mismatched)
    clip = write_video(tmp_path / "clip.mp4", [(0, 1.0)], width=64, height=48, fps=10).path
    code, out, err = run_cli([clip, "-o", tmp_path / "out", "--backbone", "googlenet", "-q", "--no-cache"], capsys)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err + out, err
    assert err == (f"summarize: error: torchvision {metadata.version('torchvision')} cannot be used with torch "
                   f"{torch.__version__} (operator torchvision::nms does not exist); install the torchvision "
                   f"release made for this torch (pip install --upgrade torch torchvision)\n")
    assert not (tmp_path / "out").exists() or os.listdir(tmp_path / "out") == []
