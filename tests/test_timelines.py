"""Timelines of ordinary videos read right, playable files accepted, and failures blamed on
the input in its own terms (issue 19, defects 1, 2 and 6). The media come from tests/media.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from summarize import Summarizer
from summarize.decoding import open_video
from summarize.errors import InputError
from summarize.outputs.verify import ExpectedShot, check_summary_video
from summarize.outputs.video import write_summary_video
from tests import damaged, media
from tests.synthetic import write_video

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def summarizer():
    return Summarizer(cache=False, device="cpu")


# 1. B-frame reordering across seconds is not a clock restart ---------------------------------

def test_reordering_is_told_from_restarts_by_the_streams_own_order():
    from summarize.decoding.clock import NO_DTS, ClockWatch, unwrap_restarts

    # x264 at 1 fps, 40 frames: I0 P3 B1 B2 P6 B4 B5 ... (seconds), decoding one frame behind.
    order = [0] + [t for k in range(13) for t in (3 * k + 3, 3 * k + 1, 3 * k + 2)]
    pts, dts = np.array(order) * 90000, (np.arange(40) - 1) * 90000
    assert np.array_equal(unwrap_restarts(pts, dts), pts)
    assert np.array_equal(unwrap_restarts(pts, np.full(len(pts), NO_DTS)), pts)  # without decoding times
    # Two such runs joined byte for byte: the second runs on one frame after the first.
    for decoding in (np.concatenate([dts, dts]), np.full(80, NO_DTS)):
        joined = unwrap_restarts(np.concatenate([pts, pts]), decoding)
        assert np.array_equal(np.sort(joined), np.arange(80) * 90000)
    # Decoded frames (presentation order) of the joined runs: one restart, where the second begins.
    watch = ClockWatch()
    frames = [*sorted(order), *sorted(order)]
    assert [i for i, t in enumerate(frames) if watch.restarts(t, None)] == [40]


def test_the_index_and_the_writer_tell_restarts_alike():
    """The index's array-speed ``restart_points`` finds exactly the restarts ``ClockWatch``
    (the writer's, frame by frame) does, on random joins of reordered runs, with and
    without decoding times."""
    from summarize.decoding.clock import NO_DTS, ClockWatch, restart_points

    rng = np.random.default_rng(0)
    found = 0
    for _ in range(300):
        pts, dts = [], []
        for _ in range(rng.integers(1, 4)):
            run = np.arange(int(rng.integers(1, 80))) + int(rng.integers(0, 50))
            for j in range(0, len(run) - 2, 3):  # anchors decoded before the two pictures shown before them
                if rng.random() < 0.5:
                    run[j : j + 3] = run[j : j + 3][[2, 0, 1]]
            decoding = np.sort(run) - 1 if rng.random() < 0.7 else np.full(len(run), NO_DTS)
            if rng.random() < 0.2:
                decoding[rng.integers(0, len(run))] = NO_DTS
            pts.append(run)
            dts.append(decoding)
        pts, dts = np.concatenate(pts), np.concatenate(dts)
        watch = ClockWatch()
        expected = [i for i, (p, d) in enumerate(zip(pts.tolist(), dts.tolist()))
                    if watch.restarts(p, None if d == NO_DTS else d)]
        assert restart_points(pts, dts) == expected
        found += len(expected)
    assert found > 100  # joins were there to be found


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".ts"])
def test_sixty_then_one_fps_with_b_frames_keeps_its_clock(tmp_path, suffix):
    from summarize.outputs.video import _with_epochs

    case = media.vfr_60_then_1(tmp_path, suffix)
    with open_video(case.path, backend="pyav") as decoded:  # was 75-78 s, frames moved by up to 18 s
        assert decoded.frame_times == pytest.approx(case.frame_times, abs=1e-3)
        # (MPEG-TS states no frame durations: there the last frame lasts one frame of the average rate)
        assert decoded.info.duration == pytest.approx(60.0, abs=1.0 if suffix == ".ts" else 1e-3)
    # The writer counts the clock's runs the way the index does: one.
    with av.open(str(case.path)) as container:
        epochs = {epoch for epoch, _ in _with_epochs(container.decode(video=0))}
    assert epochs == {0}


@pytest.mark.slow
def test_a_tenth_fps_timelapse_keeps_its_sixty_seconds(tmp_path, summarizer):
    case = media.tenth_fps(tmp_path)
    doc = summarizer.summarize(case.path, tmp_path / "out").document  # was 70 s
    assert doc["input"]["duration"] == pytest.approx(60.0, abs=1e-3)
    assert all(s["start"] % 10.0 == pytest.approx(0.0, abs=1e-3) for s in doc["shots"])  # on the frames


# 2. Playable files are not refused as truncated; truncated ones still are ------------------

@pytest.mark.slow
@pytest.mark.parametrize("make", [
    lambda folder: media.start_offset(folder, ".mkv"),
    lambda folder: media.start_offset(folder, ".mkv", hours=24.0),
    media.last_duration_lost_mkv,
    media.edit_list_mp4,
], ids=["mkv-10h", "mkv-24h", "mkv-last-duration-lost", "mp4-edit-list"])
def test_complete_files_that_declare_their_duration_another_way_are_accepted(tmp_path, make):
    case = make(tmp_path)
    oracle = media.packets(case.path)
    with open_video(case.path) as decoded:  # was "truncated: it declares 36009 s", "ends early", ...
        assert decoded.info.n_frames == len(oracle.starts)
        assert decoded.frame_times == pytest.approx(oracle.starts - oracle.starts[0], abs=1e-3)
        assert decoded.info.start_time == pytest.approx(oracle.starts[0], abs=1e-3)


@pytest.mark.slow
def test_the_edit_lists_first_picture_is_decoded_but_never_counted(tmp_path, summarizer):
    case = media.edit_list_mp4(tmp_path)
    result = summarizer.summarize(case.path, tmp_path / "out", write_video=True)
    doc = result.document
    assert doc["input"]["n_frames"] == 12 and doc["input"]["duration"] == pytest.approx(12.0, abs=1e-3)
    assert check_summary_video(result.video_path, result.analysis.expected_shots()) is None


@pytest.mark.slow
@pytest.mark.parametrize("make", [
    lambda folder: media.start_offset(folder, ".mkv"),
    media.last_duration_lost_mkv,
], ids=["mkv-10h", "mkv-last-duration-lost"])
def test_the_same_files_cut_short_are_still_refused(tmp_path, make):
    case = make(tmp_path)
    cut = damaged.truncated(case.path, tmp_path / f"cut{case.path.suffix}", 0.6)
    with pytest.raises(InputError, match=r"is truncated: it declares (9\.0|60\.0) s but its video data ends"):
        open_video(cut)


# 6. Failures blamed on the input, in its terms ----------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("options", [None, {"movflags": "frag_keyframe+empty_moov"}], ids=["mkv", "fragmented-mp4"])
def test_an_empty_audio_track_gives_a_silent_summary_that_says_so(tmp_path, summarizer, options):
    suffix = ".mkv" if options is None else ".mp4"
    case = media.audio_case(tmp_path, "empty", suffix, options=options)
    result = summarizer.summarize(case.path, tmp_path / "out")  # was "cannot write ...partial... (Operation not permitted)"
    info = result.document["input"]
    assert info["has_audio"] is False
    assert info["audio_note"] == "its audio track is empty (no sound data): the summary is silent"
    assert media.packets(result.video_path).audio_streams == 0


@pytest.mark.slow
def test_repeated_source_timestamps_never_make_the_writer_fail(tmp_path):
    path = media.stamped_twice(tmp_path).path
    with open_video(path) as decoded:
        times, count = decoded.frame_times, decoded.info.n_frames
    assert len(np.unique(times)) < count  # the file does repeat times
    for kwargs in ({}, {"exact_frames": [(0, count)], "frame_times": times}):  # seeking, then sequential
        out = tmp_path / f"out{len(kwargs)}.mp4"
        write_summary_video(path, [(0.0, 8.0)], out, **kwargs)  # was "cannot re-read ... (Invalid argument)"
        assert len(media.packets(out).starts) == count


@pytest.mark.slow
def test_repeated_source_timestamps_summarize_end_to_end(tmp_path):
    path = media.stamped_twice(tmp_path).path
    run = subprocess.run([sys.executable, "-m", "summarize", str(path), "-o", str(tmp_path / "out"), "--no-cache",
                          "--device", "cpu", "--budget", "1", "--cut", "reencode"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)
    assert run.returncode == 0, run.stderr


def test_a_written_file_without_video_reads_back_as_no_frames(tmp_path):
    path = tmp_path / "sound-only.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=44100, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 44100, 0
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    problem = check_summary_video(path, [ExpectedShot(frames=25, duration=1.0)])
    assert problem == "it holds 0 frames, the selection 25"  # was "cannot be read back (tuple index out of range)"


@pytest.mark.slow
def test_a_stream_that_cannot_be_sought_is_read_from_its_start(tmp_path):
    from summarize.outputs.video import Cutter

    video = write_video(tmp_path / "v.mkv", [(0, 2.0), (1, 2.0)], width=96, height=64, audio=False)
    cutter = Cutter(video.path, "video")

    class Unseekable:  # FFmpeg's answer for a track it has no index for
        def __init__(self, real):
            self.real = real

        def seek(self, *args, **kwargs):
            raise av.error.PermissionError(1, "Operation not permitted")

        def close(self):
            self.real.close()

    cutter.container = Unseekable(cutter.container)
    times = [float(f.pts * cutter.stream.time_base) for f in cutter.frames_between(2.5, 3.0)]
    cutter.close()
    assert times == pytest.approx([2.52, 2.56, 2.6, 2.64, 2.68, 2.72, 2.76, 2.8, 2.84, 2.88, 2.92, 2.96], abs=1e-3)


@pytest.mark.slow
def test_a_dolby_vision_mov_is_summarized(tmp_path, summarizer):
    path = media.dolby_vision_mov(tmp_path).path
    result = summarizer.summarize(path, tmp_path / "out")
    assert result.document["input"]["rotation"] == 90 and result.document["input"]["n_frames"] == 90
    assert check_summary_video(result.video_path, result.analysis.expected_shots()) is None
