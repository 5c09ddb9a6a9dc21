"""Decoding: sampling by time, both backends, rotation and damaged files."""

import numpy as np
import pytest

from summarize.decoding import open_video, plan_samples, scaled_size
from summarize.errors import InputError, UsageError
from tests.synthetic import scene_frames, write_video


def test_plan_samples_picks_the_frame_on_screen():
    # Frames start at 0, 0.1, 0.5, 0.6 s (a variable frame rate) and the video ends at 1.0 s.
    plan = plan_samples(np.array([0.0, 0.1, 0.5, 0.6]), duration=1.0, fps=4)
    assert plan.times.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert plan.frame_indices.tolist() == [0, 1, 2, 3]
    plan = plan_samples(np.array([0.0, 0.1, 0.5, 0.6]), duration=1.0, fps=10)
    assert plan.frame_indices.tolist() == [0, 1, 1, 1, 1, 2, 3, 3, 3, 3]


def test_plan_samples_stays_inside_the_video():
    plan = plan_samples(np.arange(250) / 25, duration=10.0, fps=2)
    assert len(plan) == 20 and plan.times[-1] == 9.5
    assert plan.frame_indices.tolist() == [round(12.5 * k - 0.25) if k % 2 else int(12.5 * k) for k in range(20)]


def test_scaled_size_keeps_aspect_and_caps_extreme_strips():
    assert scaled_size(1280, 720, 256) == (455, 256)
    assert scaled_size(720, 1280, 256) == (256, 455)
    assert scaled_size(4000, 16, 256) == (1024, 256)


def test_backends_sample_the_same_frames(bikes):
    decoded = {}
    for backend in ("decord", "pyav"):
        with open_video(bikes, short_side=256, backend=backend) as video:
            assert video.info.backend == backend
            assert video.info.n_frames == 250 and video.info.duration == pytest.approx(10.0)
            assert (video.info.width, video.info.height) == (640, 272)
            plan = plan_samples(video.frame_times, video.info.duration, 2.0)
            decoded[backend] = np.concatenate([b.frames for b in video.iter_batches(plan, 7)])
    assert decoded["decord"].shape == decoded["pyav"].shape == (20, 256, 602, 3)
    # The same frames, scaled by the same arithmetic (summarize/decoding/scaler.py): bit for bit.
    assert np.array_equal(decoded["decord"], decoded["pyav"])
    shifted = np.abs(decoded["decord"][1:].astype(int) - decoded["pyav"][:-1].astype(int)).mean(axis=(1, 2, 3))
    assert shifted.min() > 1.0  # a one-frame shift would show


@pytest.mark.parametrize("geometry", [(322, 182, False), (640, 360, True), (176, 144, False)],
                         ids=["odd-scaled-width", "vfr", "small"])
def test_pyav_and_range_decoding_give_decords_pixels(tmp_path, monkeypatch, geometry):
    """Features (and so summaries) must not depend on the decoder: the CPU default, PyAV,
    converts as decord does, including the ranges decoded side by side."""
    from summarize.decoding import ranges

    width, height, vfr = geometry
    path = write_video(tmp_path / "v.mp4", [(0, 2.0), (3, 2.0), (5, 2.0)], width=width, height=height, fps=25,
                       preset="veryfast", grain=4.0, gop=15, audio=False, variable_frame_rate=vfr).path
    monkeypatch.setattr(ranges, "MIN_RANGE_FRAMES", 15)
    decoded = {}
    for backend, workers in (("decord", None), ("pyav", 1), ("pyav", 3)):
        with open_video(path, short_side=224, backend=backend, workers=workers) as video:
            plan = plan_samples(video.frame_times, video.info.duration, 4.0)
            decoded[backend, workers] = np.concatenate([b.frames for b in video.iter_batches(plan, 5)])
            if workers == 3:
                assert video.ranges_decoded >= 3
    reference = decoded["decord", None]
    assert reference.shape[1] == 224 or reference.shape[2] == 224
    for key, frames in decoded.items():
        assert np.array_equal(frames, reference), key


def test_variable_frame_rate_is_sampled_by_time(tmp_path):
    video = write_video(tmp_path / "vfr.mp4", [(0, 2.0), (1, 2.0)], fps=20, audio=False,
                        variable_frame_rate=True)
    with open_video(video.path, backend="decord") as decoded:
        assert decoded.frame_times == pytest.approx(video.frame_times, abs=1e-3)
        plan = plan_samples(decoded.frame_times, decoded.info.duration, 4.0)
    starts = video.frame_times
    for t, f in zip(plan.times, plan.frame_indices):
        assert starts[f] <= t + 1e-6 and (f + 1 == len(starts) or starts[f + 1] > t)


