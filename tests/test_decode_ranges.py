"""Range-parallel decoding (summarize/decoding/ranges.py): keyframe ranges decoded side by
side give exactly the samples of sequential decoding, in order."""

import av
import numpy as np
import pytest

from summarize.decoding import open_video, plan_samples, ranges
from summarize.decoding.ranges import (FrameRange, RangeDecoder, cpu_helpers, decode_layout, decode_workers, share_ranges,
                                       split_ranges)
from summarize.errors import UsageError
from summarize.decoding.scaler import to_rgb  # the conversion every decoder shares
from tests.synthetic import write_video


def _samples(path, workers, fps=2.0, short_side=96):
    with open_video(path, short_side=short_side, backend="pyav", workers=workers) as video:
        plan = plan_samples(video.frame_times, video.info.duration, fps)
        frames = np.concatenate([b.frames for b in video.iter_batches(plan, 5)])
        used = getattr(video, "ranges_decoded", 0)
        return plan, frames, used, video


@pytest.mark.parametrize(("vfr", "suffix"), [(False, ".mp4"), (True, ".mp4"), (False, ".ts")],
                         ids=["cfr-bframes", "vfr", "mpegts"])
def test_ranges_give_the_samples_of_sequential_decoding(tmp_path, monkeypatch, vfr, suffix):
    # Short ranges so a few seconds of video make many; keyframes every 20 frames, x264
    # veryfast (B-frames, some never referenced, so skip_frame is at work in every range).
    # MPEG-TS seeks by bytes and may land after a range's keyframe or nowhere: it is decoded
    # in one pass (a range whose seek misses elsewhere: the next test).
    monkeypatch.setattr(ranges, "MIN_RANGE_FRAMES", 20)
    path = tmp_path / f"gops{suffix}"
    write_video(path, [(0, 3.0), (1, 3.0), (4, 3.0), (5, 3.0)], fps=25, preset="veryfast", audio=False,
                grain=3.0, gop=20, variable_frame_rate=vfr)
    plan, sequential, _, video = _samples(path, workers=1)
    assert not isinstance(video, RangeDecoder)
    plan_r, parallel, used, video = _samples(path, workers=3)
    assert isinstance(video, RangeDecoder)
    assert used >= 4 if suffix != ".ts" else used == 0  # really split, but for MPEG-TS
    assert np.array_equal(plan.frame_indices, plan_r.frame_indices)
    assert parallel.dtype == sequential.dtype and np.array_equal(parallel, sequential)  # bit for bit
    # and both are the frames a full decode shows at those instants
    with av.open(str(path)) as container:
        every = sorted(container.decode(container.streams.video[0]), key=lambda f: f.pts)
        size = (parallel.shape[2], parallel.shape[1])
        reference = np.stack([to_rgb(every[i], size)
                              for i in plan.frame_indices])
    assert np.array_equal(parallel, reference)


def test_a_seek_that_lands_after_the_keyframe_decodes_the_range_from_the_start(tmp_path, monkeypatch):
    # A container whose seek lands a keyframe late: the range's first samples must not take
    # the later frames that come out first (a wrong sample with nothing to show for it).
    monkeypatch.setattr(ranges, "MIN_RANGE_FRAMES", 20)
    path = tmp_path / "gops.mp4"
    write_video(path, [(0, 3.0), (1, 3.0), (4, 3.0)], fps=25, preset="veryfast", audio=False, gop=20)
    plan, sequential, _, _ = _samples(path, workers=1)

    class LateSeeks:
        def __init__(self, container, stream):
            self.container, self.later = container, round(1.2 / float(stream.time_base))  # 30 frames on

        def seek(self, target, **kwargs):
            return self.container.seek(target + self.later if target else 0, **kwargs)

        def __getattr__(self, name):
            return getattr(self.container, name)

    real = RangeDecoder._thread_stream

    def late(self, kind="base"):
        container, stream = real(self, kind)
        return LateSeeks(container, stream), stream

    monkeypatch.setattr(RangeDecoder, "_thread_stream", late)
    _, parallel, used, _ = _samples(path, workers=3)
    assert used >= 3 and np.array_equal(parallel, sequential)


def test_ranges_feed_the_same_features(tmp_path, monkeypatch):
    """End to end through feature extraction: the backbone gets the same inputs."""
    from summarize.backbones import load_backbone
    from summarize.features import extract_features

    monkeypatch.setattr(ranges, "MIN_RANGE_FRAMES", 20)
    path = tmp_path / "gops.mp4"
    write_video(path, [(0, 4.0), (3, 4.0)], fps=25, preset="veryfast", audio=False, grain=3.0, gop=25)
    net = load_backbone(device="cpu")
    feats = {}
    for workers in ("1", "3"):
        monkeypatch.setenv(ranges.WORKERS_ENV, workers)
        feats[workers] = extract_features(path, net, fps=4.0, decoder="pyav").features
    assert np.array_equal(feats["1"], feats["3"])


def test_cpu_decoders_beside_the_base_ones_give_the_same_samples(tmp_path, monkeypatch):
    """Two kinds of range decoders (for NVDEC: sessions and CPU decoders on the spare cores)
    share one video's ranges; the samples are those of sequential decoding, in order."""
    monkeypatch.setattr(ranges, "MIN_RANGE_FRAMES", 20)
    path = tmp_path / "gops.mp4"
    write_video(path, [(0, 3.0), (1, 3.0), (4, 3.0), (5, 3.0)], fps=25, preset="veryfast", audio=False,
                grain=3.0, gop=20)
    plan, sequential, _, _ = _samples(path, workers=1)
    with open_video(path, short_side=96, backend="pyav", workers=1) as base:
        mixed = RangeDecoder(base, 2, 1, cpu_workers=1)
        frames = np.concatenate([b.frames for b in mixed.iter_batches(plan, 5)])
        assert mixed.ranges_decoded >= 4 and mixed.ranges_by_kind["base"] > mixed.ranges_by_kind["cpu"] >= 1
        names = {c.streams.video[0].codec_context.name for c in mixed._opened}
        assert len(mixed._opened) >= 2 and names == {"h264"}
    assert np.array_equal(frames, sequential)


