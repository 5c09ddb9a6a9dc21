"""The summary MP4: the selected shots in time order, H.264 at the source size and timing,
with the source's first audio stream cut at the same instants and re-encoded to AAC."""

from __future__ import annotations

import contextlib
import errno
import os
import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import av
import numpy as np

from ..errors import InputError, OutputError
from ..decoding.base import SourceFrame
from ..decoding.probe import _reason, usable_audio
from ..decoding.clock import ClockWatch
from .nvenc import NVENC, choose_encoder, nvenc_options

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
    # [start, end) source seconds (from the first frame) of frames that did not decode and
    # are shown as the neighbour that stands in for them (--salvage, exact path)
    concealed: list = field(default_factory=list)
    encoder: str = "libx264"  # what encoded the frames that were encoded (h264_nvenc on a GPU that has it)
    encoder_note: str | None = None  # why not the encoder asked for

    def describe(self) -> dict:
        """The JSON's account of how the video was made (keys of ``outputs.video_encoding``)."""
        return {"encoder": self.encoder, **({"encoder_note": self.encoder_note} if self.encoder_note else {})}


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


def _decode_tolerant(container, stream, skip_before: Callable[[], int | None] | None = None) -> Iterator:
    """Decoded frames of ``stream``, skipping packets the decoder rejects: after a seek into
    MPEG program streams, audio starts mid-frame. (A video frame lost this way shows in
    the check of the written file, see ``verify.py``.)

    ``skip_before()``: a timestamp before which no frame will be used; pictures shown
    before it that no other picture refers to are not decoded (FFmpeg's ``skip_frame``),
    which spares part of the decoding from a keyframe up to a cut.
    """
    context = stream.codec_context if skip_before is not None else None
    for packet in container.demux(stream):  # the last packet is empty: it flushes the decoder
        if context is not None:
            limit = skip_before()
            skip = limit is not None and packet.pts is not None and packet.pts < limit
            context.skip_frame = "NONREF" if skip else "DEFAULT"
        try:
            yield from packet.decode()
        except av.error.InvalidDataError:
            continue
        except av.error.EOFError:
            return


def _with_epochs(frames: Iterator) -> Iterator[tuple[int, Any]]:
    """(epoch, frame): how many times the clock restarted (as in concatenated transport
    streams; told as the decoder's index tells it, ``decoding.clock``) before each frame."""
    epoch, watch = 0, ClockWatch()
    for frame in frames:
        if watch.restarts(frame.pts, frame.dts):
            epoch += 1
        yield epoch, frame


