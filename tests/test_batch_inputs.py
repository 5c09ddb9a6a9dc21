"""Real-world inputs through ``run_batch``: each gives a correct summary or one clear failure line."""

import contextlib
import functools
import json
import os
import subprocess
import tempfile
from fractions import Fraction

import av
import numpy as np
import pytest

from summarize import Summarizer
from summarize.batch import BatchProgress, run_batch
from summarize.errors import OutputError
from tests.synthetic import write_video

SCENES = [(0, 2.0), (1, 2.0), (2, 2.0)]  # 6 s, cuts at 2 s and 4 s
GOOD = {
    # name: write_video arguments
    "vfr.mp4": dict(variable_frame_rate=True),
    "phone.mp4": dict(rotation=90),
    "pixel.mkv": dict(width=1, height=1, pix_fmt="yuv444p"),  # x264 needs 4:4:4 for odd sizes
    "strip.mp4": dict(width=4000, height=16),
    "odd_size.mp4": dict(width=321, height=241, pix_fmt="yuv444p"),
    "silent.mp4": dict(audio=False),
    "two_tracks.mp4": dict(audio_streams=2),
    "x264.avi": dict(container_format="avi"),  # a clock finer than the frame rate
    "xvid.avi": dict(codec="mpeg4", time_base=Fraction(1, 25), audio_codec="libmp3lame", container_format="avi"),
    "camera.avi": dict(codec="mjpeg", pix_fmt="yuvj420p", time_base=Fraction(1, 25), audio_codec="pcm_s16le",
                       container_format="avi"),
    "clip.mkv": dict(),
    "clip.webm": dict(codec="libvpx-vp9"),
    "clip.MOV": dict(),
    "clip.m4v": dict(container_format="mp4"),
    "subsecond.mp4": dict(scenes=[(0, 0.4), (1, 0.4)]),  # 0.8 s: two samples at 2 fps
}
FAILED = {
    # name: the reason in the index (a regular expression)
    "empty.mp4": r"^empty file \(0 bytes\): .*empty\.mp4$",
    "truncated.mp4": r"^.*truncated\.mp4 is an MP4/MOV whose index cannot be read: the file is truncated or damaged",
    "truncated.mkv": r"^.*truncated\.mkv is truncated: it declares 6\.0 s but its video data ends after [0-9.]+ s",
    "text.mp4": r"^not a video file FFmpeg can read \(Invalid data found when processing input\): .*text\.mp4$",
    "loop.mp4": r"^cannot read .*loop\.mp4: Too many levels of symbolic links$",
    # A clip shorter than the sampling interval is sampled faster (tests/test_hardening.py); one frame is not a video.
    "short.mp4": r"^.*short\.mp4 holds a single video frame: there is nothing to summarize$",
    "vanishing.mp4": r"^.*vanishing\.mp4 disappeared while it was being summarized$",
    "locked/inside.mp4": r"^cannot write in output folder .*locked: (Operation not permitted|Permission denied)$",
}

pytestmark = pytest.mark.slow  # one batch over every kind of real-world input: end to end



NO_READ_ONLY = "running as root where chattr +i is not permitted: cannot make a read-only folder"


@functools.cache
def read_only_possible() -> bool:
    """Whether this user can make a folder nobody can write in (root needs CAP_LINUX_IMMUTABLE)."""
    if os.geteuid() != 0:
        return True
    with tempfile.TemporaryDirectory() as folder:
        if subprocess.run(["chattr", "+i", folder], capture_output=True).returncode != 0:
            return False
        subprocess.run(["chattr", "-i", folder], check=True)
        return True


@contextlib.contextmanager
def read_only(folder):
    """A folder nobody can write in: root ignores permission bits, so root makes it immutable.
    Where that is not permitted the folder stays writable (only tests marked privileged need it)."""
    folder.mkdir(parents=True, exist_ok=True)
    if not read_only_possible():
        yield folder
    elif os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
        try:
            yield folder
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)