def test_ranges_are_shared_by_the_plan_in_proportion_to_speed():
    even = [FrameRange(i * 100, (i + 1) * 100, (i, i + 1)) for i in range(9)]
    # two sessions at speed 2 against one CPU decoder at speed 1: four frames in five to the
    # sessions (the CPU decoder's first range counts 100 frames per unit, the sessions' 25)
    assert share_ranges(even, {"base": 2, "cpu": 1}) == ["base", "cpu", "base", "base", "base", "base", "cpu",
                                                         "base", "base"]
    assert share_ranges(even, {"base": 3, "cpu": 0}) == ["base"] * 9
    # a long range counts its frames: the next ones go to the other kind until it catches up
    uneven = [FrameRange(0, 1000, (0, 1)), *[FrameRange(1000 + i * 100, 1100 + i * 100, (i, i + 1))
                                             for i in range(4)]]
    assert share_ranges(uneven, {"base": 1, "cpu": 1}) == ["base", "cpu", "cpu", "cpu", "cpu"]


def test_cpu_helpers_use_the_cores_nvdec_leaves(monkeypatch):
    monkeypatch.setattr(ranges, "available_cores", lambda: 16)
    assert cpu_helpers(7) == 3 and cpu_helpers(8) == 3 and cpu_helpers(8, threads=8) == 0
    monkeypatch.setattr(ranges, "available_cores", lambda: 2)
    assert cpu_helpers(1) == 0


def test_split_ranges_cover_every_sample_in_order():
    wanted = np.array([0, 0, 5, 12, 30, 31, 64, 99])
    got = split_ranges(np.array([10, 20, 30, 40, 60, 80]), 100, wanted, target=25)
    assert [(r.first, r.stop) for r in got] == [(0, 30), (30, 60), (60, 100)]
    assert [r.samples for r in got] == [(0, 4), (4, 6), (6, 8)]
    # a range without a sample is not decoded at all
    assert [(r.first, r.stop) for r in split_ranges(np.array([10, 20]), 30, np.array([1, 25]), 10)] \
        == [(0, 10), (20, 30)]


def test_worker_count(monkeypatch):
    monkeypatch.delenv(ranges.WORKERS_ENV, raising=False)
    monkeypatch.setattr(ranges, "available_cores", lambda: 1)
    assert decode_workers() == 1 and decode_layout() == (1, 0)  # one core: one decoder, FFmpeg's threads
    monkeypatch.setattr(ranges, "available_cores", lambda: 2)
    assert decode_workers() == 2  # two cores: two single-threaded ranges keep both busy
    assert decode_layout() == (2, 1) and decode_layout(threads=1) == (1, 1)
    monkeypatch.setattr(ranges, "available_cores", lambda: 16)
    assert decode_workers() == 8 and decode_layout() == (8, 2) and decode_layout(threads=6) == (3, 2)
    assert decode_workers(threads=1) == 1  # batch workers decode one video per core
    assert decode_workers(threads=4) == 2
    assert decode_workers(requested=3) == 3
    monkeypatch.setenv(ranges.WORKERS_ENV, "5")
    assert decode_workers() == 5
    monkeypatch.setenv(ranges.WORKERS_ENV, "many")
    with pytest.raises(UsageError, match=ranges.WORKERS_ENV):
        decode_workers()


@pytest.mark.gpu
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA GPU")
def test_several_nvdec_sessions_sample_like_one(tmp_path, monkeypatch):
    """Every range decoder of an NVDEC video is its own NVDEC session (``NvdecDecoder._open``)."""
    from summarize.decoding.nvdec_backend import NvdecDecoder, nvdec_available

    assert nvdec_available()
    monkeypatch.setattr(ranges, "MIN_RANGE_FRAMES", 20)
    path = tmp_path / "gops.mp4"
    write_video(path, [(0, 3.0), (1, 3.0), (4, 3.0)], fps=25, preset="veryfast", audio=False, grain=3.0, gop=20)
    frames = {}
    for workers in (1, 4):
        with open_video(path, short_side=96, backend="nvdec", workers=workers) as video:
            assert video.info.backend == "nvdec" and video.info.decoder_note is None
            assert isinstance(getattr(video, "base", video), NvdecDecoder)
            plan = plan_samples(video.frame_times, video.info.duration, 2.0)
            frames[workers] = np.concatenate([b.frames for b in video.iter_batches(plan, 5)])
            if workers > 1:
                assert video.ranges_decoded >= 3 and any(
                    c.streams.video[0].codec_context.is_hwaccel for c in video._opened)
    assert np.array_equal(frames[1], frames[4])
    with open_video(path, short_side=96, backend="nvdec", workers=1) as base:  # sessions only, no CPU decoder
        sessions = RangeDecoder(base, 3, 1)
        plan = plan_samples(sessions.frame_times, sessions.info.duration, 2.0)
        only = np.concatenate([b.frames for b in sessions.iter_batches(plan, 5)])
        assert sessions._opened and all(c.streams.video[0].codec_context.is_hwaccel for c in sessions._opened)
    assert np.abs(only.astype(np.int16) - frames[4]).mean() < 2.0
    _, cpu, _, _ = _samples(path, workers=1)
    assert np.abs(frames[4].astype(np.int16) - cpu).mean() < 2.0  # per pixel, 0-255