class Cutter:
    """Decodes one stream of the source and yields its frames inside successive time ranges."""

    def __init__(self, path: Path, kind: str, threads: int = 0) -> None:
        self.path, self.threads = path, threads
        self.container = av.open(str(path), metadata_errors="ignore")
        self.stream = usable_audio(self.container) if kind == "audio" else self.container.streams.video[0]
        self._configure()
        self.frames: _Peekable | None = None
        self.skip_before: int | None = None  # video: nothing shown before this pts is wanted
        self.position = -np.inf
        self.count = 0  # frames decoded since the start (frames_by_index)
        self.sequential: _Peekable | None = None  # (epoch, frame) from the start (frames_by_index, frames_in_epoch)
        self.sequential_at = (0, -np.inf)

    def frames_between(self, start: float, stop: float) -> Iterator:
        """Frames with start <= time < stop (absolute container seconds)."""
        if self.frames is None or start < self.position - TIME_TOLERANCE or start - self.position > SEEK_GAP:
            self._seek(max(int(start / self.stream.time_base), 0))
            skip = (lambda: self.skip_before) if self.stream.type == "video" else None
            self.frames = _Peekable(_decode_tolerant(self.container, self.stream, skip))
        if self.stream.type == "video":
            self.skip_before = int(np.floor((start - TIME_TOLERANCE) / self.stream.time_base))
        for frame in self.frames:
            if frame.pts is None:
                continue
            self.position = float(frame.pts * self.stream.time_base)
            place = self._place(frame, start, stop)
            if place == "before":
                continue
            if place != "inside":
                self.frames.push_back(frame)  # "after", or "across": it holds the next range's start too
                if place == "across":
                    yield frame
                return
            yield frame

    def _configure(self) -> None:
        self.stream.thread_type = "AUTO"
        if self.threads:
            self.stream.thread_count = self.threads

    def _seek(self, target: int) -> None:
        """Seek to ``target`` (stream ticks), or read the stream from the start where it cannot
        be sought (FFmpeg has no index for it: a track of some Matroska files): frames before
        the target are then decoded and passed over."""
        try:
            self.container.seek(target, stream=self.stream, backward=True)
            return
        except av.error.FFmpegError:
            pass
        index = self.stream.index
        self.container.close()
        try:
            self.container = av.open(str(self.path), metadata_errors="ignore")
        except av.error.FFmpegError as exc:
            raise InputError(f"cannot re-read {self.path} to write its summary ({_reason(exc)})") from None
        self.stream = self.container.streams[index]
        self._configure()
        self.frames = self.sequential = None  # they read the closed container

    def _place(self, frame, start: float, stop: float) -> str:
        """Where ``frame`` lies against [start, stop): before, inside, across the stop (audio
        that also holds the start of the next range: the next call must see it again,
        pushed back before it is handed on, as the caller may stop reading once it has
        enough) or after."""
        time = float(frame.pts * self.stream.time_base)
        end = time + (frame.samples / frame.sample_rate if self.stream.type == "audio" else 0.0)
        if self.stream.type == "audio" and end <= start + TIME_TOLERANCE:
            return "before"
        if self.stream.type == "video" and time < start - TIME_TOLERANCE:
            return "before"
        if time >= stop - TIME_TOLERANCE:
            return "after"
        if self.stream.type == "audio" and end > stop + TIME_TOLERANCE:
            return "across"
        return "inside"

    def _from_start(self) -> _Peekable:
        self._seek(0)
        self.count, self.sequential_at = 0, (0, -np.inf)
        self.sequential = _Peekable(_with_epochs(_decode_tolerant(self.container, self.stream)))
        return self.sequential

    def frames_by_index(self, first: int, stop: int) -> Iterator[SourceFrame]:
        """Frames number ``first`` to ``stop - 1`` in presentation order, decoding the file
        sequentially from its start and counting (the exact path: no seeking, no timestamps)."""
        self.skip_before = None  # frames are counted: every one is decoded
        frames = self._from_start() if self.sequential is None or first < self.count else self.sequential
        tb = self.stream.time_base
        for epoch, frame in frames:
            index, self.count = self.count, self.count + 1
            if index < first:
                continue
            yield SourceFrame(index, frame, float(frame.pts * tb) if frame.pts is not None else np.nan, epoch)
            if index + 1 >= stop:
                return

    def frames_in_epoch(self, epoch: int, start: float, stop: float) -> Iterator:
        """``frames_between`` on the clock's ``epoch``-th run (see ``_with_epochs``), decoding
        sequentially from the start: where the clock restarts, a time alone names several
        places (the exact path's audio, which follows the frames written)."""
        frames = self.sequential
        if frames is None or (epoch, start) < self.sequential_at:
            frames = self._from_start()
        for item in frames:
            at, frame = item
            if frame.pts is None:
                continue
            place = "before" if at < epoch else "after" if at > epoch else self._place(frame, start, stop)
            if place in ("before", "inside"):  # consumed: a later range starts after it
                self.sequential_at = (at, float(frame.pts * self.stream.time_base))
            if place == "before":
                continue
            if place != "inside":
                frames.push_back(item)
                if place == "across":
                    yield frame
                return
            yield frame

    def close(self) -> None:
        self.container.close()



