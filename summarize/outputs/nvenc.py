"""H.264 encoding on the GPU's NVENC engine (``h264_nvenc``) when the run is on CUDA and the
encoder opens, else libx264 with a note saying why.

Used where the summary is encoded whole (``--cut reencode``, and the exact path a failed
check falls back to). The pieces of a smart cut (``smartcut.py``) stay on x264: they must
carry sequence and picture parameter sets under ids the source does not use (x264's
``sps-id``), and h264_nvenc has no option to choose them (its parameter sets are always
id 0, which an x264 source uses too). Those pieces are short (a few frames to a GOP per
shot), so little is lost. Some data-centre GPUs (the H100, A100) have no NVENC at all.
"""

from __future__ import annotations

from fractions import Fraction

import av

from ..decoding.probe import _reason

NVENC = "h264_nvenc"
# x264 presets to NVENC's (p1 fastest .. p7 best)
_PRESETS = {"ultrafast": "p1", "superfast": "p2", "veryfast": "p3", "faster": "p3", "fast": "p4",
            "medium": "p4", "slow": "p5", "slower": "p6", "veryslow": "p7", "placebo": "p7"}
_probed: dict[tuple[int, int], str | None] = {}


def nvenc_options(preset: str, crf: int) -> dict[str, str]:
    """The encoder options for x264's ``preset`` and ``crf``: constant quality at the same number."""
    return {"preset": _PRESETS.get(preset, "p4"), "tune": "hq", "rc": "vbr", "cq": str(crf), "b": "0"}


def _open(width: int, height: int) -> None:
    encoder = av.CodecContext.create(NVENC, "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base = Fraction(1, 30)
    encoder.options = nvenc_options("superfast", 23)
    encoder.open()


def nvenc_problem(width: int, height: int) -> str | None:
    """None when h264_nvenc opens for this frame size (tried once per size and process),
    else why not, as one line."""
    key = (width, height)
    if key not in _probed:
        try:
            _open(width, height)
            _probed[key] = None
        except (av.error.FFmpegError, ValueError, LookupError) as exc:  # no device, no NVENC, a size it refuses
            _probed[key] = _reason(exc) if isinstance(exc, av.error.FFmpegError) else str(exc)
    return _probed[key]


def choose_encoder(width: int, height: int, nvenc: bool) -> tuple[str, str | None]:
    """(encoder name, note): h264_nvenc when asked for and it opens, else libx264 and, when it
    was asked for, why not."""
    if not nvenc:
        return "libx264", None
    problem = nvenc_problem(width, height)
    if problem is None:
        return NVENC, None
    return "libx264", f"{NVENC} could not be opened ({problem}): encoded with libx264 on the CPU"
