"""The summary MP4 writer on sources the pipeline tests do not cover."""

from fractions import Fraction

import av
import pytest

from summarize.errors import InputError, OutputError
from summarize.outputs import write_summary_video
from tests.synthetic import write_video


def test_pcm_audio_without_a_channel_mask_becomes_aac(tmp_path):
    # Motion JPEG + 16-bit PCM in AVI: FFmpeg names the mono layout "1 channels", which
    # the AAC encoder refuses; the writer must pick its layout by channel count.
    source = write_video(tmp_path / "camera.avi", [(0, 2.0), (1, 2.0)], fps=25, codec="mjpeg",
                         pix_fmt="yuvj420p", time_base=Fraction(1, 25), audio_codec="pcm_s16le",
                         container_format="avi")
    with av.open(str(source.path)) as container:
        assert container.streams.audio[0].codec_context.layout.name == "1 channels"
    out = tmp_path / "summary.mp4"
    stats = write_summary_video(source.path, [(1.0, 2.0), (3.0, 3.5)], out)
    assert stats.frames == 25 + 13 and stats.duration == pytest.approx(1.5)
    with av.open(str(out)) as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac" and audio.codec_context.layout.nb_channels == 1
        samples = sum(frame.samples for frame in container.decode(audio))
        assert samples / audio.codec_context.sample_rate == pytest.approx(1.5, abs=0.05)
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 38


def test_a_source_gone_or_an_unwritable_destination_is_one_line(tmp_path, four_scene_video):
    with pytest.raises(InputError, match=r"cannot re-read .*gone\.mp4 to write its summary \(No such file"):
        write_summary_video(tmp_path / "gone.mp4", [(0.0, 1.0)], tmp_path / "out.mp4")
    with pytest.raises(OutputError, match=r"cannot write .*missing-folder/out\.mp4 \(no such folder\)"):
        write_summary_video(four_scene_video.path, [(0.0, 1.0)], tmp_path / "missing-folder" / "out.mp4")


def test_one_thread_writes_the_same_summary(four_scene_video, tmp_path):
    segments = [(1.0, 3.0), (13.0, 14.0)]
    default = write_summary_video(four_scene_video.path, segments, tmp_path / "default.mp4")
    single = write_summary_video(four_scene_video.path, segments, tmp_path / "single.mp4", threads=1)
    assert single == default and single.frames == 75