def _even(n: int) -> int:
    return max(2, n - n % 2)


def write_summary_video(source: str | Path, segments: Sequence[tuple[float, float]], destination: str | Path,
                        *, start_time: float = 0.0, rotation: int = 0, preset: str = "superfast",
                        crf: int = 23, progress: Callable[[float], None] | None = None,
                        threads: int = 0, exact_frames: Sequence[tuple[int, int]] | None = None,
                        frame_times: np.ndarray | None = None, conceal: bool = False,
                        nvenc: bool = False) -> VideoWriteStats:
    """Write ``segments`` ([start, stop) seconds from the first frame) of ``source`` to ``destination``.

    Shots keep their own frame timing (variable frame rate included); the output clock
    advances by each shot's length, and the audio of each shot is trimmed or padded with
    silence to exactly that length, so picture and sound stay in sync across cuts.
    ``threads`` caps the threads of the decoder and of x264 (0: FFmpeg's choice, all cores).

    ``exact_frames`` (the [first, stop) frame numbers of each segment) and ``frame_times``
    (start of every source frame, seconds from the first) select the exact path: the
    picture is decoded sequentially from the start of the file and frames are taken by
    their number, for files whose timestamps or seeking cannot be trusted; it re-encodes.
    There each shot's sound is cut from the first written frame's own time, on the same
    run of the clock (timestamps that restart mid-file name several places), for as long
    as the shot lasts: the sound follows the frames written. With ``conceal`` (--salvage)
    frames are known by their timestamps as the salvage decoder indexed them, and a frame
    that does not decode is shown as the last one that did (``VideoWriteStats.concealed``
    says where). Otherwise every frame is re-encoded (``smartcut.write_cut_video`` copies
    what it can of H.264 sources, and calls this for the rest). ``nvenc``: encode on the
    GPU's NVENC when it opens (see ``nvenc.py``), else with libx264 and a note.
    """
    source, destination = Path(source), Path(destination)
    with contextlib.ExitStack() as stack:
        try:
            video = Cutter(source, "video", threads)
            stack.callback(video.close)
            if usable_audio(video.container) is not None:
                audio = Cutter(source, "audio")
                stack.callback(audio.close)
            else:
                audio = None
        except av.error.FFmpegError as exc:  # moved, deleted or replaced since it was analysed
            raise InputError(f"cannot re-read {source} to write its summary ({_reason(exc)})") from None
        exact = None
        if exact_frames is not None:
            if conceal:
                from ..decoding.pyav_backend import PyAVDecoder

                decoder = PyAVDecoder(source, None, salvage=True)
                stack.callback(decoder.close)
                frames = decoder.iter_frames(exact_frames)
            else:
                frames = itertools.chain.from_iterable(video.frames_by_index(a, b) for a, b in exact_frames)
            exact = (exact_frames, np.asarray(frame_times, dtype=np.float64), frames)
        return write_mp4(source, destination, lambda out: _write(video, audio, out, segments, start_time, rotation,
                                                                 preset, crf, progress, threads, exact, nvenc))


def write_mp4(source: Path, destination: Path, write: Callable[[Any], Any]) -> Any:
    """Open ``destination`` as an MP4, fill it with ``write(out)`` and close it, turning every
    failure into one line: the destination's (no folder, disk full, even at the close, where
    the muxer writes its index) or the source's. Every summary writer goes through here."""
    if not destination.parent.is_dir():  # FFmpeg would only notice when it first writes
        raise OutputError(f"cannot write {destination} (no such folder)")
    try:
        out = av.open(str(destination), "w", format="mp4", options={"movflags": "+faststart"})
    except av.error.FFmpegError as exc:
        raise OutputError(f"cannot write {destination} ({_reason(exc)})") from None
    closed = False
    try:
        result = write(out)
        closed = True
        out.close()
        return result
    except OSError as exc:
        raise OutputError(f"cannot write {destination} ({exc.strerror or exc})") from None
    except av.error.FFmpegError as exc:
        # FFmpeg does not say which file failed: a system error while the source is
        # still readable is the destination's (disk full, folder removed, ...).
        if getattr(exc, "errno", None) in _OUTPUT_ERRNOS and os.access(source, os.R_OK):
            raise OutputError(f"cannot write {destination} ({_reason(exc)})") from None
        raise InputError(f"cannot re-read {source} while writing the summary ({_reason(exc)})") from None
    finally:
        if not closed:
            with contextlib.suppress(av.error.FFmpegError, OSError):
                out.close()


