"""Container-level checks shared by the backends: is this a video we can use at all?"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    # How long the container says the video lasts, measured from its first frame (None: it
    # says nothing); ``declared_exact``: stated by a header written when the recording ended
    # (else FFmpeg's estimate or a metadata field, checked loosely). ``lead_in``: seconds of
    # pictures before the first frame that an edit list leaves out (decoded, never shown).
    declared_duration: float | None = None
    declared_exact: bool = True
    lead_in: float = 0.0
    audio_note: str | None = None  # why the file's audio is left out of the summary
    audio_channels: int = 0  # of the audio stream the summary takes its sound from (0: none)


def usable_audio(container):
    """The first audio stream FFmpeg can decode to a known sample rate that holds any sound,
    else None (see ``audio_status``)."""
    return audio_status(container)[0]


def audio_status(container) -> tuple[Any, str | None]:
    """The audio stream the summary takes its sound from, the first FFmpeg can decode to a
    known sample rate that holds any sound; else None and, where the file has audio tracks
    that are left out, why (said to the user: ``VideoInfo.audio_note``)."""
    note = None
    for stream in container.streams.audio:
        context = stream.codec_context
        if context is None or not context.codec.is_decoder:
            name = context.name if context is not None else "unknown"
            reason = f"its audio track's codec ({name}) cannot be decoded"
        elif not context.sample_rate:
            reason = "its audio track states no sample rate"
        elif not _holds_sound(container, stream):
            reason = "its audio track is empty (no sound data)"
        else:
            return stream, None
        note = note or f"{reason}: the summary is silent"
    return None, note


def audio_channels(stream) -> int:
    """How many channels ``stream`` (an audio stream, or None) has: 0 for None or unknown."""
    try:
        return int(stream.codec_context.channels) if stream is not None else 0
    except (AttributeError, TypeError, ValueError):
        return 0


def file_audio_channels(path) -> int:
    """``audio_channels`` of the audio stream the summary of ``path`` takes (0: none, or unreadable)."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            return audio_channels(usable_audio(container))
    except (av.error.FFmpegError, OSError):
        return 0


