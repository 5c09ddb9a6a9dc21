"""Triage sampling (``--sampling keyframes``): samples at the keyframes, nothing else decoded,
recorded in the JSON and the options fingerprint."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from summarize.decoding import KeyframeDecoder, open_video, plan_samples
from summarize.errors import InputError
from tests.synthetic import write_video

FPS = 25
SCENES = [(0, 3.0), (1, 5.0), (2, 4.0)]  # 12 s


@pytest.fixture(scope="module")
def gop_video(tmp_path_factory):
    """Keyframes every 40 frames (1.6 s) and, by x264's scene-cut detection, at cuts."""
    return write_video(tmp_path_factory.mktemp("kf") / "gop40.mp4", SCENES, width=160, height=120, fps=FPS,
                       gop=40, audio=False)


def keyframe_times(path) -> list[float]:
    """The oracle: ffprobe's keyframe packets, in presentation order."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "packet=pts_time,flags", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split(",") for line in out.split()]
    return sorted(float(t) for t, flags in rows if "K" in flags)


def test_samples_are_the_keyframes_and_only_they_are_decoded(gop_video):
    expected = keyframe_times(gop_video.path)
    assert 8 <= len(expected) <= 14  # every 1.6 s plus scene cuts: more than one GOP, far fewer than frames
    with open_video(gop_video.path, short_side=64, sampling="keyframes") as video:
        assert isinstance(video, KeyframeDecoder)
        plan = video.plan(2.0)
        assert np.allclose(plan.times, np.asarray(expected) - expected[0], atol=1e-6)
        assert plan.fps == pytest.approx(len(expected) / video.info.duration)
        ours = np.concatenate([b.frames for b in video.iter_batches(plan, 4)])
    with open_video(gop_video.path, short_side=64, sampling="keyframes") as video:
        decoded = list(video._decoded(plan.frame_indices))  # every picture the decoder gave
        assert len(decoded) == len(expected) and all(frame.key_frame for frame in decoded)
    # The same pictures as decoding the whole stream, at the same frames.
    with open_video(gop_video.path, short_side=64, backend="pyav", workers=1) as video:
        full = plan_samples(video.frame_times, video.info.duration, 2.0)
        same = type(full)(fps=full.fps, times=plan.times, frame_indices=plan.frame_indices)
        reference = np.concatenate([b.frames for b in video.iter_batches(same, 4)])
    assert np.array_equal(ours, reference)


def test_an_all_intra_stream_is_sampled_at_most_fps_a_second(tmp_path):
    video_file = write_video(tmp_path / "intra.mp4", [(0, 4.0)], width=96, height=64, fps=FPS, gop=1, audio=False)
    with open_video(video_file.path, sampling="keyframes") as video:
        plan = video.plan(2.0)
    assert len(plan) == 8  # 4 s at 2 a second, not 100 keyframes
    assert np.all(np.diff(plan.times) >= 0.5 - 1e-6)


def test_a_single_keyframe_is_a_clear_error(tmp_path):
    one = write_video(tmp_path / "one_gop.mp4", [(0, 3.0)], width=96, height=64, fps=FPS, gop=1000, audio=False)
    assert len(keyframe_times(one.path)) == 1
    with open_video(one.path, sampling="keyframes") as video, pytest.raises(InputError, match="--sampling uniform"):
        video.plan(2.0)


@pytest.mark.slow
def test_keyframe_summary_is_recorded_and_fingerprinted(gop_video, tmp_path):
    from summarize import Summarizer

    uniform = Summarizer(cache=False, device="cpu")
    triage = uniform.with_options(sampling="keyframes")
    assert "sampling" not in uniform.output_options()  # earlier summaries keep their fingerprint
    assert triage.output_options()["sampling"] == "keyframes"
    assert triage.options_fingerprint() != uniform.options_fingerprint()
    result = triage.summarize(gop_video.path, tmp_path, write_video=False)
    doc = json.loads(result.json_path.read_text())
    expected = keyframe_times(gop_video.path)
    assert doc["sampling"]["mode"] == "keyframes" and doc["sampling"]["n_samples"] == len(expected)
    assert doc["samples"]["time"] == pytest.approx([t - expected[0] for t in expected], abs=1e-6)
    assert doc["input"]["decoder"] == "pyav"
    assert doc["options"]["values"]["sampling"] == "keyframes"
    plain = uniform.summarize(gop_video.path, tmp_path / "uniform", write_video=False).document
    assert "mode" not in plain["sampling"] and plain["sampling"]["n_samples"] == 24


def test_unknown_sampling_is_a_usage_error():
    from summarize._cli import main

    with pytest.raises(SystemExit) as exc:
        main(["video", "x.mp4", "--sampling", "sometimes"])
    assert exc.value.code == 2


def test_the_triage_keeps_boundaries_on_their_samples_and_decodes_nothing_more(gop_video, tmp_path, monkeypatch):
    """Finding the cut frames watches the first pass's frames and decodes sampling intervals
    again: in the triage an interval is a whole group of pictures, so the search would decode
    about the whole file."""
    import summarize.boundaries as boundaries
    import summarize.cut_scout as cut_scout
    from summarize import Summarizer

    opened = []  # the search's readers (decoding again) and watchers (in the first pass)
    readers, watcher = boundaries._Readers, cut_scout.CutScout.watcher

    def counted(*args, **kwargs):
        opened.append("reader")
        return readers(*args, **kwargs)

    monkeypatch.setattr(boundaries, "_Readers", counted)
    monkeypatch.setattr(cut_scout.CutScout, "watcher", lambda self: (opened.append("watcher"), watcher(self))[1])
    uniform = Summarizer(cache=False, device="cpu")
    plain = uniform.summarize(gop_video.path, tmp_path / "uniform", write_video=False).document
    assert opened and plain["segmentation"]["boundaries"]["cut"] >= 1  # the search runs on uniform samples
    opened.clear()
    doc = uniform.with_options(sampling="keyframes").summarize(gop_video.path, tmp_path, write_video=False).document
    assert opened == []
    assert doc["segmentation"]["boundaries"]["cut"] == 0
    assert "cut" not in {shot["boundary"] for shot in doc["shots"]} and "cut" in {s["boundary"] for s in plain["shots"]}
