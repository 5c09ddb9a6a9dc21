"""Damaged and odd media, generated for the hardening tests and the damaged-file benchmark.

Every function writes one file and returns its path; none needs anything but PyAV.
"""

from __future__ import annotations

import random
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from tests.synthetic import scene_image, write_video


def frames_at(path: str | Path, times: list[float], kinds: list[int], *, width: int = 96, height: int = 64,
              codec: str = "libx264", container_format: str | None = None,
              time_base: Fraction = Fraction(1, 90000)) -> Path:
    """A video whose frame ``i`` starts at ``times[i]`` (variable rate, gaps) showing scene ``kinds[i]``."""
    path = Path(path)
    out = av.open(str(path), "w", format=container_format)
    stream = out.add_stream(codec, rate=25)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.time_base = stream.codec_context.time_base = time_base
    if codec == "libx264":
        stream.options = {"preset": "ultrafast"}
    images = {}
    for t, kind in zip(times, kinds):
        if kind not in images:
            images[kind] = scene_image(kind, width, height)
        frame = av.VideoFrame.from_ndarray(images[kind], format="rgb24")
        frame.pts = int(round(t / time_base))
        frame.time_base = time_base
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))
    out.close()
    return path


def vfr_60_then_1(path: str | Path, fast_seconds: float = 10.0, slow_seconds: float = 50.0) -> Path:
    """``fast_seconds`` at 60 fps then ``slow_seconds`` at 1 fps, a new scene every 5 seconds."""
    times = [i / 60 for i in range(int(fast_seconds * 60))]
    times += [fast_seconds + i for i in range(int(slow_seconds))]
    return frames_at(path, times, [int(t // 5) for t in times])


def concatenated_ts(folder: str | Path) -> Path:
    """Two MPEG-TS files joined byte for byte: the second half's timestamps restart."""
    folder = Path(folder)
    first = write_video(folder / "part1.ts", [(0, 3.0), (1, 3.0)], width=96, height=64, container_format="mpegts")
    second = write_video(folder / "part2.ts", [(2, 3.0), (3, 3.0)], width=96, height=64,
                         container_format="mpegts", seed=2)
    path = folder / "concatenated.ts"
    path.write_bytes(first.path.read_bytes() + second.path.read_bytes())
    return path


def undecodable_audio(folder: str | Path) -> Path:
    """A Matroska file whose audio track names a codec FFmpeg has no decoder for."""
    folder = Path(folder)
    source = write_video(folder / "opus.mkv", [(0, 2.0), (1, 2.0)], width=96, height=64, audio_codec="libopus")
    data = source.path.read_bytes()
    assert data.count(b"A_OPUS") == 1
    path = folder / "unknown-audio.mkv"
    path.write_bytes(data.replace(b"A_OPUS", b"A_QQQQ"))
    return path


def _box(data: bytes, name: bytes) -> int:
    """Offset of the first box called ``name`` (its size field), or -1."""
    at = data.find(name)
    return at - 4 if at >= 4 else -1


def damaged_sample_table(folder: str | Path, box: bytes = b"stsz", seed: int = 0) -> Path:
    """An MP4 whose sample table box ``box`` holds garbage after its header."""
    folder = Path(folder)
    source = write_video(folder / "clean.mp4", [(0, 2.0), (1, 2.0)], width=96, height=64)
    data = bytearray(source.path.read_bytes())
    at = _box(bytes(data), box)
    size = struct.unpack(">I", data[at : at + 4])[0]
    rng = random.Random(seed)
    for i in range(at + 12, at + size):
        data[i] = rng.randrange(256)
    path = folder / f"damaged-{box.decode()}.mp4"
    path.write_bytes(bytes(data))
    return path


def bit_rot(source: str | Path, path: str | Path, at: float = 0.6, length: int = 4000, seed: int = 0) -> Path:
    """``source`` with ``length`` random bytes written at fraction ``at`` of the file."""
    data = bytearray(Path(source).read_bytes())
    start = int(len(data) * at)
    rng = random.Random(seed)
    for i in range(start, min(start + length, len(data))):
        data[i] = rng.randrange(256)
    Path(path).write_bytes(bytes(data))
    return Path(path)


def truncated(source: str | Path, path: str | Path, keep: float) -> Path:
    data = Path(source).read_bytes()
    Path(path).write_bytes(data[: int(len(data) * keep)])
    return Path(path)


def odd_size_vp9(folder: str | Path, width: int = 97, height: int = 61) -> Path:
    return write_video(Path(folder) / f"odd-{width}x{height}.webm", [(0, 2.0), (1, 2.0)], width=width,
                       height=height, codec="libvpx-vp9", audio=False).path


def short_clip(folder: str | Path, seconds: float = 0.3, fps: int = 25) -> Path:
    return write_video(Path(folder) / f"clip-{seconds:g}s.mp4", [(0, seconds / 2), (1, seconds / 2)],
                       width=96, height=64, fps=fps).path


def long_gap(path: str | Path, frames: int = 50, gap: float = 1800.0) -> Path:
    """``frames`` frames at 25 fps with one timestamp gap of ``gap`` seconds in the middle."""
    half = frames // 2
    times = [i / 25 for i in range(half)] + [gap + i / 25 for i in range(frames - half)]
    return frames_at(path, times, [0] * half + [1] * (frames - half))


def one_fps_hour(path: str | Path, seconds: int = 3600, width: int = 64, height: int = 48) -> Path:
    """An hour at 1 fps (one frame per second), a new scene every minute."""
    return frames_at(path, [float(i) for i in range(seconds)], [i // 60 for i in range(seconds)],
                     width=width, height=height, time_base=Fraction(1, 1000))


def mean_colour(frames: np.ndarray) -> np.ndarray:
    return frames.reshape(-1, 3).mean(axis=0)