def _holds_sound(container, stream) -> bool:
    """Whether ``stream`` has any packet with data (a track can be declared and left empty)."""
    if stream.frames:  # an MP4 sample table counts them
        return True
    path = container.name
    try:
        stat = os.stat(path)
    except (OSError, TypeError, ValueError):
        return True  # not a file we can read again: let decoding tell
    return _file_stream_holds_packets(path, stream.index, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _file_stream_holds_packets(path: str, index: int, size: int, mtime_ns: int) -> bool:
    """(Cached by the file's size and time: every writer asks again.) Reads up to the
    stream's first packet, the whole file when it has none."""
    try:
        with av.open(path, metadata_errors="ignore") as container:
            return any(packet.size for packet in container.demux(container.streams[index]))
    except av.error.FFmpegError:
        return True  # damaged: decoding tells where


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
        audio, audio_note = audio_status(container)
        try:
            first, left_out = _first_frame(container, stream)
        except av.error.FFmpegError as exc:
            raise InputError(f"cannot decode any video frame of {path} ({_reason(exc)})") from None
        if first is None:
            raise InputError(f"no decodable video frames in {path}")
        rotation = normalize_rotation(getattr(first, "rotation", 0))
        duration = float(container.duration / av.time_base) if container.duration else None
        first_time = float(first.time or 0.0)
        declared = declared_duration(container, stream, first_time)
        return StreamProbe(
            coded_width=first.width,
            coded_height=first.height,
            rotation=rotation,
            has_audio=audio is not None,
            container_duration=duration,
            codec=stream.codec_context.name,
            start_time=first_time,
            declared_duration=declared[0] if declared else None,
            declared_exact=declared[1] if declared else True,
            lead_in=max(first_time - left_out, 0.0) if left_out is not None else 0.0,
            audio_note=audio_note,
            audio_channels=audio_channels(audio),
        )
    finally:
        container.close()


def _first_frame(container, stream):
    """The first frame shown, and the time of the earliest packet an edit list left out
    before it (None when none was)."""
    left_out = None
    for packet in container.demux(stream):
        if packet.is_discard and packet.pts is not None:
            time = float(packet.pts * stream.time_base)
            left_out = time if left_out is None else min(left_out, time)
        frames = packet.decode()
        if frames:
            return frames[0], left_out
    return None, left_out


# Containers whose header states the whole duration, written when the recording ended.
_HEADER_DURATION_FORMATS = ("mov", "mp4", "matroska", "webm", "avi")


def declared_duration(container, stream, first_time: float) -> tuple[float, bool] | None:
    """How long the container says the video lasts, measured from its first frame (shown at
    ``first_time``, container seconds), and whether a header written when the recording
    ended says so; None where it says nothing.

    Each statement is measured from its own origin: an MP4 track's duration and FFmpeg's
    estimates from the stream's start, an AVI header's time slots (the frame count only when
    the clock ticks once a frame) likewise, a Matroska segment's duration from timestamp 0
    (a recording that starts at 10 h declares 10 h more than it holds) unless it is
    shorter than that start.
    """
    formats = container.format.name.split(",")
    tb = stream.time_base
    origin = float(stream.start_time * tb) if stream.start_time is not None else first_time
    exact = any(name in _HEADER_DURATION_FORMATS for name in formats)
    if "avi" in formats:
        stated = float(stream.frames * tb) if stream.frames else None
    elif stream.duration:
        stated = float(stream.duration * tb)
    elif container.duration and ("matroska" in formats or "webm" in formats):
        stated = float(container.duration / av.time_base)
        origin = 0.0 if stated > first_time else float((container.start_time or 0) / av.time_base)
    else:
        return None
    if not stated:
        return None
    seconds = stated - (first_time - origin)
    return (seconds, exact) if seconds > 0 else None


def covered_until(frame_times, duration: float) -> float:
    """Where the video's data ends, seconds from its first frame, at the latest: its last
    frame lasts as long as the container says, or as long as the frame before it (a
    container may leave the last frame's duration out, and a 1 fps stretch's frames last 1 s)."""
    if len(frame_times) < 2:
        return duration
    return max(duration, float(2 * frame_times[-1] - frame_times[-2]))


def check_complete(path: Path, frame_times, duration: float, stream: StreamProbe) -> None:
    """A file cut short (an interrupted download) keeps its header: data ending before the
    duration it declares means truncation. ``frame_times`` and ``duration``: the decoder's
    (seconds from the first frame, like the declaration).

    The data must reach the declaration within 0.25 s (or 1%), the last frame counted to
    its end (``covered_until``) together with pictures an edit list leaves out before the
    first. Picture ending up to 2 s (or 2%) early is common (audio outlasting it), so there
    the end of *all* the data (audio included) is what must reach it. A duration that is
    FFmpeg's estimate or a metadata field (not a header written at the end) only needs
    the picture within 2 s (or 2%)."""
    declared = stream.declared_duration
    if not declared:
        return
    tight, loose = max(0.25, 0.01 * declared), max(2.0, 0.02 * declared)
    covered = covered_until(frame_times, duration) + stream.lead_in
    if covered >= declared - (tight if stream.declared_exact else loose):
        return
    end, what = duration, "video data"
    if covered >= declared - loose:
        data = data_end(path, stream.start_time, declared)
        if data is None or data + stream.lead_in >= declared - tight:
            return
        end, what = data, "data (audio included)"
    raise InputError(
        f"{path} is truncated: it declares {declared:.1f} s but its {what} ends after "
        f"{end:.1f} s (an interrupted download or copy?)"
    )


def data_end(path: Path, start: float, declared: float) -> float | None:
    """Where the last packet of any stream ends (seconds from ``start``, the first frame's
    container time), read from the last seconds of the file; None when that cannot be told."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
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
