"""Which frame stands for each sampled instant (decoding/base.py), by hand: samples at k / fps
inside [0, duration), each the frame on screen then, float32 timestamps tolerated (fast)."""

import numpy as np
import pytest

from summarize.decoding.base import Decoder, SamplingPlan, plan_samples


def test_samples_are_at_k_over_fps_strictly_inside_the_video():
    plan = plan_samples(np.arange(50) / 25, duration=2.0, fps=2.0)
    assert plan.times.tolist() == [0.0, 0.5, 1.0, 1.5] and len(plan) == 4
    assert plan.frame_indices.tolist() == [0, 12, 25, 37]
    assert plan.frame_indices.dtype == np.int64 and plan.times.dtype == np.float64
    assert plan.fps == 2.0 and type(plan.fps) is float
    # a video a hair longer than 2 s has a sample at 2 s; one a hair shorter has none there
    assert len(plan_samples(np.arange(51) / 25, duration=2.0001, fps=2.0)) == 5
    assert len(plan_samples(np.arange(50) / 25, duration=1.9999, fps=2.0)) == 4


@pytest.mark.parametrize("fps, expected", [(1.0, [0.0, 1.0, 2.0]), (0.5, [0.0, 2.0])])
def test_one_sample_per_second_or_fewer_is_allowed(fps, expected):
    plan = plan_samples(np.arange(75) / 25, duration=3.0, fps=fps)
    assert plan.times.tolist() == expected
    assert plan.frame_indices.tolist() == [int(t * 25) for t in expected]


@pytest.mark.parametrize("fps", [0.0, -2.0])
def test_a_rate_that_is_not_positive_is_refused(fps):
    with pytest.raises(ValueError, match="^fps must be positive$"):
        plan_samples(np.arange(10) / 25, duration=1.0, fps=fps)


@pytest.mark.parametrize("duration", [0.0, -1.0])
def test_an_empty_video_has_no_samples(duration):
    plan = plan_samples(np.zeros(0), duration=duration, fps=2.0)
    assert len(plan) == 0 and plan.frame_indices.tolist() == []


def test_each_sample_takes_the_frame_on_screen_on_a_variable_frame_rate():
    frames = np.array([0.0, 0.1, 0.9, 1.0, 1.7])  # a frame starting exactly at a sample time is on screen then
    plan = plan_samples(frames, duration=2.0, fps=2.0)
    assert plan.frame_indices.tolist() == [0, 1, 3, 3]


def test_timestamps_stored_as_float32_still_pick_the_frame_starting_at_the_sample():
    frames = np.array([0.0, 0.5, 1.0], dtype=np.float32) + np.array([0, -3e-7, 0], dtype=np.float32)
    assert plan_samples(frames, duration=1.5, fps=2.0).frame_indices.tolist() == [0, 1, 2]
    late = np.array([0.0, 0.5 + 2e-6, 1.0])  # two microseconds late is a later frame
    assert plan_samples(late, duration=1.5, fps=2.0).frame_indices.tolist() == [0, 0, 2]
    edge = np.array([0.0, 0.5 + 1e-6, 1.0])  # the tolerance itself is included
    assert plan_samples(edge, duration=1.5, fps=2.0).frame_indices.tolist() == [0, 1, 2]


def test_samples_before_the_first_frame_or_without_frames_take_frame_zero():
    assert plan_samples(np.array([0.3, 0.6]), duration=1.0, fps=4.0).frame_indices.tolist() == [0, 0, 0, 1]
    assert plan_samples(np.zeros(0), duration=1.0, fps=2.0).frame_indices.tolist() == [0, 0]


def test_a_decoder_used_as_a_context_manager_is_closed():
    closed = []

    class Fake(Decoder):
        name = "fake"

        def __init__(self, path, size, threads=0):
            pass

        def iter_batches(self, plan, batch_size):
            return iter(())

        def close(self):
            closed.append(True)

    with Fake("x", None) as decoder:
        assert isinstance(decoder, Fake) and closed == []
    assert closed == [True]
    assert len(SamplingPlan(fps=1.0, times=np.zeros(3), frame_indices=np.zeros(3, np.int64))) == 3
