"""Decoding beside a GPU: NVDEC with a visible CPU fallback, the same samples either way; the
CUDA feature path (pinned buffers, overlap) on a real GPU. GPU cases are marked ``gpu`` and
skip cleanly without CUDA."""

import numpy as np
import pytest
import torch

from summarize.decoding import open_video, plan_samples
from summarize.decoding.nvdec_backend import nvdec_available
from tests.synthetic import write_video

needs_gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("gpu") / "clip.mp4"
    write_video(path, [(0, 2.0), (1, 2.0), (2, 2.0)], fps=25, width=320, height=240, audio=False)
    return path


def _samples(path, backend):
    with open_video(path, short_side=112, backend=backend) as video:
        plan = plan_samples(video.frame_times, video.info.duration, 2.0)
        frames = np.concatenate([b.frames for b in video.iter_batches(plan, 8)])
        return video.info, plan, frames


@pytest.mark.skipif(torch.cuda.is_available(), reason="the fallback is for machines without CUDA")
def test_nvdec_without_a_gpu_decodes_on_the_cpu_and_says_so(clip):
    info, plan, frames = _samples(clip, "nvdec")
    assert info.backend == "pyav" and "NVDEC not used" in info.decoder_note
    ref_info, ref_plan, ref_frames = _samples(clip, "pyav")
    assert ref_info.decoder_note is None
    assert np.array_equal(plan.frame_indices, ref_plan.frame_indices) and np.array_equal(frames, ref_frames)


@pytest.mark.gpu
@needs_gpu
def test_nvdec_samples_the_same_frames_as_the_cpu(clip):
    assert nvdec_available()
    info, plan, frames = _samples(clip, "nvdec")
    assert info.backend == "nvdec" and info.decoder_note is None
    _, ref_plan, ref_frames = _samples(clip, "pyav")
    assert np.array_equal(plan.frame_indices, ref_plan.frame_indices)
    assert np.abs(frames.astype(np.int16) - ref_frames).mean() < 2.0  # per pixel, 0-255


@pytest.mark.gpu
@needs_gpu
def test_cuda_features_match_the_cpu_and_time_the_wait_apart(clip):
    from summarize.backbones import load_backbone
    from summarize.features import extract_features

    gpu = extract_features(clip, load_backbone(device="cuda"), fps=2.0)
    cpu = extract_features(clip, load_backbone(device="cpu"), fps=2.0, decoder="pyav")
    assert {"decode", "features", "decode_wait"} <= set(gpu.timings)
    cosine = (gpu.features * cpu.features).sum(axis=1)
    assert cosine.min() >= 0.99
