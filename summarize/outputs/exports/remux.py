"""A copy of the source with chapters (stream copy: no picture or sound is re-encoded).

Chapters live where the container keeps them: Matroska stores each chapter's start and
end; MP4 stores only starts (each chapter ends where the next begins, the last at the
end of the file, and the first is moved to 0), so an MP4 gets chapters that cover the
whole video: kept and skipped stretches alike.
"""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from ...decoding.timecode import counting_rate
from ...errors import InputError, OutputError
from .kept import chapter_title, kept_ranges
from ..summary_json import source_path

MICROSECOND = Fraction(1, 1_000_000)


def kept_chapters(document: dict[str, Any]) -> list[tuple[float, float, str]]:
    """(start, end, title) of each kept run, seconds from the first frame."""
    return [(k.start, k.end, chapter_title(n, k)) for n, k in enumerate(kept_ranges(document), 1)]


def covering_chapters(document: dict[str, Any]) -> list[tuple[float, float, str]]:
    """Kept runs and the skipped stretches between them, from 0 to the end of the video."""
    out, at = [], 0.0
    for start, end, title in kept_chapters(document):
        if start > at:
            out.append((at, start, "Skipped"))
        out.append((start, end, title))
        at = end
    duration = document["input"]["duration"]
    if duration > at:
        out.append((at, duration, "Skipped"))
    return out


def _streams(container) -> list:
    """The streams copied: the first video stream and every audio stream."""
    return list(container.streams.video[:1]) + list(container.streams.audio)


def _open_source(document: dict[str, Any]):
    path = source_path(document)
    try:
        return av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError) as exc:
        raise InputError(f"cannot re-read {path} to copy it with chapters ({exc})") from None


def check_codecs(document: dict[str, Any], fmt: str, name: str) -> None:
    """Refuse ``name`` in one line when the container cannot carry the source's codecs."""
    with _open_source(document) as source:
        supported = av.open(io.BytesIO(), "w", format=fmt).supported_codecs
        for stream in _streams(source):
            codec = stream.codec_context.name if stream.codec_context else "unknown"
            if codec not in supported:
                hint = "; use --export chapters-mkv" if fmt != "matroska" else ""
                raise InputError(f"--export {name}: {document['input']['file_name']} holds {codec} "
                                 f"{stream.type}, which {fmt.upper()} cannot carry{hint}")


def remux(document: dict[str, Any], target: Path, fmt: str, chapters: list[tuple[float, float, str]]) -> None:
    """Copy the source's video and audio packets into ``target`` (container ``fmt``) with ``chapters``.

    A source that cannot be read again, or a packet the muxer refuses, is one line.
    """
    try:
        _remux(document, target, fmt, chapters)
    except av.error.FFmpegError as exc:  # a full disk, a packet the muxer refuses
        raise OutputError(f"cannot write the chaptered copy of {document['input']['file_name']} ({exc})") from None


def _first_timestamps(document: dict[str, Any]) -> tuple[Fraction, Fraction]:
    """The earliest presentation time of any copied packet (negative decoding times are the
    muxers' to handle, as for B-frames), and the presentation time of the first video frame
    shown, in seconds of the source's clock: a picture an MP4 edit list hides (decoded for
    reference, flagged discard) is copied, but the chapters count from the first one shown,
    as the summary does."""
    earliest, video_first, seen = None, None, set()
    with _open_source(document) as source:
        streams = _streams(source)
        video = streams[0]
        for count, packet in enumerate(source.demux(streams)):
            if packet.size:  # not the demuxer's end-of-stream marker (Matroska states no DTS: None)
                stamps = [t * packet.time_base for t in (packet.pts,) if t is not None]
                earliest = min([*stamps, *([earliest] if earliest is not None else [])])
                seen.add(packet.stream.index)
                if packet.stream.index == video.index and packet.pts is not None and not packet.is_discard:
                    first = packet.pts * packet.time_base
                    video_first = first if video_first is None else min(video_first, first)
            if (len(seen) == len(streams) and count > 64) or count > 2000:  # past B-frame reordering
                break
    return earliest or Fraction(0), video_first if video_first is not None else Fraction(0)


def _remux(document: dict[str, Any], target: Path, fmt: str, chapters: list[tuple[float, float, str]]) -> None:
    # Timestamps start at 0 (none negative, so the muxer shifts nothing); the chapters,
    # given from the first frame, move with it.
    shift, video_first = _first_timestamps(document)
    first_us = round((video_first - shift) / MICROSECOND)
    with _open_source(document) as source, av.open(str(target), "w", format=fmt) as out:
        streams = _streams(source)
        out.metadata.update(source.metadata)
        copies = {}
        for stream in streams:
            # The rate: a timecode tag's tmcd track counts at it (not at a millisecond clock's 1000).
            rate = counting_rate(stream) if stream.type == "video" else None
            copy = out.add_stream_from_template(stream, **({"rate": rate} if rate else {}))
            copy.metadata.update(stream.metadata)  # a "timecode" tag becomes the copy's tmcd track
            copies[stream.index] = copy
        out.set_chapters([{"id": n, "start": round(start * 1e6) + first_us, "end": round(end * 1e6) + first_us,
                           "time_base": MICROSECOND, "metadata": {"title": title}}
                          for n, (start, end, title) in enumerate(chapters, 1)])
        for packet in source.demux(streams):
            # The demuxer's end-of-stream marker is empty. A packet without a DTS is not:
            # Matroska states none, so the first pictures before B-frames have none (the
            # keyframe among them); the muxer derives it, as for the source's decoder.
            if not packet.size:
                continue
            offset = round(shift / packet.time_base)
            packet.pts = None if packet.pts is None else packet.pts - offset
            packet.dts = None if packet.dts is None else packet.dts - offset
            packet.stream = copies[packet.stream.index]
            try:
                out.mux(packet)
            except av.error.ArgumentError:  # EINVAL: timestamps this container cannot hold
                raise InputError(_unmuxable(document, fmt, packet)) from None


def _unmuxable(document: dict[str, Any], fmt: str, packet) -> str:
    """Why the source cannot be copied into ``fmt``, in the input's terms (not the output file's)."""
    name = "chapters-mkv" if fmt == "matroska" else f"chapters-{fmt}"
    at = f" near {float(packet.pts * packet.time_base):.2f} s" if packet.pts is not None else ""
    hint = "; --export chapters-mkv copies it" if fmt != "matroska" else ""
    return (f"--export {name}: {document['input']['file_name']} cannot be copied into {fmt.upper()}: its "
            f"{packet.stream.type} packets{at} carry timestamps {fmt.upper()} cannot hold (two frames stamped "
            f"with one time, or out of order){hint}")