def _write(video: Cutter, audio: Cutter | None, out, segments, start_time, rotation, preset, crf,
           progress, threads=0, exact=None, nvenc=False) -> VideoWriteStats:
    vs = video.stream
    rate = vs.average_rate or vs.guessed_rate or Fraction(30)
    width, height = _even(vs.codec_context.width), _even(vs.codec_context.height)
    encoder, encoder_note = choose_encoder(width, height, nvenc)
    ov = out.add_stream(encoder, rate=rate)
    ov.width, ov.height = width, height
    ov.pix_fmt = "yuv420p"
    ov.time_base = vs.time_base  # keep the source's frame timing exactly
    ov.codec_context.time_base = vs.time_base
    ov.options = nvenc_options(preset, crf) if encoder == NVENC else {"preset": preset, "crf": str(crf)}
    ov.thread_type = "AUTO"
    if threads:
        ov.thread_count = threads
    if rotation:
        ov.set_display_rotation(-rotation)  # display matrices turn counter-clockwise

    oa, resampler, fifo, sample_rate = add_audio(out, audio)

    tb = float(vs.time_base)
    total = sum(stop - start for start, stop in segments) or 1.0
    clock = 0.0  # output seconds written so far
    frames = samples = 0
    last_pts = -1
    concealed: list[int] = []
    for number, (start, stop) in enumerate(segments):
        abs_start, abs_stop = start_time + start, start_time + stop
        shot: dict[str, Any] = {}
        for offset, frame in _shot_frames(video, abs_start, abs_stop, exact, number, shot):
            if frame.format.name != "yuv420p" or frame.width != ov.width or frame.height != ov.height:
                frame = frame.reformat(width=ov.width, height=ov.height, format="yuv420p")
            # Never a time already written: a source whose timestamps repeat or go back (a
            # looped copy, a bogus AVI) would make the muxer refuse the file; the check after
            # writing tells whether the shot still holds what it should.
            frame.pts = last_pts = max(int(round((clock + max(offset, 0.0)) / tb)), last_pts + 1)
            frame.time_base = vs.time_base
            frame.pict_type = 0  # let x264 place its own keyframes
            out.mux(ov.encode(frame))
            frames += 1
            if progress is not None:
                progress(min((clock + offset) / total, 1.0))
        concealed += shot.get("concealed", [])
        if oa is not None:
            epoch, audio_start = shot.get("anchor", (None, abs_start))  # exact path: from the frames written
            samples += cut_audio(audio, resampler, fifo, oa, out, audio_start, audio_start + stop - start, clock,
                                  sample_rate, epoch=epoch)
        clock += stop - start
    out.mux(ov.encode(None))
    if oa is not None:
        drain(fifo, oa, out, final=True)
        out.mux(oa.encode(None))
    if progress is not None:
        progress(1.0)
    return VideoWriteStats(frames=frames, duration=clock, audio_samples=samples, sample_rate=sample_rate,
                           concealed=_index_ranges(concealed, exact[1]) if exact is not None else [],
                           encoder=encoder, encoder_note=encoder_note)


