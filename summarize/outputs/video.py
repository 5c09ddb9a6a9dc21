"""The summary MP4: the selected shots in time order, H.264 at the source size and timing,
with the source's first audio stream cut at the same instants and re-encoded to AAC."""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator, Sequence

import av
import numpy as np

from ..errors import InputError, OutputError
from ..decoding.probe import _reason

# Keep decoding forward instead of seeking when the next shot starts within this many
# seconds: decoding a short gap is cheaper than seeking back to a keyframe.
SEEK_GAP = 2.0
# Frames and audio are matched to shot edges with this tolerance (well under a frame).
TIME_TOLERANCE = 1e-4
# Channel layouts the summary's AAC track takes, by the source's channel count (else stereo).
AAC_LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.ENOENT, errno.EACCES, errno.EPERM, errno.EROFS}


@dataclass
class VideoWriteStats:
    frames: int
    duration: float
    audio_samples: int
    sample_rate: int | None


class _Peekable:
    """A decode iterator that can hand back the frame that ended the previous shot."""

    def __init__(self, iterator: Iterator) -> None:
        self.iterator, self.pending = iterator, None

    def __iter__(self):
        return self

    def __next__(self):
        if self.pending is not None:
            item, self.pending = self.pending, None
            return item
        return next(self.iterator)

    def push_back(self, item) -> None:
        self.pending = item


class _Cutter:
    """Decodes one stream of the source and yields its frames inside successive time ranges."""

    def __init__(self, path: Path, kind: str, threads: int = 0) -> None:
        self.container = av.open(str(path), metadata_errors="ignore")
        self.stream = getattr(self.container.streams, kind)[0]
        self.stream.thread_type = "AUTO"
        if threads:
            self.stream.thread_count = threads
        self.frames: _Peekable | None = None
        self.position = -np.inf

    def frames_between(self, start: float, stop: float) -> Iterator:
        """Frames with start <= time < stop (absolute container seconds)."""
        if self.frames is None or start < self.position - TIME_TOLERANCE or start - self.position > SEEK_GAP:
            self.container.seek(max(int(start / self.stream.time_base), 0), stream=self.stream, backward=True)
            self.frames = _Peekable(self.container.decode(self.stream))
        for frame in self.frames:
            if frame.pts is None:
                continue
            time = float(frame.pts * self.stream.time_base)
            self.position = time
            end = time + (frame.samples / frame.sample_rate if self.stream.type == "audio" else 0.0)
            if self.stream.type == "audio" and end <= start + TIME_TOLERANCE:
                continue
            if self.stream.type == "video" and time < start - TIME_TOLERANCE:
                continue
            if time >= stop - TIME_TOLERANCE:
                self.frames.push_back(frame)
                return
            yield frame

    def close(self) -> None:
        self.container.close()


def _even(n: int) -> int:
    return max(2, n - n % 2)


def write_summary_video(source: str | Path, segments: Sequence[tuple[float, float]], destination: str | Path,
                        *, start_time: float = 0.0, rotation: int = 0, preset: str = "superfast",
                        crf: int = 23, progress: Callable[[float], None] | None = None,
                        threads: int = 0, cut: str | None = None) -> VideoWriteStats:
    """Write ``segments`` ([start, stop) seconds from the first frame) of ``source`` to ``destination``.

    Shots keep their own frame timing (variable frame rate included); the output clock
    advances by each shot's length, and the audio of each shot is trimmed or padded with
    silence to exactly that length, so picture and sound stay in sync across cuts.
    ``threads`` caps the threads of the decoder and of x264 (0: FFmpeg's choice, all cores).
    ``cut`` (exact, keyframe or reencode) hands the job to ``smartcut.write_cut_video``, which
    copies what it can of H.264 sources; None re-encodes every frame here.
    """
    if cut is not None:
        from .smartcut import write_cut_video

        return write_cut_video(source, segments, destination, cut=cut, start_time=start_time, rotation=rotation,
                               preset=preset, crf=crf, progress=progress, threads=threads)
    source, destination = Path(source), Path(destination)
    with contextlib.ExitStack() as stack:
        try:
            video = _Cutter(source, "video", threads)
            stack.callback(video.close)
            if video.container.streams.audio:
                audio = _Cutter(source, "audio")
                stack.callback(audio.close)
            else:
                audio = None
        except av.error.FFmpegError as exc:  # moved, deleted or replaced since it was analysed
            raise InputError(f"cannot re-read {source} to write its summary ({_reason(exc)})") from None
        if not destination.parent.is_dir():  # FFmpeg would only notice when it first writes
            raise OutputError(f"cannot write {destination} (no such folder)")
        try:
            out = av.open(str(destination), "w", format="mp4", options={"movflags": "+faststart"})
        except av.error.FFmpegError as exc:
            raise OutputError(f"cannot write {destination} ({_reason(exc)})") from None
        stack.callback(out.close)
        try:
            return _write(video, audio, out, segments, start_time, rotation, preset, crf, progress, threads)
        except av.error.FFmpegError as exc:
            # FFmpeg does not say which file failed: a system error while the source is
            # still readable is the destination's (disk full, folder removed, ...).
            if getattr(exc, "errno", None) in _OUTPUT_ERRNOS and os.access(source, os.R_OK):
                raise OutputError(f"cannot write {destination} ({_reason(exc)})") from None
            raise InputError(f"cannot re-read {source} while writing the summary ({_reason(exc)})") from None