class _Vanish(BatchProgress):
    """Deletes vanishing.mp4 once it has been decoded, before its summary is written."""

    def stage(self, worker, item, stage, fraction):
        if item.name == "vanishing.mp4" and stage == "scoring" and item.source.exists():
            item.source.unlink()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    source = root / "videos"
    source.mkdir()
    made = {}
    for name, arguments in GOOD.items():
        arguments = {"width": 320, "height": 240, "fps": 25, **arguments}
        made[name] = write_video(source / name, arguments.pop("scenes", SCENES), **arguments)
    (source / "empty.mp4").touch()
    data = made["clip.MOV"].path.read_bytes()
    (source / "truncated.mp4").write_bytes(data[: len(data) // 2])
    data = made["clip.mkv"].path.read_bytes()
    (source / "truncated.mkv").write_bytes(data[: len(data) // 2])
    (source / "text.mp4").write_text("this is not a video\n")
    os.symlink("loop.mp4", source / "loop.mp4")
    write_video(source / "short.mp4", [(0, 0.04)], fps=25)
    write_video(source / "vanishing.mp4", SCENES, fps=25)
    (source / "named_like_a_video.mp4").mkdir()  # a folder: not a video, not listed
    (source / "locked").mkdir()
    write_video(source / "locked" / "inside.mp4", SCENES, fps=25)
    out = root / "out"
    with read_only(out / "locked"):
        report = run_batch(source, out, summarizer=Summarizer(cache=False, device="cpu"), recursive=True, jobs=2,
                           progress=_Vanish())
    return report, made, out


def test_every_input_is_listed_once(batch):
    report, _, _ = batch
    assert sorted(e.input for e in report.entries) == sorted([*GOOD, *FAILED])
    assert report.internal_errors == []  # every failure is an expected one


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.privileged) if name.startswith("locked/")
                                  else name for name in sorted(FAILED)])
def test_bad_input_is_one_clear_line(batch, name):
    import re

    if name.startswith("locked/") and not read_only_possible():
        pytest.skip(NO_READ_ONLY)
    report, _, out = batch
    (entry,) = [e for e in report.entries if e.input == name]
    assert entry.status == "failed" and "\n" not in entry.reason
    assert re.search(FAILED[name], entry.reason), entry.reason
    stem = name.rsplit(".", 1)[0]
    assert not list(out.glob(f"{stem}.*")) and not list(out.rglob(".*partial*"))


def _decoded(path):
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = [(f.pts * video.time_base, f.width, f.height, getattr(f, "rotation", 0))
                  for f in container.decode(video)]
    audio_tracks, seconds = 0, None
    with av.open(str(path)) as container:
        if container.streams.audio:
            audio_tracks = len(container.streams.audio)
            audio = container.streams.audio[0]
            samples = sum(f.samples for f in container.decode(audio))
            seconds = samples / audio.codec_context.sample_rate
    return frames, audio_tracks, seconds


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_input_gives_a_correct_summary(batch, name):
    report, made, out = batch
    (entry,) = [e for e in report.entries if e.input == name]
    assert (entry.status, entry.reason) == ("ok", "")
    generated = made[name]
    document = json.loads((out / entry.summary_json).read_text())
    info = document["input"]
    assert info["duration"] == pytest.approx(generated.duration, abs=0.1)
    assert info["n_frames"] == generated.n_frames
    assert info["has_audio"] == GOOD[name].get("audio", True)
    kept = [s for s in document["shots"] if s["selected"]]
    frames, audio_tracks, audio_seconds = _decoded(out / entry.summary_video)
    # Every frame of the selected shots, in order, and nothing else.
    assert len(frames) == sum(s["end_frame"] - s["start_frame"] for s in kept) == document["selection"]["selected_frames"]
    times = np.array([float(t) for t, *_ in frames])
    assert np.all(np.diff(times) > 0)
    assert times[-1] < entry.kept_seconds <= times[-1] + 2.5 / 25  # ends with the last kept frame
    assert entry.kept_seconds == pytest.approx(sum(s["end"] - s["start"] for s in kept), abs=1e-5)
    # Picture: the source's size (rounded up to even for H.264) and orientation.
    width, height = GOOD[name].get("width", 320), GOOD[name].get("height", 240)
    assert frames[0][1:3] == (max(2, width - width % 2), max(2, height - height % 2))
    assert round(-frames[0][3] / 90) * 90 % 360 == GOOD[name].get("rotation", 0)
    # Sound: one AAC track in sync (its length is the picture's, to an AAC frame) or none.
    if info["has_audio"]:
        assert audio_tracks == 1 and audio_seconds == pytest.approx(entry.kept_seconds, abs=0.05)
    else:
        assert audio_tracks == 0


@pytest.mark.privileged
def test_an_unwritable_output_folder_stops_the_run_before_any_work(tmp_path):
    if not read_only_possible():
        pytest.skip(NO_READ_ONLY)
    (tmp_path / "in").mkdir()
    write_video(tmp_path / "in" / "a.mp4", SCENES, fps=25)
    with read_only(tmp_path / "out") as out, pytest.raises(OutputError, match="cannot write in output folder"):
        run_batch(tmp_path / "in", out, cache=False, device="cpu")