def _shot_frames(video: Cutter, abs_start: float, abs_stop: float, exact, number: int,
                 shot: dict[str, Any]) -> Iterator:
    """(seconds from the shot's start, frame) for every frame of one shot. On the exact path
    ``shot`` receives ``anchor``, the (epoch, container time) the shot's first frame was
    shown at (so its sound can be cut from there), and the ``concealed`` frame numbers."""
    if exact is None:
        for frame in video.frames_between(abs_start, abs_stop):
            yield float(frame.pts * video.stream.time_base) - abs_start, frame
        return
    ranges, frame_times, frames = exact
    first, stop = ranges[number]
    for item in itertools.islice(frames, stop - first):
        offset = float(frame_times[item.index] - frame_times[first])
        if item.concealed:
            shot.setdefault("concealed", []).append(item.index)
        elif "anchor" not in shot and np.isfinite(item.time):
            shot["anchor"] = (item.epoch, item.time - offset)
        yield offset, item.frame


def _index_ranges(indices: Sequence[int], frame_times: np.ndarray) -> list[tuple[float, float]]:
    """Frame numbers as merged [start, end) seconds (the last frame lasts as long as the one before it)."""
    ranges: list[list[float]] = []
    for index in sorted(set(indices)):
        start = float(frame_times[index])
        if index + 1 < len(frame_times):
            end = float(frame_times[index + 1])
        else:
            end = start + (float(frame_times[-1] - frame_times[-2]) if len(frame_times) > 1 else 0.0)
        if ranges and abs(ranges[-1][1] - start) < 1e-9:
            ranges[-1][1] = end
        else:
            ranges.append([start, end])
    return [(round(a, 6), round(b, 6)) for a, b in ranges]
def add_audio(out, audio: Cutter | None):
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


def cut_audio(audio: Cutter, resampler, fifo, oa, out, abs_start, abs_stop, clock, rate,
               epoch: int | None = None) -> int:
    """Append exactly the samples of [abs_start, abs_stop) to the FIFO, padding with silence
    (on the clock's ``epoch``-th run when given, see ``Cutter.frames_in_epoch``)."""
    wanted = int(round((clock + abs_stop - abs_start) * rate)) - int(round(clock * rate))
    written = 0
    layout = oa.codec_context.layout.name
    channels = oa.codec_context.layout.nb_channels
    found = audio.frames_between(abs_start, abs_stop) if epoch is None else \
        audio.frames_in_epoch(epoch, abs_start, abs_stop)
    for frame in found:
        first_time = float(frame.pts * audio.stream.time_base)
        for chunk in resampler.resample(frame):
            data = chunk.to_ndarray()
            at = int(round((first_time - abs_start) * rate))  # where this chunk starts in the shot
            first_time += data.shape[1] / rate
            if at > written:  # the sound starts late (or has a gap) here: silence keeps the sync
                gap = min(at, wanted) - written
                _push(fifo, np.zeros((channels, gap), dtype=np.float32), layout, rate)
                written += gap
            skip = max(written - at, 0)
            data = data[:, skip : skip + wanted - written]
            if data.shape[1]:
                _push(fifo, data, layout, rate)
                written += data.shape[1]
        if written >= wanted:
            break
    if written < wanted:  # the audio track is shorter than the picture here: keep sync with silence
        _push(fifo, np.zeros((channels, wanted - written), dtype=np.float32), layout, rate)
    drain(fifo, oa, out, final=False)
    return wanted


def _push(fifo, data: np.ndarray, layout: str, rate: int) -> None:
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data, dtype=np.float32), format="fltp", layout=layout)
    frame.sample_rate = rate
    frame.pts = None
    fifo.write(frame)


def drain(fifo, oa, out, final: bool) -> None:
    size = oa.codec_context.frame_size or 1024
    while fifo.samples >= size or (final and fifo.samples > 0):
        frame = fifo.read(min(size, fifo.samples) if final else size)
        frame.pts = fifo.samples_read - frame.samples
        frame.time_base = Fraction(1, frame.sample_rate)
        out.mux(oa.encode(frame))