def _write(video: _Cutter, audio: _Cutter | None, out, segments, start_time, rotation, preset, crf,
           progress, threads=0) -> VideoWriteStats:
    vs = video.stream
    rate = vs.average_rate or vs.guessed_rate or Fraction(30)
    ov = out.add_stream("libx264", rate=rate)
    ov.width, ov.height = _even(vs.codec_context.width), _even(vs.codec_context.height)
    ov.pix_fmt = "yuv420p"
    ov.time_base = vs.time_base  # keep the source's frame timing exactly
    ov.codec_context.time_base = vs.time_base
    ov.options = {"preset": preset, "crf": str(crf)}
    ov.thread_type = "AUTO"
    if threads:
        ov.thread_count = threads
    if rotation:
        ov.set_display_rotation(-rotation)  # display matrices turn counter-clockwise

    oa, resampler, fifo, sample_rate = _add_audio(out, audio)

    tb = float(vs.time_base)
    total = sum(stop - start for start, stop in segments) or 1.0
    clock = 0.0  # output seconds written so far
    frames = samples = 0
    for start, stop in segments:
        abs_start, abs_stop = start_time + start, start_time + stop
        for frame in video.frames_between(abs_start, abs_stop):
            offset = float(frame.pts * vs.time_base) - abs_start
            if frame.format.name != "yuv420p" or frame.width != ov.width or frame.height != ov.height:
                frame = frame.reformat(width=ov.width, height=ov.height, format="yuv420p")
            frame.pts = int(round((clock + max(offset, 0.0)) / tb))
            frame.time_base = vs.time_base
            frame.pict_type = 0  # let x264 place its own keyframes
            out.mux(ov.encode(frame))
            frames += 1
            if progress is not None:
                progress(min((clock + offset) / total, 1.0))
        if oa is not None:
            samples += _cut_audio(audio, resampler, fifo, oa, out, abs_start, abs_stop, clock, sample_rate)
        clock += stop - start
    out.mux(ov.encode(None))
    if oa is not None:
        _drain(fifo, oa, out, final=True)
        out.mux(oa.encode(None))
    if progress is not None:
        progress(1.0)
    return VideoWriteStats(frames=frames, duration=clock, audio_samples=samples, sample_rate=sample_rate)


def _add_audio(out, audio: _Cutter | None):
    """The summary's AAC stream for ``audio``'s source stream: (stream, resampler, FIFO, rate)."""
    if audio is None:
        return None, None, None, None
    src = audio.stream.codec_context
    sample_rate = src.sample_rate or 48000
    # By channel count: PCM in AVI or WAV often has no channel mask ("1 channels"),
    # a layout the AAC encoder refuses.
    layout = AAC_LAYOUTS.get(src.layout.nb_channels if src.layout else 2, "stereo")
    oa = out.add_stream("aac", rate=sample_rate, layout=layout)
    oa.bit_rate = 96_000 * min(oa.codec_context.layout.nb_channels, 2)
    return oa, av.AudioResampler(format="fltp", layout=layout, rate=sample_rate), av.AudioFifo(), sample_rate


def _cut_audio(audio: _Cutter, resampler, fifo, oa, out, abs_start, abs_stop, clock, rate) -> int:
    """Append exactly the samples of [abs_start, abs_stop) to the FIFO, padding with silence."""
    wanted = int(round((clock + abs_stop - abs_start) * rate)) - int(round(clock * rate))
    written = 0
    layout = oa.codec_context.layout.name
    for frame in audio.frames_between(abs_start, abs_stop):
        first_time = float(frame.pts * audio.stream.time_base)
        for chunk in resampler.resample(frame):
            data = chunk.to_ndarray()
            skip = max(int(round((abs_start - first_time) * rate)), 0)
            first_time += data.shape[1] / rate
            data = data[:, skip : skip + wanted - written]
            if data.shape[1]:
                _push(fifo, data, layout, rate)
                written += data.shape[1]
        if written >= wanted:
            break
    if written < wanted:  # the audio track is shorter than the picture here: keep sync with silence
        channels = oa.codec_context.layout.nb_channels
        _push(fifo, np.zeros((channels, wanted - written), dtype=np.float32), layout, rate)
    _drain(fifo, oa, out, final=False)
    return wanted


def _push(fifo, data: np.ndarray, layout: str, rate: int) -> None:
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data, dtype=np.float32), format="fltp", layout=layout)
    frame.sample_rate = rate
    frame.pts = None
    fifo.write(frame)


def _drain(fifo, oa, out, final: bool) -> None:
    size = oa.codec_context.frame_size or 1024
    while fifo.samples >= size or (final and fifo.samples > 0):
        frame = fifo.read(min(size, fifo.samples) if final else size)
        frame.pts = fifo.samples_read - frame.samples
        frame.time_base = Fraction(1, frame.sample_rate)
        out.mux(oa.encode(frame))
