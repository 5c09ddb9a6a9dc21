"""The summary MP4 without a full re-encode: H.264 sources are cut by copying their coded
pictures, and only the pieces that cannot be copied are encoded again.

``--cut exact`` (the default, "smart cut"): inside each kept shot, from its first IDR
keyframe on, the coded pictures are copied bit for bit: every whole group of pictures, then
the start of the last one up to the last point where the pictures decoded are exactly the
first ones shown (B-frames are decoded after the picture they precede). Only the frames
between the shot's start and its first keyframe, and the few after that last point (fewer
than the B-frames in a row), are decoded and re-encoded, on threads beside the copying,
while the sound is cut and encoded on another. The frames and times written are exactly
those of the re-encoding writer (``summarize.outputs.video``), so the summary can be
verified the same way. ``--cut keyframe`` moves every shot edge to the nearest keyframe and copies
everything (no encoding at all; shots grow or shrink by up to half a GOP). ``--cut
reencode`` is the full re-encode. Audio is always cut at the written video's edges and
encoded to AAC, so sound stays in sync across cuts.

The re-encoded pieces carry their own sequence and picture parameter sets under ids the
source does not use, stored beside the source's in the MP4's ``avcC`` box: one H.264
track that any decoder switches between at the IDR frames where the pieces start.
Sources that cannot be copied this way (another codec, not 8-bit 4:2:0, no ``avcC``,
open GOPs without usable keyframes) are re-encoded whole, and the result says why.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable, Sequence

import av
import numpy as np

from ..decoding.keyframes import clean_cut_points, clean_prefix_ends
from ..decoding.probe import _reason, usable_audio
from ..ahead import Ahead
from ..errors import InputError
from .video import (TIME_TOLERANCE, Cutter, VideoWriteStats, add_audio, cut_audio, drain, write_mp4,
                    write_summary_video)

CUT_MODES = ("exact", "keyframe", "reencode")
DEFAULT_CUT = "exact"
_PROFILES = {66: "baseline", 77: "main", 100: "high"}  # H.264 profile_idc -> x264 --profile
# The short pieces between copied GOPs, at the default --preset superfast, are encoded with
# x264 ultrafast plus CABAC at a CRF 3 lower: on 720p30 camera grain that measured 40% less
# encoding time per frame for a smaller bitrate (5.2 against 7.3 Mbit/s) and a higher
# PSNR against the source (48.1 against 47.8 dB); on clean scenes the same bitrate with
# 0.7 dB more. Other presets are used as asked.
_PIECE_SETTINGS = {"superfast": ("ultrafast", -3, "cabac=1:")}


_PIECES_ON_X264 = ("the pieces of the smart cut were encoded with libx264: h264_nvenc cannot give its parameter "
                   "sets the ids they need")


def _piece_threads(pieces: int, threads: int) -> tuple[int, int]:
    """(pieces encoded side by side, decoder and x264 threads each). Short pieces are many:
    one thread each uses the cores with the least overhead; ``threads`` (the user's cap)
    is one piece at a time with that many threads."""
    if threads:
        return 1, threads
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = max(1, min(pieces, cores, 4))
    return workers, max(1, cores // workers)


class _Sink:
    """Stands for the output container on the sound's thread: what it would mux is handed on."""

    def __init__(self, put) -> None:
        self.put = put

    def mux(self, packets) -> None:
        for packet in packets if isinstance(packets, list) else [packets]:
            self.put(packet)


@dataclass
class CutStats(VideoWriteStats):
    """What was written: ``cut`` is the method used (``reencode`` when the one asked for
    could not be, with ``note`` saying why); ``segments`` the [start, end) source seconds
    (from the first frame) of the written pieces, in order."""

    cut: str = "reencode"
    copied_frames: int = 0
    reencoded_frames: int = 0
    segments: list[tuple[float, float]] = field(default_factory=list)
    note: str | None = None

    def describe(self) -> dict:
        """The JSON's account of how the video was made (keys of ``outputs.video_encoding``)."""
        return {**super().describe(), "encoder": self.encoder if self.reencoded_frames else "copy",
                "cut": {"method": self.cut, "copied_frames": self.copied_frames,
                        "reencoded_frames": self.reencoded_frames, "note": self.note}}


class CannotCopy(Exception):
    """The source cannot be cut by copying (the message says why); it is re-encoded instead."""


def write_cut_video(source: str | Path, segments: Sequence[tuple[float, float]], destination: str | Path, *,
                    cut: str = DEFAULT_CUT, start_time: float = 0.0, rotation: int = 0, preset: str = "superfast",
                    crf: int = 23, progress: Callable[[float], None] | None = None, threads: int = 0,
                    nvenc: bool = False) -> CutStats:
    """``video.write_summary_video`` with a choice of how: ``cut`` is one of ``CUT_MODES``
    (``reencode`` is ``write_summary_video`` itself). ``nvenc``: a full re-encode is encoded on
    the GPU's NVENC when it opens; the pieces of a smart cut stay on x264 (see ``nvenc.py``)."""
    if cut not in CUT_MODES:
        raise ValueError(f"unknown cut {cut!r}; choose one of: {', '.join(CUT_MODES)}")
    kwargs = dict(start_time=start_time, rotation=rotation, preset=preset, crf=crf, progress=progress,
                  threads=threads)
    note = None
    if cut != "reencode":
        try:
            stats = _SmartCut(Path(source), Path(destination), cut, **kwargs).write(segments)
            if nvenc and stats.reencoded_frames:
                stats.encoder_note = _PIECES_ON_X264
            return stats
        except CannotCopy as exc:  # the destination is a temporary file: start it again
            note = f"{cut} cut not possible ({exc}): re-encoded"
    stats = write_summary_video(source, segments, destination, nvenc=nvenc, **kwargs)  # every frame
    return CutStats(**asdict(stats), cut="reencode", reencoded_frames=stats.frames,
                    segments=[(float(a), float(b)) for a, b in segments], note=note)


# --- H.264 parameter sets -------------------------------------------------------------

def _rbsp(nal: bytes) -> bytes:
    """The NAL unit's payload without emulation-prevention bytes (00 00 03 -> 00 00)."""
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _ue(data: bytes, bit: int) -> tuple[int, int]:
    """An Exp-Golomb number at ``bit``: (value, next bit)."""
    zeros = 0
    while not (data[(bit + zeros) // 8] >> (7 - (bit + zeros) % 8)) & 1:
        zeros += 1
    bit += zeros + 1
    value = 0
    for _ in range(zeros):
        value = (value << 1) | ((data[bit // 8] >> (7 - bit % 8)) & 1)
        bit += 1
    return (1 << zeros) - 1 + value, bit


def sps_id(sps: bytes) -> int:
    return _ue(_rbsp(sps), 32)[0]  # after the NAL header, profile, constraint flags and level


def pps_ids(pps: bytes) -> tuple[int, int]:
    """(pps id, sps id) of a picture parameter set."""
    payload = _rbsp(pps)
    pps, bit = _ue(payload, 8)
    return pps, _ue(payload, bit)[0]


@dataclass
class AvcC:
    """An ``avcC`` box (ISO/IEC 14496-15): the stream's parameter sets, out of band."""

    profile: int
    compatibility: int
    level: int
    length_size: int
    sps: list[bytes]
    pps: list[bytes]
    tail: bytes  # the High-profile chroma/bit-depth fields, kept as they are

    @classmethod
    def parse(cls, data: bytes) -> "AvcC":
        if len(data) < 7 or data[0] != 1:
            raise CannotCopy("the stream's parameter sets are not in an avcC box")
        at = 6
        sets: list[list[bytes]] = []
        for count_mask in (0x1F, 0xFF):
            count = data[at - 1] & count_mask
            items = []
            for _ in range(count):
                size = int.from_bytes(data[at : at + 2], "big")
                items.append(bytes(data[at + 2 : at + 2 + size]))
                at += 2 + size
            sets.append(items)
            at += 1
        return cls(data[1], data[2], data[3], (data[4] & 3) + 1, sets[0], sets[1], bytes(data[at - 1 :]))

    def to_bytes(self) -> bytes:
        out = bytearray([1, self.profile, self.compatibility, self.level, 0xFC | (self.length_size - 1),
                         0xE0 | len(self.sps)])
        for sps in self.sps:
            out += len(sps).to_bytes(2, "big") + sps
        out.append(len(self.pps))
        for pps in self.pps:
            out += len(pps).to_bytes(2, "big") + pps
        return bytes(out + self.tail)


def _annexb_units(data: bytes) -> list[bytes]:
    """NAL units of an Annex B byte stream (00 00 01 / 00 00 00 01 start codes)."""
    units, at = [], data.find(b"\x00\x00\x01")
    while at >= 0:
        start = at + 3
        nxt = data.find(b"\x00\x00\x01", start)
        end = len(data) if nxt < 0 else nxt
        units.append(data[start:end].rstrip(b"\x00") if nxt >= 0 else data[start:end])
        at = nxt
    return [u for u in units if u]


def _length_prefixed_units(data: bytes, length_size: int) -> list[bytes]:
    units, at = [], 0
    while at + length_size <= len(data):
        size = int.from_bytes(data[at : at + length_size], "big")
        units.append(data[at + length_size : at + length_size + size])
        at += length_size + size
    return units


def _is_idr(packet_data: bytes, length_size: int) -> bool:
    return any(u and u[0] & 0x1F == 5 for u in _length_prefixed_units(packet_data, length_size))


# --- the plan: which frames are copied and which are encoded --------------------------

@dataclass
class _Piece:
    kind: str  # "copy" or "encode"
    first: int  # pts of the first frame (source ticks)
    stop: int  # frames with first <= pts < stop


class _SourceIndex:
    """The coded pictures of the video stream, read without decoding."""

    def __init__(self, container, stream) -> None:
        pts, dts, key, durations = [], [], [], []
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None:
                continue
            pts.append(packet.pts)
            dts.append(packet.dts if packet.dts is not None else packet.pts)
            key.append(packet.is_keyframe)
            durations.append(packet.duration or 0)
        if not pts:
            raise CannotCopy("no video packets")
        self.pts = np.asarray(pts, dtype=np.int64)  # decode order
        self.dts = np.asarray(dts, dtype=np.int64)
        self.durations = dict(zip(pts, durations))
        self.first_pts = int(self.pts.min())
        self.delay = max(int((self.pts - self.dts).max()), 0)  # ticks between decoding and showing
        self.cut_points = clean_cut_points(self.pts, np.asarray(key, dtype=bool))  # closed-GOP keyframes
        self.end = int(self.pts.max()) + 1  # past the last frame: a cut point too
        # Where a copy that starts at a cut point can stop (see clean_prefix_ends), the end included.
        self.copy_ends = np.append(clean_prefix_ends(self.pts), self.end)
        self.sorted_pts = np.sort(self.pts)


def plan_pieces(index: _SourceIndex, start: int, stop: int) -> list[_Piece]:
    """Copy the frames of [start, stop) (ticks) from the shot's first clean keyframe up to
    the last point where the coded pictures can be cut (whole GOPs, then the clean start
    of the last one in decoding order), and encode the frames around them: those before
    the keyframe, and the few after that point (fewer than the B-frames between two
    reference pictures)."""
    points, frames = index.cut_points, index.sorted_pts
    inside = points[(points >= start) & (points < stop)]
    if len(inside):
        first = int(inside[0])
        after = frames[frames >= stop]
        next_frame = int(after[0]) if len(after) else index.end  # the first frame not in the shot
        ends = index.copy_ends
        candidates = ends[(ends > first) & (ends <= next_frame)]
        if len(candidates):
            copy_stop = int(candidates[-1])
            pieces = []
            if ((frames >= start) & (frames < first)).any():
                pieces.append(_Piece("encode", start, first))
            pieces.append(_Piece("copy", first, copy_stop))
            if ((frames >= copy_stop) & (frames < stop)).any():
                pieces.append(_Piece("encode", copy_stop, stop))
            return pieces
    return [_Piece("encode", start, stop)]


def keyframe_segments(index: _SourceIndex, tb: Fraction, segments, start_time: float) -> list[tuple[float, float]]:
    """Every segment's edges moved to the nearest clean keyframe (touching ones merged)."""
    starts = index.cut_points
    ends = np.append(starts, index.end)
    moved: list[list[int]] = []
    for a, b in segments:
        lo = int(starts[np.argmin(np.abs(starts - round((start_time + a) / tb)))])
        hi = int(ends[np.argmin(np.abs(ends - round((start_time + b) / tb)))])
        if hi <= lo:  # a shot shorter than half a GOP: its whole GOP
            hi = int(ends[ends > lo][0])
        if moved and lo <= moved[-1][1]:
            moved[-1][1] = max(moved[-1][1], hi)
        else:
            moved.append([lo, hi])
    last = int(index.sorted_pts[-1])
    end_seconds = float((last + (index.durations.get(last) or 1)) * tb)
    return [(float(lo * tb) - start_time, (float(hi * tb) if hi < index.end else end_seconds) - start_time)
            for lo, hi in moved]


# --- writing ---------------------------------------------------------------------------

class _SmartCut:
    def __init__(self, source: Path, destination: Path, cut: str, *, start_time: float, rotation: int, preset: str,
                 crf: int, progress, threads: int) -> None:
        self.source, self.destination, self.cut = source, destination, cut
        self.start_time, self.rotation, self.preset, self.crf = start_time, rotation, preset, crf
        self.progress, self.threads = progress, threads

    def write(self, segments) -> CutStats:
        with contextlib.ExitStack() as stack:
            try:
                reader = av.open(str(self.source), metadata_errors="ignore")
                stack.callback(reader.close)
                vs = reader.streams.video[0]
                self._check(vs, reader)
                audio = Cutter(self.source, "audio") if usable_audio(reader) is not None else None
                if audio is not None:
                    stack.callback(audio.close)
            except av.error.FFmpegError as exc:
                raise InputError(f"cannot re-read {self.source} to write its summary ({_reason(exc)})") from None
            return write_mp4(self.source, self.destination,
                             lambda out: self._write(reader, vs, audio, out, segments))

    def _check(self, vs, reader) -> None:
        ctx = vs.codec_context
        if ctx.name != "h264":
            raise CannotCopy(f"the source is {ctx.name}, not H.264")
        if ctx.format is None or ctx.format.name not in ("yuv420p", "yuvj420p"):
            raise CannotCopy(f"the source's pixels are {ctx.format.name if ctx.format else 'unknown'}, not 8-bit 4:2:0")
        if ctx.width % 2 or ctx.height % 2:
            raise CannotCopy("the source's size is odd")
        self.avcc = AvcC.parse(bytes(ctx.extradata or b""))
        if self.avcc.profile not in _PROFILES:
            raise CannotCopy(f"H.264 profile {self.avcc.profile} cannot be matched by the encoder")
        used = {sps_id(s) for s in self.avcc.sps} | {i for p in self.avcc.pps for i in pps_ids(p)}
        self.our_id = min(set(range(32)) - used)
        # What the pieces' encoders take from the source, read once here (they open on other threads).
        self.width, self.height = ctx.width, ctx.height
        self.encoder_fields = {name: getattr(ctx, name, None) for name in
                               ("color_primaries", "color_trc", "colorspace", "color_range")}
        rate = vs.average_rate or vs.guessed_rate
        if rate:
            self.encoder_fields["framerate"] = rate
        if ctx.sample_aspect_ratio:
            self.encoder_fields["sample_aspect_ratio"] = ctx.sample_aspect_ratio
        self.encoder_fields = {k: v for k, v in self.encoder_fields.items() if v is not None}

    def _write(self, reader, vs, audio, out, segments) -> CutStats:
        tb = vs.time_base
        index = _SourceIndex(reader, vs) if self.cut == "keyframe" else None
        if self.cut == "keyframe":
            segments = keyframe_segments(index, tb, segments, self.start_time)
        segments = [(float(a), float(b)) for a, b in segments]
        clocks = np.concatenate([[0.0], np.cumsum([b - a for a, b in segments])]).tolist()  # output seconds
        ov = out.add_stream_from_template(vs)
        ov.time_base = tb
        if self.rotation:
            ov.set_display_rotation(-self.rotation)
        oa, resampler, fifo, sample_rate = add_audio(out, audio)
        self.ov, self.out, self.vs = ov, out, vs
        self.last_dts: int | None = None
        self.extradata_set = False
        self.our_sps: list[bytes] = []
        self.our_pps: list[bytes] = []
        self.copied = self.encoded = 0
        with contextlib.ExitStack() as stack:
            # The sound is cut and encoded on a thread of its own, the pieces that are encoded
            # again are decoded and encoded on others, in order, while the copied pictures
            # are muxed here.
            if oa is not None:
                oa.codec_context.open()  # here, before the file header is written, not on the sound's thread
                sound = stack.enter_context(Ahead(
                    [*zip(segments, clocks), None], bound=4096, window=16,
                    work=lambda state, job, put: self._sound(audio, resampler, fifo, oa, sample_rate, job, put)))
            self.index = index = index or _SourceIndex(reader, vs)  # (while the sound starts)
            plan = self._plan(segments, clocks)
            encodes = [(piece, shift, at) for _, at, shift, pieces in plan for piece in pieces
                       if piece.kind == "encode"]
            workers, self.codec_threads = _piece_threads(len(encodes), self.threads)
            if self.cut == "exact":
                self._probe_parameter_sets()  # they go into the file header, before any piece
            pieces_ahead = stack.enter_context(Ahead(
                encodes, self._encode, workers=workers,
                setup=lambda: Cutter(self.source, "video", self.codec_threads), teardown=Cutter.close))
            done = samples = 0
            for number, ((a, b), at, shift, pieces) in enumerate(plan):
                for piece in pieces:
                    if piece.kind == "copy":
                        self._copy(reader, piece, shift)
                        continue
                    for data, keyframe, pts, duration in pieces_ahead.results(done):
                        self._mux_encoded(data, keyframe, pts, duration)
                    done += 1
                if oa is not None:
                    for item in sound.results(number):  # its packets, then its sample count
                        if isinstance(item, int):
                            samples += item
                        else:
                            out.mux(item)
                if self.progress is not None:
                    self.progress(min(clocks[number + 1] / (clocks[-1] or 1.0), 1.0))
            if oa is not None:
                for packet in sound.results(len(plan)):
                    out.mux(packet)
        if not self.extradata_set:
            raise CannotCopy("nothing was written")
        method = "exact" if self.encoded else self.cut
        if self.cut == "exact" and not self.copied:
            method = "reencode"  # no whole GOP inside any shot: every frame was encoded
        return CutStats(frames=self.copied + self.encoded, duration=clocks[-1], audio_samples=samples,
                        sample_rate=sample_rate, cut=method, copied_frames=self.copied,
                        reencoded_frames=self.encoded, segments=segments)

    def _plan(self, segments, clocks) -> list:
        """(segment, output seconds at its start, shift of its timestamps, pieces) for each segment."""
        tb = self.vs.time_base
        tolerance = int(TIME_TOLERANCE / tb)
        plan = []
        for (a, b), clock in zip(segments, clocks):
            start, stop = int(round((self.start_time + a) / tb)), int(round((self.start_time + b) / tb))
            pieces = [_Piece("copy", start, stop)] if self.cut == "keyframe" else \
                plan_pieces(self.index, start - tolerance, stop - tolerance)
            plan.append(((a, b), clock, int(round(clock / tb)) - start, pieces))
        return plan

    def _sound(self, audio, resampler, fifo, oa, sample_rate, job, put) -> None:
        """(On the sound's thread.) The AAC packets of one segment, then its sample count; for
        ``job`` None, the last packets."""
        sink = _Sink(put)
        if job is None:
            drain(fifo, oa, sink, final=True)
            sink.mux(oa.encode(None))
            return
        (a, b), clock = job
        put(cut_audio(audio, resampler, fifo, oa, sink, self.start_time + a, self.start_time + b, clock,
                       sample_rate))

    def _mux(self, packet, pts: int, dts: int, duration: int) -> None:
        if not self.extradata_set:
            self._set_extradata()
        if self.last_dts is not None and dts <= self.last_dts:
            dts = self.last_dts + 1
            if dts > pts:
                raise CannotCopy("the pieces' decoding times cannot be joined")
        packet.pts, packet.dts, packet.duration = pts, dts, duration
        packet.time_base = self.vs.time_base
        packet.stream = self.ov
        self.last_dts = dts
        self.out.mux(packet)

    def _probe_parameter_sets(self) -> None:
        """The encoder's SPS and PPS, from one frame encoded with the settings of every piece."""
        encoder = self._encoder()
        frame = av.VideoFrame(encoder.width, encoder.height, "yuv420p")
        frame.pts, frame.time_base = 0, self.vs.time_base
        units = [u for p in [*encoder.encode(frame), *encoder.encode(None)] for u in _annexb_units(bytes(p))]
        self.our_sps = [u for u in units if u[0] & 0x1F == 7]
        self.our_pps = [u for u in units if u[0] & 0x1F == 8]
        if not self.our_sps or not self.our_pps:
            raise CannotCopy("the encoder wrote no parameter sets")
        if sps_id(self.our_sps[0]) != self.our_id or any(pps_ids(p) != (self.our_id, self.our_id)
                                                          for p in self.our_pps):
            raise CannotCopy("the encoder did not take the parameter-set ids asked for")

    def _set_extradata(self) -> None:
        avcc = self.avcc
        if self.our_sps:
            avcc = AvcC(avcc.profile, avcc.compatibility, max(avcc.level, self.our_sps[0][3]), avcc.length_size,
                        [*avcc.sps, *self.our_sps], [*avcc.pps, *self.our_pps], avcc.tail)
        self.ov.codec_context.extradata = avcc.to_bytes()
        self.extradata_set = True

    def _copy(self, reader, piece: _Piece, shift: int) -> None:
        vs = self.vs
        reader.seek(piece.first, stream=vs, backward=True)
        started, copied = False, 0
        for packet in reader.demux(vs):
            if packet.size == 0 or packet.pts is None:
                continue
            if not started:
                if packet.pts != piece.first:
                    if packet.pts > piece.first and packet.is_keyframe:
                        raise CannotCopy("a keyframe could not be reached by seeking")
                    continue
                if not _is_idr(bytes(packet), self.avcc.length_size):
                    raise CannotCopy("the keyframes are not IDR pictures")
                started = True
            if packet.pts >= piece.stop:  # a clean end: every picture decoded after it is shown after it
                break
            if packet.pts < piece.first:
                raise CannotCopy("a picture of a copied GOP is shown outside it")
            dts = packet.dts if packet.dts is not None else packet.pts
            self._mux(packet, packet.pts + shift, dts + shift, packet.duration or 0)
            copied += 1
        if not started:
            raise CannotCopy("a keyframe could not be found again")
        frames = self.index.sorted_pts
        if copied != np.count_nonzero((frames >= piece.first) & (frames < piece.stop)):
            raise CannotCopy("the copied pictures are not those of the plan")
        self.copied += copied

    def _encode(self, video: Cutter, job, put) -> None:
        """(On a piece thread.) Decode the source's frames of the piece and encode them as one
        closed GOP: put (data, keyframe, pts, duration) for each coded picture."""
        piece, shift, clock = job
        tb = self.vs.time_base
        encoder = self._encoder()
        keyframes = self.index.cut_points[self.index.cut_points <= piece.first]
        if len(keyframes) and (video.frames is None or video.position < float(keyframes[-1] * tb)):
            video.frames = None  # a keyframe lies between: seek there rather than decode up to it
        floor = int(round(clock / tb))  # no frame before the segment's start in the output
        durations: dict[int, int] = {}
        last = None
        for frame in video.frames_between(float(piece.first * tb), float(piece.stop * tb)):
            source_pts = frame.pts
            pts = max(source_pts + shift, floor if last is None else last + 1)
            durations[pts] = self.index.durations.get(source_pts, 0)
            frame.pts, frame.time_base, frame.pict_type = pts, tb, 0
            last = pts
            for packet in encoder.encode(frame):
                self._encoded(packet, durations, put)
        for packet in encoder.encode(None):
            self._encoded(packet, durations, put)

    def _encoded(self, packet, durations: dict[int, int], put) -> None:
        units = _annexb_units(bytes(packet))
        sps = [u for u in units if u[0] & 0x1F == 7]
        pps = [u for u in units if u[0] & 0x1F == 8]
        if (sps and sps != self.our_sps) or (pps and pps != self.our_pps):
            raise CannotCopy("the encoder's parameter sets changed between pieces")
        size = self.avcc.length_size
        # Parameter sets are in the file header; access unit delimiters are not needed.
        data = b"".join(len(u).to_bytes(size, "big") + u for u in units if u[0] & 0x1F not in (7, 8, 9))
        put((data, packet.is_keyframe, packet.pts, packet.duration or durations.get(packet.pts, 0)))

    def _encoder(self):
        encoder = av.CodecContext.create("libx264", "w")
        encoder.width, encoder.height, encoder.pix_fmt = self.width, self.height, "yuv420p"
        encoder.time_base = self.vs.time_base
        for name, value in self.encoder_fields.items():
            with contextlib.suppress(AttributeError, ValueError, TypeError):
                setattr(encoder, name, value)
        # Its own parameter-set ids, no B-frames (decoding order = display order, so the
        # piece joins the copied GOPs' timing), in-band headers to read them from.
        preset, crf_change, params = _PIECE_SETTINGS.get(self.preset, (self.preset, 0, ""))
        encoder.options = {"preset": preset, "crf": str(min(max(self.crf + crf_change, 0), 51)),
                           "profile": _PROFILES[self.avcc.profile],
                           "x264-params": f"{params}sps-id={self.our_id}:bframes=0:repeat-headers=1"}
        if self.codec_threads:
            encoder.thread_count = self.codec_threads
        encoder.open()
        return encoder

    def _mux_encoded(self, data: bytes, keyframe: bool, pts: int, duration: int) -> None:
        out = av.Packet(data)
        out.is_keyframe = keyframe
        self._mux(out, pts, pts - self.index.delay, duration)
        self.encoded += 1
