"""NVDEC decoding: PyAV (FFmpeg) with the GPU's video decoder, frames handed back in host memory.

The sampling is the PyAV backend's (the same packet index, the same frame for every
timestamp); only the decoding runs on the GPU, and FFmpeg releases the GIL while it waits.
``open_video`` falls back to CPU decoding when there is no CUDA device or NVDEC cannot take
the stream, and says so in ``VideoInfo.decoder_note``.
"""

from __future__ import annotations

from pathlib import Path

import av

from .probe import _reason
from .pyav_backend import PyAVDecoder


class NvdecUnavailable(Exception):
    """No CUDA device (or no NVDEC) to decode with."""


def nvdec_available() -> bool:
    """Whether this FFmpeg build can open a CUDA device for decoding."""
    try:
        return "cuda" in av.codec.hwaccel.hwdevices_available()
    except Exception:  # an FFmpeg without hardware support
        return False


class NvdecDecoder(PyAVDecoder):
    name = "nvdec"

    def _open(self, path: Path):
        # No silent software fallback inside FFmpeg: a stream NVDEC cannot decode must fail
        # here, so that open_video can fall back visibly.
        hwaccel = av.codec.hwaccel.HWAccel(device_type="cuda", allow_software_fallback=False)
        try:
            return av.open(str(path), metadata_errors="ignore", hwaccel=hwaccel)
        except av.error.FFmpegError as exc:
            if not nvdec_available():
                raise NvdecUnavailable("this FFmpeg has no CUDA support") from None
            av.open(str(path), metadata_errors="ignore").close()  # an unreadable file fails as it would on the CPU
            raise NvdecUnavailable(f"no CUDA device could be opened: {_reason(exc)}") from None
