"""What a new user meets first: wording, exit codes, progress, exact segment times (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from summarize.decoding import VideoInfo
from summarize.features import VideoFeatures
from summarize.pipeline import Analysis, exact_frame_times
from summarize.selection import Selection
from tests.eval_synthetic import write_dataset
from tests.test_cli import run_cli

README = Path(__file__).resolve().parents[1] / "README.md"


def _analysis(frame_times: np.ndarray, duration: float, bounds, selected) -> Analysis:
    n = len(frame_times)
    info = VideoInfo(path="x.mp4", width=64, height=48, n_frames=n, duration=duration, avg_fps=n / duration,
                     start_time=0.0, rotation=0, has_audio=False, backend="decord")
    feats = VideoFeatures(features=np.zeros((2, 4), np.float32), times=np.array([0.0, 0.5]),
                          frame_indices=np.array([0, 12]), frame_times=frame_times, info=info, fps=2.0,
                          backbone="b", backbone_identity="b")
    bounds = np.asarray(bounds, dtype=np.int64)
    selection = Selection(bounds, np.ones(len(bounds)), np.asarray(selected), capacity=n, n_split=0)
    return Analysis(feats, np.zeros(2), np.array([], dtype=np.int64), selection, {})


def test_segments_merge_touching_shots_at_exact_frame_times():
    # decord reports frame times as float32: 29 / 25 comes back as 1.159999966621399.
    frame_times = (np.arange(250, dtype=np.float32) / np.float32(25)).astype(np.float64)
    assert frame_times[29] != 1.16
    analysis = _analysis(frame_times, float(np.float32(10.0)), [[0, 29], [29, 58], [58, 100], [100, 200], [200, 250]],
                         [False, True, True, False, True])
    assert analysis.segments() == [(1.16, 4.0), (8.0, 10.0)]
    assert analysis.kept_seconds == pytest.approx(4.84, abs=1e-12)
    assert analysis.shot_times()[1].tolist() == [1.16, 2.32]


def test_variable_frame_rate_times_are_the_decoders_to_the_microsecond():
    steps = np.tile([0.04, 0.08], 50)
    frame_times = np.concatenate([[0.0], np.cumsum(steps)[:-1]]).astype(np.float32).astype(np.float64)
    exact = exact_frame_times(frame_times, 6.0)
    assert np.all(np.abs(exact[:-1] - np.round(frame_times, 6)) == 0) and exact[-1] == 6.0
    assert exact[3] == 0.16  # float32 noise gone, the frames' own (uneven) times kept
    # Constant rate at 30000/1001: frame k starts at k * 1001 / 30000.
    ntsc = (np.arange(300) * 1001 / 30000).astype(np.float32).astype(np.float64)
    assert exact_frame_times(ntsc, 300 * 1001 / 30000)[150] == 150 * 1001 / 30000


def test_eval_quiet_without_json_is_refused(tmp_path, capsys):
    write_dataset(tmp_path, "tvsum", n_videos=2, seed=1)
    code, out, err = run_cli(["eval", "-d", "tvsum", "--data-dir", tmp_path, "-q"], capsys)
    assert code == 2 and out == ""
    assert err.strip() == "summarize: error: --quiet prints no results, so it needs --json FILE to keep them"


def test_the_other_datasets_annotation_file_is_named_as_such(tmp_path, capsys):
    import h5py
    import scipy.io

    tvsum_mat = tmp_path / "ydata-tvsum50.mat"
    with h5py.File(tvsum_mat, "w") as h5:
        h5.create_group("tvsum50")
    code, _, err = run_cli(["eval", "-d", "summe", "--videos", tmp_path, "--annotations", tvsum_mat, "-q",
                            "--json", tmp_path / "r.json"], capsys)
    assert code == 2 and "holds the TVSum annotations, not SumMe ground truth: use --dataset tvsum" in err
    assert "HDF reader" not in err and len(err.strip().splitlines()) == 1
    gt = tmp_path / "GT"
    gt.mkdir()
    scipy.io.savemat(gt / "Air_Force_One.mat", {"user_score": np.zeros((10, 3), np.uint8), "nFrames": 10})
    for annotations in (gt, gt / "Air_Force_One.mat"):
        code, _, err = run_cli(["eval", "-d", "tvsum", "--videos", tmp_path, "--annotations", annotations, "-q",
                                "--json", tmp_path / "r.json"], capsys)
        assert code == 2 and "holds SumMe ground truth, not TVSum annotations: use --dataset summe" in err
    text = tmp_path / "GT2"
    text.mkdir()
    (text / "x.mat").write_text("not matlab")
    code, _, err = run_cli(["eval", "-d", "summe", "--videos", tmp_path, "--annotations", text, "-q",
                            "--json", tmp_path / "r.json"], capsys)
    assert code == 1 and "is not a MATLAB (.mat) file SciPy can read" in err and "Unknown mat" not in err


def test_tvsum_raw_video_error_says_where_the_videos_come_from(tmp_path, capsys):
    write_dataset(tmp_path, "tvsum", n_videos=2, seed=1)
    videos = tmp_path / "videos"
    videos.mkdir()
    code, _, err = run_cli(["eval", "-d", "tvsum", "--videos", videos, "--annotations",
                            tmp_path / "ydata-tvsum50-anno.tsv", "-q", "--json", tmp_path / "r.json"], capsys)
    assert code == 1
    assert re.search(r"none of the 2 annotated videos is in .*come with the TVSum release "
                     r"\(github\.com/yalesong/tvsum\), named by YouTube id", err), err


@pytest.mark.parametrize("make, code, message", [
    (None, 2, "no such file"),
    ("dir", 2, "is a directory; to summarize every video in it run: summarize batch"),
    ("text", 1, "not a video file FFmpeg can read"),
])
def test_exit_codes_follow_the_documented_rule(make, code, message, tmp_path, capsys):
    path = tmp_path / "clip.mp4"
    if make == "dir":
        path.mkdir()
    elif make == "text":
        path.write_text("hello")
    got, _, err = run_cli([path, "-q", "--no-cache"], capsys)
    assert got == code and message in err
    # The README states the rule with this very case under this very code.
    section = README.read_text().split("### Exit codes", 1)[1].split("\n#", 1)[0]
    row = next(line for line in section.splitlines() if line.startswith(f"| `{code}` |"))
    assert {"dir": "a folder", "text": "not a video", None: "does not exist"}[make] in row


def test_features_report_the_model_first_and_move_smoothly(tmp_path):
    from summarize import Summarizer
    from tests.synthetic import write_video

    video = write_video(tmp_path / "v.mp4", [(0, 15.0), (1, 15.0)], fps=10, width=96, height=64, audio=False)
    fresh = Summarizer(cache=False, device="cpu")
    seen = []
    fresh.features(video.path, progress=lambda stage, f: seen.append((stage, f)))
    assert seen[:2] == [("model", 0.0), ("model", 1.0)]
    fractions = [f for stage, f in seen if stage == "features"]
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert max(np.diff([0.0, *fractions])) <= 0.05, fractions  # 60 samples: no jump of a whole batch
