"""PyAV (FFmpeg) decoding: the default on a CPU, and the base of the NVDEC and range decoders."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import ClassVar, Iterator, Sequence

import av
import numpy as np

from ..errors import InputError
from .base import Decoder, FrameBatch, SamplingPlan, SourceFrame, VideoInfo
from .clock import NO_DTS, unwrap_restarts
from .probe import _reason, audio_channels, audio_status, normalize_rotation
from .keyframes import clean_cut_points
from .scaler import to_rgb


def _rotate(frames: np.ndarray, rotation: int) -> np.ndarray:
    """Turn (N, H, W, 3) frames clockwise by ``rotation`` degrees."""
    if rotation == 0:
        return frames
    return np.ascontiguousarray(np.rot90(frames, k=-(rotation // 90), axes=(1, 2)))


def coded_size(size: tuple[int, int] | None, rotation: int) -> tuple[int, int] | None:
    """The (width, height) to scale coded frames to so that, once rotated, they are ``size``."""
    if size is None or rotation in (0, 180):
        return size
    return size[1], size[0]


class PyAVDecoder(Decoder):
    name = "pyav"
    # Only the sampled keyframes' packets reach the decoder (``keyframe_sampling.py``).
    keyframes_only: ClassVar[bool] = False

    def __init__(self, path: Path, size: tuple[int, int] | None, threads: int = 0, salvage: bool = False) -> None:
        self.path = Path(path)
        self.salvage = salvage
        self.damaged_times: list[float] = []  # where packets failed to decode (salvage)
        self.missing: list[tuple[float, float]] = []  # time ranges with no data (salvage)
        try:
            self._container = self._open(path)
        except av.error.FFmpegError as exc:
            raise InputError(f"not a video file FFmpeg can read ({_reason(exc)}): {path}") from None
        if not self._container.streams.video:
            self._container.close()
            raise InputError(f"no video stream in {path}")
        stream = self._container.streams.video[0]
        self._stream = stream
        # Set before the codec opens on the first decode. Valid frames decode bit-exact on
        # any number of threads, damaged ones do not: frame threading reports a damaged
        # packet's error some packets later (how many depends on the thread count), and
        # frame and slice threading both conceal damage differently with the thread count.
        # So --salvage, where damage decides what is kept, decodes on one thread: the same
        # summary whatever the cores or batch jobs (the cost: no decoding in parallel).
        stream.thread_type = "AUTO"
        if salvage:
            stream.thread_count = 1
        elif threads:
            stream.thread_count = threads
        pts, durations = self._index(stream)
        if len(pts) == 0:
            self._container.close()
            raise InputError(f"no decodable video frames in {path}")
        tb = float(stream.time_base)
        order = np.argsort(pts, kind="stable")
        pts = pts[order]
        self._raw_pts = self._raw_pts[order]  # the container's own, restarts and all
        self._start_pts = int(pts[0])
        self._index_of_pts = {int(p): i for i, p in enumerate(pts)}
        self._pts = pts
        self.frame_times = (pts - pts[0]) * tb
        avg_rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        last_duration = durations[order][-1] * tb if durations[order][-1] > 0 else 1.0 / float(avg_rate)
        duration = float(self.frame_times[-1] + last_duration)
        self._check_complete(stream, duration)
        first = self._first_frame()
        self._rotation = normalize_rotation(getattr(first, "rotation", 0))
        width, height = first.width, first.height
        if self._rotation in (90, 270):
            width, height = height, width
        self._size = coded_size(size, self._rotation)
        audio, audio_note = audio_status(self._container)
        self.info = VideoInfo(
            path=str(path),
            width=width,
            height=height,
            n_frames=len(pts),
            duration=duration,
            avg_fps=len(pts) / duration if duration > 0 else float(avg_rate),
            start_time=self._start_pts * tb,
            rotation=self._rotation,
            has_audio=audio is not None,
            backend=self.name,
            audio_note=audio_note,
            audio_channels=audio_channels(audio),
        )

    def _open(self, path: Path):
        return av.open(str(path), metadata_errors="ignore")

    _scout = None

    def watch_cuts(self, scout) -> bool:
        # Frames known by their count or read for salvage may not be the frames a search
        # finds again; NVDEC's pixels are not FFmpeg's to the bit.
        if self.name != "pyav" or self.keyframes_only or self.salvage or self._by_count:
            return False
        self._scout = scout
        return True

    def _index(self, stream) -> tuple[np.ndarray, np.ndarray]:
        """Timestamps of every video packet that is shown, read without decoding. Packets an
        edit list leaves out (before its start: decoded for their references, never shown)
        are counted in ``_packets`` only."""
        pts, dts, durations, keys = [], [], [], []
        self._packets = 0
        try:
            for packet in self._container.demux(stream):
                if packet.size == 0 or packet.pts is None:
                    continue
                self._packets += 1
                if packet.is_discard:
                    continue
                pts.append(packet.pts)
                dts.append(NO_DTS if packet.dts is None else packet.dts)
                durations.append(packet.duration or 0)
                keys.append(packet.is_keyframe)
        except av.error.FFmpegError:
            pass  # a damaged tail: keep what was indexed, decoding will report truncation
        if pts:
            self._container.seek(0, stream=stream)
        pts_array = self._raw_pts = np.asarray(pts, dtype=np.int64)
        unwrapped = unwrap_restarts(pts_array, np.asarray(dts, dtype=np.int64))
        # Timestamps that restart mid-file (concatenated transport streams) repeat: frames
        # are then known by their place in the decoding order, not by their timestamp.
        self._by_count = not np.array_equal(unwrapped, pts_array)
        # Where decoding may start for range-parallel decoding (ranges.py).
        self._cut_points = clean_cut_points(unwrapped, np.asarray(keys, dtype=bool))
        self._keyframe_pts = np.sort(unwrapped[np.asarray(keys, dtype=bool)])  # for keyframe sampling
        return unwrapped, np.asarray(durations, dtype=np.int64)

    def _check_complete(self, stream, duration: float) -> None:
        """A file cut short keeps its header: fewer frames than it declares means truncation.
        (The time it declares is checked for every decoder, ``probe.check_complete``.)"""
        # An AVI header counts time slots, not frames (a file whose clock is finer than its
        # frame rate declares thousands), so only the time it covers can tell truncation.
        declared = (stream.frames or 0) if self._container.format.name != "avi" else 0
        if declared <= 0 or self._packets >= declared:
            return
        if self.salvage:
            stated = float(stream.duration * stream.time_base) if stream.duration else duration
            self.missing.append((duration, max(stated, duration)))
            return
        self._container.close()
        raise InputError(
            f"{self.path} is truncated: it declares {declared} frames but its data ends after "
            f"{self._packets} frames ({duration:.1f} s)"
        )

    def _first_frame(self):
        try:
            frame = next(self._container.decode(self._stream), None)
        except av.error.FFmpegError as exc:
            self._container.close()
            raise InputError(f"cannot decode any video frame of {self.path} ({_reason(exc)})") from None
        if frame is None:
            self._container.close()
            raise InputError(f"no decodable video frames in {self.path}")
        self._container.seek(0, stream=self._stream)
        return frame

    def _convert(self, frame) -> np.ndarray:
        return to_rgb(frame, self._size)

    def _decoded(self, wanted: np.ndarray, container=None, stream=None, lookout=None) -> Iterator:
        """Frames in order, packet by packet, so that damage is known by its time. With
        ``salvage`` a packet the decoder rejects is skipped and its time recorded (the
        frame on screen before it stands in for it); otherwise it is an ``InputError``.

        Pictures no other picture refers to and no sample shows are not decoded: FFmpeg's
        ``skip_frame`` is set packet by packet, so a sampled picture and every reference
        picture decode exactly as before (the samples are bit-identical) and the others
        (B-frames nothing predicts from, about a third of a camera stream at 2 samples/s)
        are skipped. Not when frames are known by their count (restarting timestamps):
        a skipped picture would shift the count. ``container`` and ``stream``: another
        opening of the file (a range decoder's, ranges.py), else this decoder's. ``lookout``
        (where the cut scout watches, ``cut_scout.Lookout``) names skipped pictures to decode
        all the same, beside a likely cut.
        """
        container, stream = container or self._container, stream or self._stream
        tb = float(stream.time_base)
        last_time = 0.0
        needed = None if self._by_count else set(self._pts[np.unique(wanted)].tolist())
        context = stream.codec_context
        try:
            for packet in container.demux(stream):
                if self.keyframes_only and packet.size and (
                        not packet.is_keyframe or (needed is not None and packet.pts not in needed)):
                    continue
                if packet.pts is not None:
                    last_time = (packet.pts - self._start_pts) * tb
                if needed is not None:
                    decode = packet.pts is None or packet.pts in needed
                    if lookout is not None and packet.pts is not None and packet.size:
                        decode = lookout.wants(packet.pts, packet.size, decode)  # (it sees every packet)
                    context.skip_frame = "DEFAULT" if decode else "NONREF"
                try:
                    frames = packet.decode()
                except av.error.EOFError:
                    return
                except av.error.FFmpegError as exc:
                    if not self.salvage:
                        raise InputError(
                            f"{self.path} is damaged at {self._damage_time(last_time):.2f} s of "
                            f"{self.info.duration:.2f} s "
                            f"({_reason(exc)}); --salvage summarizes what decodes"
                        ) from None
                    self.damaged_times.append(last_time)
                    continue
                yield from frames
        finally:
            context.skip_frame = "DEFAULT"

    def _indexed(self, wanted: np.ndarray, lookout=None) -> Iterator[tuple[int, object]]:
        """(frame number, frame) for every frame ``_decoded`` gives: known by its timestamp, or
        by its place in the decoding order when timestamps restart."""
        last_index = -1
        for frame in self._decoded(wanted, lookout=lookout):
            index = last_index + 1
            if frame.pts is not None and not self._by_count:
                index = self._index_of_pts.get(frame.pts, index)
            last_index = index
            yield index, frame

    def _damage_time(self, reported: float) -> float:
        """The time of the first packet that fails to decode, found again on one thread: a
        frame-threaded decoder reports an error some packets after the one that caused it,
        how many depending on its thread count (the message must not)."""
        try:
            container = self._open(self.path)
        except av.error.FFmpegError:
            return reported
        with container:
            stream = container.streams.video[0]
            stream.thread_count = 1
            tb = float(stream.time_base)
            when = 0.0
            try:
                for packet in container.demux(stream):
                    if packet.pts is not None:
                        when = (packet.pts - self._start_pts) * tb
                    try:
                        packet.decode()
                    except av.error.EOFError:
                        break
                    except av.error.FFmpegError:
                        return when
            except av.error.FFmpegError:
                return when
        return reported

    def iter_batches(self, plan: SamplingPlan, batch_size: int) -> Iterator[FrameBatch]:
        wanted = plan.frame_indices
        next_sample = 0
        batch: list[np.ndarray] = []
        batch_start = 0
        last_image = None
        watcher = self._scout.watcher() if self._scout is not None else None
        last_needed = self._scout.last_frame_needed(len(self._pts)) if watcher is not None else -1
        for index, frame in self._indexed(wanted, self._scout.lookout() if watcher is not None else None):
            if watcher is not None:
                watcher.see(index, frame)
            if next_sample >= len(wanted):
                if index >= last_needed:
                    break
                continue
            if index < wanted[next_sample]:
                continue
            image = None
            # Several samples can show the same frame (a long frame in a VFR video),
            # and a frame lost to damage is replaced by the next one decoded.
            while next_sample < len(wanted) and wanted[next_sample] <= index:
                if image is None:
                    image = last_image = self._convert(frame)
                batch.append(image)
                next_sample += 1
                if len(batch) == batch_size:
                    yield FrameBatch(batch_start, _rotate(np.stack(batch), self._rotation))
                    batch_start, batch = next_sample, []
        if watcher is not None:
            watcher.finish()
        if next_sample < len(wanted):
            if not self.salvage or last_image is None:
                raise InputError(
                    f"{self.path} ends early: no frames decode after "
                    f"{plan.times[max(next_sample - 1, 0)]:.1f} s of {self.info.duration:.1f} s "
                    f"(truncated or damaged file; --salvage summarizes what decodes)"
                )
            self.missing.append((float(plan.times[next_sample]), float(self.info.duration)))
            while next_sample < len(wanted):  # the last frame decoded stands for the missing end
                batch.append(last_image)
                next_sample += 1
                if len(batch) == batch_size:
                    yield FrameBatch(batch_start, _rotate(np.stack(batch), self._rotation))
                    batch_start, batch = next_sample, []
        if batch:
            yield FrameBatch(batch_start, _rotate(np.stack(batch), self._rotation))

    def iter_frames(self, ranges: Sequence[tuple[int, int]]) -> Iterator[SourceFrame]:
        """Every frame of the [first, stop) frame-number ``ranges``, in order, as decoded (for
        a writer: source size, not rotated). With ``salvage`` a frame that does not decode
        is stood in for by the last one decoded before it (by the first one after it when
        none did), marked ``concealed``; otherwise damage is an ``InputError``."""
        wanted = np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in ranges] or [np.empty(0, np.int64)])
        tb = float(self._stream.time_base)
        offsets = self._pts - self._raw_pts  # grows by one step at every restart of the clock
        epochs = np.searchsorted(np.unique(offsets), offsets)

        def item(index: int, frame, concealed: bool) -> SourceFrame:
            return SourceFrame(int(index), frame, float(self._raw_pts[index] * tb), int(epochs[index]), concealed)

        at, last, waiting = 0, None, []
        for index, frame in self._indexed(wanted):
            if at >= len(wanted):
                break
            while at < len(wanted) and wanted[at] < index:  # never came out of the decoder
                if last is None:
                    waiting.append(wanted[at])
                else:
                    yield item(wanted[at], last, True)
                at += 1
            for lost in waiting:
                yield item(lost, frame, True)
            waiting = []
            if at < len(wanted) and wanted[at] == index:
                yield item(index, frame, False)
                at += 1
            last = frame
        if at < len(wanted) and last is None:
            raise InputError(f"no frame of {self.path} decodes")
        for lost in [*waiting, *wanted[at:]]:
            yield item(lost, last, True)

    def close(self) -> None:
        self._container.close()
