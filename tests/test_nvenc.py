"""Encoding the summary on NVENC (``--device cuda``): h264_nvenc where it opens, libx264 with a
note where it does not (no GPU, or a GPU without NVENC such as the H100); the pieces of a
smart cut stay on x264 and the JSON says so. The real encoder is tested where it opens
(marked ``gpu``; it skips elsewhere)."""

import av
import numpy as np
import pytest
import torch

from summarize.outputs import nvenc
from summarize.outputs.smartcut import write_cut_video
from summarize.outputs.video import write_summary_video
from tests.synthetic import write_video

SEGMENTS = [(0.4, 1.6), (2.4, 3.2)]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("nvenc") / "clip.mp4"
    write_video(path, [(0, 2.0), (1, 2.0)], fps=25, preset="veryfast", gop=25, audio=True)
    return path


@pytest.fixture
def no_nvenc(monkeypatch):
    def refuse(width, height):
        raise ValueError("simulated: no NVENC on this GPU")

    monkeypatch.setattr(nvenc, "_open", refuse)
    monkeypatch.setattr(nvenc, "_probed", {})


def _times(path):
    with av.open(str(path)) as container:
        return [round(float(f.time), 4) for f in container.decode(container.streams.video[0])]


def test_a_reencode_falls_back_to_x264_with_a_note_when_nvenc_does_not_open(clip, tmp_path, no_nvenc):
    stats = write_cut_video(clip, SEGMENTS, tmp_path / "out.mp4", cut="reencode", nvenc=True)
    assert stats.encoder == "libx264" and "h264_nvenc could not be opened (simulated" in stats.encoder_note
    assert stats.describe()["encoder"] == "libx264" and stats.describe()["encoder_note"] == stats.encoder_note
    plain = write_summary_video(clip, SEGMENTS, tmp_path / "plain.mp4")
    assert plain.encoder == "libx264" and plain.encoder_note is None and "encoder_note" not in plain.describe()
    assert _times(tmp_path / "out.mp4") == _times(tmp_path / "plain.mp4") and len(_times(tmp_path / "out.mp4")) == 50


def test_the_exact_path_falls_back_too(clip, tmp_path, no_nvenc):
    stats = write_summary_video(clip, SEGMENTS, tmp_path / "out.mp4", exact_frames=[(10, 40), (60, 80)],
                                frame_times=np.arange(100) / 25, nvenc=True)
    assert stats.encoder == "libx264" and "simulated" in stats.encoder_note and stats.frames == 50


def test_a_smart_cut_encodes_its_pieces_with_x264_and_says_why(clip, tmp_path):
    stats = write_cut_video(clip, SEGMENTS, tmp_path / "out.mp4", cut="exact", nvenc=True)
    assert stats.cut == "exact" and stats.reencoded_frames > 0 and stats.encoder == "libx264"
    assert "parameter sets" in stats.encoder_note and stats.describe()["encoder_note"] == stats.encoder_note
    copied_only = write_cut_video(clip, SEGMENTS, tmp_path / "key.mp4", cut="keyframe", nvenc=True)
    assert copied_only.encoder_note is None and copied_only.describe()["encoder"] == "copy"


def test_nvenc_options_follow_the_x264_quality_and_speed():
    assert nvenc.nvenc_options("superfast", 23) == {"preset": "p2", "tune": "hq", "rc": "vbr", "cq": "23", "b": "0"}
    assert nvenc.nvenc_options("veryslow", 18)["preset"] == "p7"
    assert nvenc.choose_encoder(320, 240, nvenc=False) == ("libx264", None)


@pytest.mark.gpu
def test_nvenc_encodes_the_summary_where_it_opens(clip, tmp_path):
    problem = nvenc.nvenc_problem(320, 240)
    if problem is not None:
        pytest.skip(f"h264_nvenc does not open here ({problem})")
    stats = write_cut_video(clip, SEGMENTS, tmp_path / "out.mp4", cut="reencode", nvenc=True)
    assert stats.encoder == "h264_nvenc" and stats.encoder_note is None
    write_summary_video(clip, SEGMENTS, tmp_path / "x264.mp4")
    assert _times(tmp_path / "out.mp4") == _times(tmp_path / "x264.mp4")  # the same frames at the same times
    with av.open(str(tmp_path / "out.mp4")) as out, av.open(str(tmp_path / "x264.mp4")) as ref:
        diffs = [np.abs(a.to_ndarray(format="gray").astype(int) - b.to_ndarray(format="gray").astype(int)).mean()
                 for a, b in zip(out.decode(video=0), ref.decode(video=0))]
    assert max(diffs) < 4


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_cuda_run_says_which_encoder_wrote_its_summary(clip, tmp_path):
    from summarize import Summarizer

    result = Summarizer(cache=False, device="cuda", budget=0.3, video_cut="reencode").summarize(clip, tmp_path)
    encoding = result.document["outputs"]["video_encoding"]
    if nvenc.nvenc_problem(320, 240) is None:
        assert encoding["encoder"] == "h264_nvenc" and "encoder_note" not in encoding
    else:  # a GPU without NVENC (H100, A100): x264, and why
        assert encoding["encoder"] == "libx264" and "h264_nvenc could not be opened" in encoding["encoder_note"]
