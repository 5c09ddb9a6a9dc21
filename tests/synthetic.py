"""Videos with known structure, generated for tests and benchmarks.

Each scene is a distinct procedural texture that pans, with a bouncing disc for motion;
scene k has a sine tone of its own on the audio track. Cuts are hard, at known frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av
import numpy as np

N_KINDS = 8


@dataclass
class GeneratedVideo:
    path: Path
    fps: float
    n_frames: int
    duration: float
    cut_frames: list[int]  # first frame of every scene after the first
    cut_times: list[float]
    frame_times: np.ndarray


def _grid(height: int, width: int):
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    return y / max(height, 1), x / max(width, 1)


def scene_image(kind: int, width: int, height: int, seed: int = 0) -> np.ndarray:
    """An RGB uint8 texture of one of ``N_KINDS`` visually distinct kinds."""
    rng = np.random.default_rng(seed * 131 + kind)
    y, x = _grid(height, width)
    kind %= N_KINDS
    if kind == 0:  # warm vertical stripes
        s = (np.sin(x * 40) > 0).astype(np.float32)
        rgb = np.stack([0.9 + 0 * s, 0.3 + 0.6 * s, 0.1 * s], -1)
    elif kind == 1:  # blue and white checkerboard
        s = ((np.floor(x * 16) + np.floor(y * 9)) % 2).astype(np.float32)
        rgb = np.stack([s, s, 0.5 + 0.5 * s], -1)
    elif kind == 2:  # green concentric rings
        r = np.hypot(x - 0.5, (y - 0.5) * height / max(width, 1))
        s = 0.5 + 0.5 * np.sin(r * 90)
        rgb = np.stack([0.1 * s, 0.4 + 0.6 * s, 0.2 * s], -1)
    elif kind == 3:  # purple clouds
        small = rng.random((9, 16, 3)).astype(np.float32)
        yi = np.clip((y * 8).astype(int), 0, 8)
        xi = np.clip((x * 15).astype(int), 0, 15)
        rgb = small[yi, xi] * np.array([0.8, 0.2, 0.9], np.float32)
    elif kind == 4:  # gradient with a grid of dots
        dots = ((np.sin(x * 120) * np.sin(y * 70)) > 0.7).astype(np.float32)
        rgb = np.stack([x, 0.5 * y, 1 - x], -1) * (1 - dots[..., None]) + dots[..., None]
    elif kind == 5:  # orange horizontal waves
        s = 0.5 + 0.5 * np.sin(y * 60 + 8 * np.sin(x * 10))
        rgb = np.stack([0.95 * s + 0.05, 0.5 * s, 0.05 + 0 * s], -1)
    elif kind == 6:  # mosaic of grey-blue blocks (a city at night)
        blocks = rng.random((12, 20)).astype(np.float32)
        yi = np.clip((y * 12).astype(int), 0, 11)
        xi = np.clip((x * 20).astype(int), 0, 19)
        b = blocks[yi, xi]
        rgb = np.stack([0.2 * b, 0.3 * b, 0.5 + 0.5 * b], -1)
    else:  # red-black sunburst
        a = np.arctan2(y - 0.5, x - 0.5)
        s = (np.sin(a * 24) > 0).astype(np.float32)
        rgb = np.stack([s, 0.1 * s, 0 * s], -1)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def scene_frames(kind: int, n_frames: int, width: int, height: int, seed: int = 0):
    """Frames of one scene: the texture pans right and a white disc bounces."""
    base = scene_image(kind, width, height, seed)
    radius = max(1, min(width, height) // 10)
    yy, xx = np.ogrid[0:height, 0:width]
    for i in range(n_frames):
        frame = np.roll(base, 3 * i, axis=1)
        cx = int(abs((i * 7) % (2 * width) - width)) if width > 1 else 0
        cy = int(abs((i * 5) % (2 * height) - height)) if height > 1 else 0
        y0, y1 = max(cy - radius, 0), min(cy + radius + 1, height)
        x0, x1 = max(cx - radius, 0), min(cx + radius + 1, width)
        mask = (yy[y0:y1] - cy) ** 2 + (xx[:, x0:x1] - cx) ** 2 <= radius**2
        frame[y0:y1, x0:x1][mask] = 255
        yield frame


def write_video(path: str | Path, scenes: Sequence[tuple[int, float]], *, width: int = 320, height: int = 240,
                fps: int = 25, audio: bool = True, audio_streams: int = 1, sample_rate: int = 44100,
                codec: str = "libx264", pix_fmt: str = "yuv420p", preset: str = "ultrafast",
                variable_frame_rate: bool = False, rotation: int = 0, seed: int = 0,
                container_format: str | None = None, grain: float = 0.0, crf: int = 23,
                audio_codec: str | None = None, time_base: Fraction | None = None,
                gop: int | None = None, x264_params: str | None = None) -> GeneratedVideo:
    """Write scenes ``[(kind, seconds), ...]`` and return where the cuts are.

    ``variable_frame_rate`` alternates frame durations of 1/fps and 2/fps (the frame count
    drops accordingly); ``rotation`` stores a display rotation (degrees clockwise);
    ``grain`` adds sensor-like noise of that standard deviation (in 0-255 levels), which
    raises the bitrate, and so the decoding cost, to that of camera footage.
    ``audio_codec`` defaults to AAC (Opus for .webm); ``time_base`` (default 1/90000) is
    the video stream's clock: 1/fps gives the one-tick-per-frame timing of classic AVIs.
    ``gop`` caps the frames between keyframes (x264's keyint; default 250); ``x264_params``
    more of x264's options ("bframes=2:b-adapt=0:scenecut=0": a fixed run of picture types).
    """
    path = Path(path)
    out = av.open(str(path), "w", format=container_format)
    time_base = time_base or Fraction(1, 90000)
    vs = out.add_stream(codec, rate=fps)
    vs.width, vs.height, vs.pix_fmt = width, height, pix_fmt
    vs.time_base = time_base
    vs.codec_context.time_base = time_base
    if codec == "libx264":
        vs.options = {"preset": preset, "crf": str(crf), **({"x264-params": x264_params} if x264_params else {})}
    if gop:
        vs.codec_context.gop_size = gop
    if rotation:
        vs.set_display_rotation(-rotation)
    audio_out = []
    for k in range(audio_streams if audio else 0):
        webm = path.suffix == ".webm"
        codec_name = audio_codec or ("libopus" if webm else "aac")
        stream = out.add_stream(codec_name, rate=48000 if codec_name == "libopus" else sample_rate, layout="mono")
        audio_out.append(stream)
    rate = audio_out[0].codec_context.sample_rate if audio_out else sample_rate

    noise_bank = None
    if grain > 0:
        rng = np.random.default_rng(seed + 99)
        noise_bank = [np.clip(rng.normal(0, grain, (height, width, 3)), -127, 127).astype(np.int16)
                      for _ in range(7)]
    frame_times, cut_frames, cut_times = [], [], []
    t = 0.0
    index = 0
    for s, (kind, seconds) in enumerate(scenes):
        if s > 0:
            cut_frames.append(index)
            cut_times.append(t)
        scene_start = t
        n = int(round(seconds * fps))
        frames = scene_frames(kind, n, width, height, seed)
        step = 0
        for frame in frames:
            if t >= scene_start + seconds - 1e-9:
                break
            if noise_bank is not None:
                frame = np.clip(frame + noise_bank[index % len(noise_bank)], 0, 255).astype(np.uint8)
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts = int(round(t / time_base))
            vf.time_base = time_base
            out.mux(vs.encode(vf))
            frame_times.append(t)
            index += 1
            step += 1
            duration = (2.0 if variable_frame_rate and step % 2 == 0 else 1.0) / fps
            t += duration
        for k, stream in enumerate(audio_out):
            _write_tone(out, stream, scene_start, t, 220.0 * (1 + kind / 4) * (1 + k), rate)
    out.mux(vs.encode(None))
    for stream in audio_out:
        _flush_audio(out, stream)
    out.close()
    return GeneratedVideo(path=path, fps=float(fps), n_frames=index, duration=t, cut_frames=cut_frames,
                          cut_times=cut_times, frame_times=np.asarray(frame_times))


_audio_written: dict[int, int] = {}


def _write_tone(out, stream, start: float, stop: float, freq: float, rate: int) -> None:
    size = stream.codec_context.frame_size or 1024
    written = _audio_written.setdefault(id(stream), 0)
    target = int(round(stop * rate))
    while written + size <= target:
        t = (written + np.arange(size)) / rate
        data = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)[None, :]
        if stream.codec_context.format.name != "fltp":  # e.g. PCM in AVI: 16-bit integers
            data = (data * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(data, format="fltp" if data.dtype == np.float32 else "s16",
                                           layout="mono")
        frame.sample_rate = rate
        frame.pts = written
        frame.time_base = Fraction(1, rate)
        out.mux(stream.encode(frame))
        written += size
    _audio_written[id(stream)] = written


def _flush_audio(out, stream) -> None:
    out.mux(stream.encode(None))
    _audio_written.pop(id(stream), None)


def write_frames(path: str | Path, frames, *, fps=25, width: int = 160, height: int = 120,
                 gop: int | None = None) -> Path:
    """Write RGB uint8 frames (H x W x 3) as H.264 (x264 ultrafast), no audio: for pictures a
    scene list cannot make (dissolves, flashes)."""
    path = Path(path)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": "18"}
        if gop:
            vs.codec_context.gop_size = gop
        for frame in frames:
            out.mux(vs.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")))
        out.mux(vs.encode(None))
    return path
