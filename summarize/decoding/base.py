"""What every decoding backend provides, and the sampling plan they share."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Iterator, NamedTuple

import numpy as np


@dataclass(frozen=True)
class VideoInfo:
    """Metadata of the video stream, as the decoder sees it.

    Times are seconds from the first video frame (the stream's own start offset, if any,
    is kept in ``start_time`` so that writers can cut audio in sync).
    """

    path: str
    width: int  # display width, after rotation
    height: int
    n_frames: int
    duration: float  # end of the last frame
    avg_fps: float
    start_time: float  # presentation time of the first frame in the container's clock
    rotation: int  # degrees clockwise the frames are turned for display (0, 90, 180, 270)
    has_audio: bool
    backend: str
    # With --salvage: [start, end) seconds that failed to decode, and that the file declares but lacks.
    damaged: tuple = ()
    missing: tuple = ()
    decoder_note: str | None = None  # why the decoder asked for was not used (e.g. no NVDEC)
    audio_note: str | None = None  # why the file's audio is not in the summary (an empty track, ...)
    audio_channels: int = 0  # of the audio the summary takes (0: none; an EDL names one channel or two)


@dataclass(frozen=True)
class SamplingPlan:
    """Which source frame stands for each sampled instant.

    Samples are taken at ``k / fps`` seconds, k = 0, 1, ... while the time is inside the
    video; each takes the frame on screen at that instant (the last one starting at or
    before it), so variable frame rate videos are sampled by time, not by frame count.
    """

    fps: float
    times: np.ndarray  # (T,) seconds
    frame_indices: np.ndarray  # (T,) int64, index into the decoded frames

    def __len__(self) -> int:
        return len(self.times)


def plan_samples(frame_times: np.ndarray, duration: float, fps: float) -> SamplingPlan:
    """Sample times ``k / fps`` inside ``[0, duration)`` mapped to the frame on screen."""
    if fps <= 0:
        raise ValueError("fps must be positive")
    count = max(int(np.floor(duration * fps - 1e-9)) + 1, 0)  # none for a duration of 0 or less
    times = np.arange(count) / fps  # float64
    # A tolerance of a microsecond absorbs timestamps stored as float32 by some demuxers
    # (searchsorted compares in float64). The frame on screen is the last one started, at
    # most the last frame; before the first frame it is the first.
    idx = np.searchsorted(frame_times, times + 1e-6, side="right") - 1
    idx = np.maximum(idx, 0).astype(np.int64)
    return SamplingPlan(fps=float(fps), times=times, frame_indices=idx)


class SourceFrame(NamedTuple):
    """A source frame as a writer that must show exactly the selected frames gets it."""

    index: int  # its number in the decoder's order (that of ``frame_times``)
    frame: Any  # the decoded av.VideoFrame, at the source size, not rotated
    time: float  # its presentation time on the container's clock (seconds)
    epoch: int  # how many times the container's clock restarted before it
    concealed: bool = False  # it did not decode: ``frame`` is a neighbour standing in for it


@dataclass
class FrameBatch:
    """A run of consecutive samples, decoded and resized (RGB, uint8, N x H x W x 3)."""

    first_sample: int
    frames: np.ndarray


class Decoder(abc.ABC):
    """One decoding library behind the interface the pipeline needs.

    A backend opens the file in ``__init__`` (raising ``summarize.errors.InputError`` when
    it cannot), exposes the start time of every frame, and decodes the frames of a
    sampling plan in batches. Decoders never hold more than one batch of frames.
    """

    name: ClassVar[str]
    # Whether the decoding library lets other Python threads run while it decodes: then
    # decoding can run ahead in a thread beside the network (summarize/features.py).
    releases_gil: ClassVar[bool] = True

    info: VideoInfo
    frame_times: np.ndarray  # (n_frames,) seconds from the first frame

    @abc.abstractmethod
    def __init__(self, path: Path, size: tuple[int, int] | None, threads: int = 0) -> None:
        """``size`` is the (width, height) frames are scaled to; None keeps the source size."""

    @abc.abstractmethod
    def iter_batches(self, plan: SamplingPlan, batch_size: int) -> Iterator[FrameBatch]:
        """Decode the frames of ``plan`` in order, ``batch_size`` samples at a time."""

    def watch_cuts(self, scout) -> bool:
        """Let ``scout`` (``summarize.cut_scout.CutScout``) see the frames ``iter_batches``
        decodes; False where this decoder does not (its change points are decoded again)."""
        return False

    def close(self) -> None:  # noqa: B027 - optional for backends with nothing to release
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
