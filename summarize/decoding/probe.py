"""Container-level checks shared by the backends: is this a video we can use at all?"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import av

from ..errors import InputError, UsageError


@dataclass(frozen=True)
class StreamProbe:
    coded_width: int
    coded_height: int
    rotation: int  # degrees clockwise, one of 0, 90, 180, 270
    has_audio: bool
    container_duration: float | None
    codec: str
    start_time: float  # presentation time of the first frame, in the container's clock
    declared_duration: float | None = None  # how long the header says the video lasts, where it can be trusted


def usable_audio(container):
    """The first audio stream FFmpeg can decode to a known sample rate, else None (a codec
    without a decoder, or a stream that states no rate, is left out of the summary)."""
    for stream in container.streams.audio:
        context = stream.codec_context
        if context is not None and context.sample_rate and context.codec.is_decoder:
            return stream
    return None


def check_path(path: Path) -> Path:
    """Fail with one actionable line when ``path`` cannot be a video file."""
    try:
        os.lstat(path)
    except PermissionError as exc:  # a folder on the way cannot be searched: not a typo
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except OSError:
        raise UsageError(f"no such file: {path}") from None
    if path.is_dir():
        raise UsageError(
            f"{path} is a directory; to summarize every video in it run: summarize batch {path}"
        )
    try:
        size = path.stat().st_size
    except OSError as exc:  # broken symlink, symlink loop, permissions
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not path.is_file():
        raise InputError(f"not a regular file: {path}")
    if size == 0:
        raise InputError(f"empty file (0 bytes): {path}")
    if not os.access(path, os.R_OK):
        raise InputError(f"no permission to read {path}")
    return path


def normalize_rotation(degrees: float | None) -> int:
    """Round a display-matrix angle to a quarter turn, clockwise, in [0, 360)."""
    if degrees is None:
        return 0
    return int(round(-float(degrees) / 90.0)) * 90 % 360


def probe(path: Path) -> StreamProbe:
    """Open the container and decode one frame: proves there is a usable video stream."""
    check_path(path)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        if _looks_like_mp4(path):
            raise InputError(
                f"{path} is an MP4/MOV whose index cannot be read: the file is truncated or damaged "
                f"(an interrupted download or recording?)"
            ) from None
        raise InputError(f"not a video file FFmpeg can read ({_reason(exc)}): {path}") from None
    try:
        if not container.streams.video:
            kinds = sorted({s.type for s in container.streams}) or ["none"]
            raise InputError(f"no video stream in {path} (streams: {', '.join(kinds)})")
        stream = container.streams.video[0]
        has_audio = usable_audio(container) is not None
        rotation = 0
        try:
            first = next(container.decode(stream), None)
        except av.error.FFmpegError as exc:
            raise InputError(f"cannot decode any video frame of {path} ({_reason(exc)})") from None
        if first is None:
            raise InputError(f"no decodable video frames in {path}")
        rotation = normalize_rotation(getattr(first, "rotation", 0))
        duration = float(container.duration / av.time_base) if container.duration else None
        return StreamProbe(
            coded_width=first.width,
            coded_height=first.height,
            rotation=rotation,
            has_audio=has_audio,
            container_duration=duration,
            codec=stream.codec_context.name,
            start_time=float(first.time or 0.0),
            declared_duration=declared_duration(container, stream),
        )
    finally:
        container.close()


# Containers whose header states the whole duration, written when the recording ended.
_HEADER_DURATION_FORMATS = ("mov", "mp4", "matroska", "webm")


def declared_duration(container, stream) -> float | None:
    """The video's duration as its header states it, or None where the header says nothing
    reliable (FFmpeg estimates durations of some formats from the data or the bitrate).

    An AVI header counts time slots of the stream's clock (the frame count only when the
    clock ticks once a frame); an MP4 track states its own duration; a Matroska segment
    states one for the file.
    """
    formats = container.format.name.split(",")
    if "avi" in formats:
        return float(stream.frames * stream.time_base) if stream.frames else None
    if not any(name in _HEADER_DURATION_FORMATS for name in formats):
        return None
    if stream.duration:
        return float(stream.duration * stream.time_base)
    if container.duration and "matroska" in formats:
        return float(container.duration / av.time_base)
    return None


def check_complete(path: Path, decoded_duration: float, declared: float | None) -> None:
    """A file cut short (an interrupted download) keeps its header: data ending before the
    duration it declares means truncation. Picture ending up to 2 s (or 2%) early is
    common (audio outlasting it), so there the end of *all* the data (audio included) must
    reach the declared duration within 0.25 s (or 1%)."""
    if not declared:
        return
    tight = max(0.25, 0.01 * declared)
    if decoded_duration >= declared - tight:
        return
    end, what = decoded_duration, "video data"
    if decoded_duration >= declared - max(2.0, 0.02 * declared):
        end, what = data_end(path, declared), "data (audio included)"
        if end is None or end >= declared - tight:
            return
    raise InputError(
        f"{path} is truncated: it declares {declared:.1f} s but its {what} ends after "
        f"{end:.1f} s (an interrupted download or copy?)"
    )


def data_end(path: Path, declared: float) -> float | None:
    """Where the last packet of any stream ends (seconds from the container's start), read
    from the last seconds of the file; None when that cannot be told."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            start = container.start_time / av.time_base if container.start_time else 0.0
            container.seek(int(max(start + declared - 10.0, 0.0) * av.time_base))
            end = None
            for packet in container.demux():
                if packet.pts is None or packet.time_base is None:
                    continue
                stop = float((packet.pts + (packet.duration or 0)) * packet.time_base) - start
                end = stop if end is None else max(end, stop)
            return end
    except (av.error.FFmpegError, OverflowError, ValueError):
        return None


def _looks_like_mp4(path: Path) -> bool:
    """ISO media files (MP4, MOV, M4V, 3GP) carry an 'ftyp' box in their first bytes."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return head[4:8] == b"ftyp"


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[0].strip().rstrip(".") or type(exc).__name__
