"""Decoding: open a video with the best available backend and sample it by time.

PyAV (FFmpeg) is the default; decord and NVDEC are chosen by name (``backend``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import av

from ..errors import InputError
from .base import Decoder, FrameBatch, SamplingPlan, SourceFrame, VideoInfo, plan_samples
from .decord_backend import DecordDecoder
from .keyframe_sampling import SAMPLING_MODES, KeyframeDecoder
from .nvdec_backend import NvdecDecoder, NvdecUnavailable
from .probe import check_complete, check_path, probe
from .pyav_backend import PyAVDecoder
from .ranges import RangeDecoder, cpu_helpers, decode_layout, decode_workers

BACKENDS: dict[str, type[Decoder]] = {"decord": DecordDecoder, "pyav": PyAVDecoder, "nvdec": NvdecDecoder}

# Frames are never scaled past this many pixels on their long side: extreme aspect ratios
# (a 4000x16 strip) would otherwise ask the scaler for a 64000-pixel row.
MAX_LONG_SIDE = 1024


def scaled_size(width: int, height: int, short_side: int | None) -> tuple[int, int] | None:
    """(width, height) with the shorter side at ``short_side``, aspect kept (long side capped)."""
    if short_side is None:
        return None
    scale = short_side / min(width, height)
    w = min(max(round(width * scale), 1), MAX_LONG_SIDE)
    h = min(max(round(height * scale), 1), MAX_LONG_SIDE)
    return w, h


def open_video(path: str | Path, *, short_side: int | None = None, backend: str = "auto",
               threads: int = 0, salvage: bool = False, workers: int | None = None,
               sampling: str = "uniform") -> Decoder:
    """Open ``path`` for sampling; frames come scaled so their shorter side is ``short_side``.

    Raises ``UsageError`` for a missing path or a directory and ``InputError`` for a file
    that holds no decodable video. With ``salvage``, a file cut short or with damaged
    frames is read as far as it decodes (PyAV), the decoder's ``missing`` and
    ``damaged_times`` saying what was lost.

    PyAV and NVDEC decoders sample long videos by decoding keyframe ranges concurrently
    (``ranges.py``): ``workers`` ranges at once, None or 0 for ``decode_workers``'s choice.
    ``sampling="keyframes"``: a ``KeyframeDecoder`` (PyAV on the CPU whatever ``backend``
    says: it decodes the keyframes alone), whose ``plan()`` gives the samples.
    """
    path = check_path(Path(path))
    if backend not in ("auto", *BACKENDS):
        raise ValueError(f"unknown decoding backend {backend!r}")
    stream = probe(path)
    width, height = stream.coded_width, stream.coded_height
    if stream.rotation in (90, 270):
        width, height = height, width
    size = scaled_size(width, height, short_side)
    if sampling == "keyframes":
        decoder: Decoder = KeyframeDecoder(path, size, threads, salvage=salvage)
    elif salvage:
        decoder = PyAVDecoder(path, size, threads, salvage=True)
    elif backend == "nvdec":
        try:
            decoder = NvdecDecoder(path, size, threads)
        except (NvdecUnavailable, InputError, av.error.FFmpegError) as exc:
            # CPU decoding gives the same samples: the run goes on and the JSON says why.
            decoder = PyAVDecoder(path, size, threads)
            reason = str(exc) or type(exc).__name__
            decoder.info = dataclasses.replace(decoder.info, decoder_note=f"NVDEC not used ({reason}); decoded on the CPU")
    elif backend == "decord":
        try:
            decoder = DecordDecoder(path, size, threads, stream=stream)
        except InputError as exc:
            exc.backend = "decord"  # extract_features then decodes the file with PyAV
            raise
    else:
        decoder = PyAVDecoder(path, size, threads)
    try:
        check_complete(path, decoder.frame_times, decoder.info.duration, stream)
    except InputError:
        if salvage:
            if not decoder.missing:
                decoder.missing.append((decoder.info.duration, float(stream.declared_duration or 0.0)))
            else:  # the frame count said so first: the declared time says where the data ends
                start, end = decoder.missing[0]
                decoder.missing[0] = (start, max(end, float(stream.declared_duration or 0.0)))
            return decoder
        decoder.close()
        raise
    if isinstance(decoder, PyAVDecoder) and not salvage and not decoder.keyframes_only:
        count, each = decode_layout(threads, workers)
        if count > 1:
            decoder = RangeDecoder(decoder, count, each,
                                   cpu_workers=cpu_helpers(count, threads) if decoder.name == "nvdec" else 0)
    return decoder


__all__ = [
    "BACKENDS",
    "Decoder",
    "FrameBatch",
    "KeyframeDecoder",
    "SAMPLING_MODES",
    "SamplingPlan",
    "SourceFrame",
    "VideoInfo",
    "decode_layout",
    "decode_workers",
    "open_video",
    "plan_samples",
    "probe",
    "scaled_size",
]