@pytest.mark.parametrize("backend", ["auto", "pyav"])
def test_rotated_video_is_decoded_upright(tmp_path, backend):
    video = write_video(tmp_path / "phone.mp4", [(4, 1.0)], width=160, height=96, fps=10, audio=False,
                        rotation=90)
    first = next(scene_frames(4, 1, 160, 96))
    with open_video(video.path, backend=backend) as decoded:
        assert (decoded.info.width, decoded.info.height, decoded.info.rotation) == (96, 160, 90)
        plan = plan_samples(decoded.frame_times, decoded.info.duration, 10)
        frame = next(decoded.iter_batches(plan, 1)).frames[0]
    assert frame.shape == (160, 96, 3)
    clockwise = np.rot90(first, k=-1).astype(int)
    assert np.abs(frame.astype(int) - clockwise).mean() < 10
    assert np.abs(frame.astype(int) - np.rot90(first, k=1)).mean() > 40


def test_missing_path_and_directory_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        open_video(tmp_path / "nope.mp4")
    with pytest.raises(UsageError, match="is a directory"):
        open_video(tmp_path)


def test_truncated_files_are_refused(tmp_path, four_scene_video):
    data = four_scene_video.path.read_bytes()
    tail_index = tmp_path / "cut.mp4"  # index at the end, lost
    tail_index.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or damaged"):
        open_video(tail_index)
    front = write_video(tmp_path / "front.mp4", [(0, 2.0)], audio=False, container_format="mp4")
    import av

    faststart = tmp_path / "faststart.mp4"
    with av.open(str(front.path)) as src, av.open(str(faststart), "w", options={"movflags": "+faststart"}) as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    cut = tmp_path / "front_cut.mp4"
    cut.write_bytes(faststart.read_bytes()[: int(faststart.stat().st_size * 0.6)])
    with pytest.raises(InputError, match="truncated"):
        open_video(cut)


def test_avi_files_are_timed_by_their_packets(tmp_path):
    from fractions import Fraction

    # x264 in AVI with a clock finer than the frame rate: the muxer keeps a 1/600 s clock
    # with one packet every 24 ticks; decord 0.6 reports no timestamps at all for it.
    fine = write_video(tmp_path / "fine.avi", [(0, 2.0), (1, 2.0)], fps=25, container_format="avi")
    with pytest.raises(InputError, match="no usable frame times"):
        open_video(fine.path, backend="decord")
    with open_video(fine.path, short_side=64) as decoded:
        assert decoded.info.backend == "pyav" and decoded.info.n_frames == fine.n_frames == 100
        # (the muxer stamps the encoder's last, flushed frame one tick after the one before)
        assert decoded.frame_times[:-1] == pytest.approx(fine.frame_times[:-1], abs=2e-3)
    # A classic AVI (MPEG-4 part 2 and MP3, one tick a frame) opens with either backend.
    classic = write_video(tmp_path / "classic.avi", [(0, 2.0), (1, 2.0)], fps=25, codec="mpeg4",
                          time_base=Fraction(1, 25), audio_codec="libmp3lame", container_format="avi")
    for backend in ("decord", "pyav"):
        with open_video(classic.path, short_side=64, backend=backend) as decoded:
            assert decoded.info.n_frames == classic.n_frames == 100
            assert decoded.info.duration == pytest.approx(4.0, abs=0.05)


@pytest.mark.parametrize("suffix", [".avi", ".mkv"])
@pytest.mark.parametrize("backend", ["auto", "pyav"])
def test_files_cut_short_after_their_header_are_refused(tmp_path, suffix, backend):
    from fractions import Fraction

    extra = {"codec": "mpeg4", "time_base": Fraction(1, 25), "container_format": "avi"} if suffix == ".avi" else {}
    whole = write_video(tmp_path / f"whole{suffix}", [(0, 4.0), (1, 4.0)], fps=25, **extra)
    with open_video(whole.path, backend=backend) as decoded:  # the complete file is fine
        assert decoded.info.duration == pytest.approx(8.0, abs=0.05)
    cut = tmp_path / f"cut{suffix}"
    data = whole.path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"is truncated: it declares 8\.0 s but its video data ends after [34]\.\d s"):
        open_video(cut, backend=backend)
