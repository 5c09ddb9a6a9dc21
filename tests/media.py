"""The media matrix: ordinary and odd videos, generated, each with what an independent oracle
expects of it (issue 19).

Every case is a function ``case_*(folder) -> Case`` writing one small file (160x90, a few
seconds, or up to a minute at low rates). Pictures are x264 at its defaults (B-frames, as
cameras and screen recorders write them), showing ``tests/synthetic.py``'s scenes, with
cuts that fall between the 2 Hz sampling instants; each packet carries its frame's true
duration, so the last frame lasts what it should. ``packets(path)`` is the oracle: the
container's packet timestamps read with PyAV's demuxer, never through
``summarize.decoding``. ``MATRIX`` lists every case by name.

Extending it (exports, a ``tmcd`` time code, ...): add a generator that returns a ``Case``
with what the oracle should find in ``expect`` (e.g. ``expect["timecode"] = "01:00:00;00"``),
list it in ``MATRIX``, and add a check to ``tests/test_media_matrix.py``'s ``CHECKS``.
Generators only need PyAV; ``edit_list_mp4`` and ``dolby_vision_mov`` patch the MP4's bytes
(PyAV cannot write an edit list that trims a frame, nor a Dolby Vision configuration box).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable, Sequence

import av
import numpy as np

from tests.synthetic import scene_image

WIDTH, HEIGHT = 160, 90
# Scene lengths (seconds) for constant-rate cases: cuts at 2.3, 4.2 and 6.8 s, between the
# instants (every 0.5 s) at which the summarizer samples.
SCENES = (2.3, 1.9, 2.6, 2.2)


@dataclass(frozen=True)
class Case:
    """One generated file and what is known about it from how it was made."""

    name: str
    path: Path
    duration: float  # first frame's start to last frame's end, as made (seconds)
    frame_times: np.ndarray  # every frame's start, seconds from the first, as made
    start: float = 0.0  # the first frame's time on the container's clock
    audio: str = "present"  # "present", "absent", or "empty" (a track without data)
    expect: dict = field(default_factory=dict)  # anything else a check needs (see the module docstring)

    @property
    def longest_frame(self) -> float:
        """The longest any frame lasts (one frame: the tolerance on times)."""
        ends = np.append(self.frame_times[1:], self.duration)
        return float(np.max(ends - self.frame_times))


# --- writing ---------------------------------------------------------------------------

def _scene_at(times: Sequence[float], cuts: Sequence[float]) -> list[int]:
    return [int(np.searchsorted(cuts, t, side="right")) for t in times]


def write_frames(path: str | Path, times: Sequence[float], end: float, *, cuts: Sequence[float] = (),
                 container_format: str | None = None, options: dict | None = None, offset: float = 0.0,
                 audio: str = "present", rate: Fraction | int = 25, time_base: Fraction = Fraction(1, 90000),
                 codec: str = "libx264", pix_fmt: str = "yuv420p", encoder_options: dict | None = None,
                 codec_tag: str | None = None, rotation: int = 0, timecode: str | None = None,
                 name: str | None = None, channels: int = 1) -> Case:
    """Frames starting at ``times`` (seconds, increasing), the last one lasting until ``end``;
    scene ``k`` from the ``k``-th of ``cuts`` on. Everything is ``offset`` seconds later on the
    container's clock. ``rate`` is the nominal rate the encoder is told, ``encoder_options``
    its options (None: its defaults, B-frames included); ``rotation``: degrees clockwise;
    ``channels``: of the sound (1: mono, 2: stereo)."""
    path = Path(path)
    out = av.open(str(path), "w", format=container_format, options=options or {})
    video = out.add_stream(codec, rate=rate)
    video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, pix_fmt
    video.time_base = video.codec_context.time_base = time_base
    if encoder_options:
        video.options = encoder_options
    if codec_tag:
        video.codec_tag = codec_tag
    if rotation:
        video.set_display_rotation(-rotation)  # display matrices turn counter-clockwise
    if timecode:  # MP4/MOV: a tmcd track counting at ``rate``; Matroska: a TIMECODE tag
        video.metadata["timecode"] = timecode
    layout = {1: "mono", 2: "stereo"}[channels]
    sound = out.add_stream("aac", rate=44100, layout=layout) if audio != "absent" else None
    ticks = [int(round((t + offset) / time_base)) for t in times]
    stop = int(round((end + offset) / time_base))
    durations = dict(zip(ticks, np.diff([*ticks, stop]).tolist()))

    def mux(packets) -> None:
        for packet in packets:
            packet.duration = durations[packet.pts]  # the frame's true length, the last one's too
            out.mux(packet)

    sounds = iter(_tones(sound, [0.0, *cuts], end, offset) if audio == "present" else ())
    pending = next(sounds, None)
    scenes = _scene_at(times, cuts)
    images: dict[int, np.ndarray] = {}
    for i, (tick, kind) in enumerate(zip(ticks, scenes)):
        while pending is not None and pending.time <= float(tick * time_base):  # interleaved, as recorders write
            out.mux(sound.encode(pending))
            pending = next(sounds, None)
        if kind not in images:
            images[kind] = scene_image(kind, WIDTH, HEIGHT)
        frame = av.VideoFrame.from_ndarray(np.roll(images[kind], 3 * i, axis=1), format="rgb24")
        frame.pts, frame.time_base = tick, time_base
        mux(video.encode(frame))
    mux(video.encode(None))
    if sound is not None:
        for pending in [pending, *sounds] if pending is not None else []:
            out.mux(sound.encode(pending))
        out.mux(sound.encode(None))
    out.close()
    return Case(name or path.stem, path, float(end - times[0]), np.asarray(times, dtype=np.float64) - times[0],
                start=float(times[0] + offset), audio=audio)


def _tones(stream, starts: Sequence[float], end: float, offset: float):
    """Audio frames: a tone of its own for each scene, from ``starts[k]`` to the next start (or ``end``)."""
    rate = stream.codec_context.sample_rate
    size = stream.codec_context.frame_size or 1024
    first, last = int(round(offset * rate)), int(round((end + offset) * rate))
    bounds = np.asarray(starts) + offset
    for at in range(first, last - size + 1, size):
        t = (at + np.arange(size)) / rate
        scene = np.searchsorted(bounds, t, side="right") - 1
        data = (0.3 * np.sin(2 * np.pi * 220.0 * (1 + scene / 4) * t)).astype(np.float32)[None, :]
        layout = stream.codec_context.layout
        frame = av.AudioFrame.from_ndarray(np.repeat(data, layout.nb_channels, axis=0), format="fltp", layout=layout.name)
        frame.sample_rate, frame.pts, frame.time_base = rate, at, Fraction(1, rate)
        yield frame


def scene_cuts(scale: float = 1.0) -> list[float]:
    return list(np.cumsum(SCENES[:-1]) * scale)


def constant_rate(folder: Path, fps: Fraction, *, suffix: str = ".mp4", seconds: float | None = None,
                  audio: str = "present", name: str | None = None, **kwargs) -> Case:
    """``fps`` frames a second for ``sum(SCENES)`` seconds (scaled to ``seconds``)."""
    fps = Fraction(fps)
    total = seconds or sum(SCENES)
    count = int(round(total * fps))
    times = [float(Fraction(i) / fps) for i in range(count)]
    name = name or f"cfr-{float(fps):g}fps{suffix.replace('.', '-')}"
    return write_frames(folder / f"{name}{suffix}", times, float(Fraction(count) / fps),
                        cuts=scene_cuts(total / sum(SCENES)), rate=fps, audio=audio, name=name, **kwargs)


# --- the cases -------------------------------------------------------------------------

RATES = {"2": Fraction(2), "10": Fraction(10), "12.5": Fraction(25, 2), "15": Fraction(15),
         "23.976": Fraction(24000, 1001), "25": Fraction(25), "29.97": Fraction(30000, 1001),
         "50": Fraction(50), "59.94": Fraction(60000, 1001), "120": Fraction(120)}
# Containers taken in turn by the constant rates, so that each meets all three.
_RATE_CONTAINERS = (".mp4", ".mkv", ".ts")


def _rate_case(label: str) -> Callable[[Path], Case]:
    fps = RATES[label]
    suffix = _RATE_CONTAINERS[list(RATES).index(label) % len(_RATE_CONTAINERS)]
    # At 2 fps, four times as long: a dozen frames a scene.
    seconds = 4 * sum(SCENES) if fps < 5 else None
    return lambda folder: constant_rate(folder, fps, suffix=suffix, seconds=seconds, name=f"cfr-{label}")


def vfr_60_then_1(folder: Path, suffix: str = ".mp4") -> Case:
    """10 s at 60 fps then 50 s at 1 fps (a timelapse or a screen recording that settles): the
    B-frames of the slow part reorder across seconds."""
    times = [i / 60 for i in range(600)] + [10.0 + i for i in range(50)]
    return write_frames(folder / f"vfr-60-then-1{suffix}", times, 60.0, cuts=[5.0, 10.0, 23.0, 41.0], rate=60,
                        name=f"vfr-60-then-1{suffix.replace('.', '-')}")


def tenth_fps(folder: Path) -> Case:
    """A frame every 10 s for 60 s (a security camera's timelapse): x264 shows its last frame
    before the one 10 s earlier."""
    times = [10.0 * i for i in range(6)]
    return write_frames(folder / "tenth-fps.mp4", times, 60.0, cuts=[30.0], rate=Fraction(1, 10),
                        time_base=Fraction(1, 1000))


def screen_recording(folder: Path) -> Case:
    """Bursts at 30 fps between still stretches (a frame held 3 s), as screen recorders write."""
    times, t = [], 0.0
    for burst in range(4):
        times += [t + i / 30 for i in range(45)]
        t += 45 / 30 + 3.0  # the burst's last frame stays on screen for 3 s
    return write_frames(folder / "screen-recording.mkv", times, t, cuts=[4.5, 9.0, 13.5], rate=30,
                        time_base=Fraction(1, 1000))


def long_gaps(folder: Path) -> Case:
    """25 fps with two frame gaps of 7 and 12 s (a camera that records on motion)."""
    times = [i / 25 for i in range(75)]
    times += [3.0 + 7.0 + i / 25 for i in range(75)]
    times += [13.0 + 12.0 + i / 25 for i in range(75)]
    return write_frames(folder / "long-gaps.mp4", times, 28.0, cuts=[3.0, 25.0], rate=25)


def start_offset(folder: Path, suffix: str, hours: float = 10.0) -> Case:
    """Constant 25 fps whose clock starts ``hours`` in (a recording cut from a long stream)."""
    name = f"offset-{hours:g}h{suffix.replace('.', '-')}"
    return constant_rate(folder, Fraction(25), suffix=suffix, offset=hours * 3600.0, name=name)


def remux_without_frame_durations(source: Path, target: Path, video_metadata: dict | None = None) -> None:
    """Copy ``source``'s packets into ``target`` with no picture stating its duration (as
    Matroska muxers that write a constant DefaultDuration leave them), empty packets dropped."""
    with av.open(str(source)) as src, av.open(str(target), "w") as dst:
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams}
        streams[src.streams.video[0].index].metadata.update(video_metadata or {})
        for packet in src.demux():
            if packet.size == 0:
                continue
            if packet.stream.type == "video":
                packet.duration = 0
            packet.stream = streams[packet.stream.index]
            dst.mux(packet)


def last_duration_lost_mkv(folder: Path) -> Case:
    """60 fps then 1 fps in Matroska whose segment states the full 60 s while its blocks leave
    the last frame's duration out (the reader takes the track's default, 1/60 s)."""
    times = [i / 60 for i in range(600)] + [10.0 + i for i in range(50)]
    case = write_frames(folder / "lost-last-duration.mkv", times, 60.0, cuts=[5.0, 10.0, 23.0, 41.0], rate=60,
                        time_base=Fraction(1, 1000))
    # Re-mux with a constant block duration (DefaultDuration), then state the full length.
    target = folder / "last-duration-lost.mkv"
    remux_without_frame_durations(case.path, target)
    data = bytearray(target.read_bytes())
    at = data.find(b"\x44\x89\x88")  # the segment's Duration (an 8-byte float, in milliseconds)
    assert at > 0
    data[at + 3 : at + 11] = struct.pack(">d", 60000.0)
    target.write_bytes(bytes(data))
    case.path.unlink()
    return Case("last-duration-lost-mkv", target, case.duration, case.frame_times, audio=case.audio)


def edit_list_mp4(folder: Path, trim: float = 0.5) -> Case:
    """13 frames at 1 fps (I, P and B pictures), video only, whose edit list starts ``trim``
    seconds into the first frame (as androidx's ``mp4_iibbibb_editlist_videoonly.mp4``):
    FFmpeg leaves the first picture out (decoded for reference, never shown)."""
    case = write_frames(folder / "edit-list-source.mp4", [float(i) for i in range(13)], 13.0, rate=1,
                        cuts=[4.0, 8.0], audio="absent")
    data = bytearray(case.path.read_bytes())
    box = {name: _find(data, path) for name, path in (
        ("mvhd", [b"moov", b"mvhd"]), ("tkhd", [b"moov", b"trak", b"tkhd"]),
        ("mdhd", [b"moov", b"trak", b"mdia", b"mdhd"]), ("elst", [b"moov", b"trak", b"edts", b"elst"]))}
    # Version 0 boxes: mvhd/mdhd time scale at byte 20, mvhd duration at 24, tkhd's at 28;
    # elst: its entry count at 12, then (segment duration, media time, rate) per entry.
    assert all(data[at + 8] == 0 for at in box.values())
    movie_scale, media_scale = (struct.unpack(">I", data[box[b] + 20 : box[b] + 24])[0] for b in ("mvhd", "mdhd"))
    elst = box["elst"]
    assert struct.unpack(">I", data[elst + 12 : elst + 16])[0] == 1  # one edit
    segment, media_time = struct.unpack(">Ii", data[elst + 16 : elst + 24])
    cut_movie, cut_media = int(round(trim * movie_scale)), int(round(trim * media_scale))
    data[elst + 16 : elst + 24] = struct.pack(">Ii", segment - cut_movie, media_time + cut_media)
    for at in (box["mvhd"] + 24, box["tkhd"] + 28):
        data[at : at + 4] = struct.pack(">I", struct.unpack(">I", data[at : at + 4])[0] - cut_movie)
    target = folder / "edit-list.mp4"
    target.write_bytes(bytes(data))
    case.path.unlink()
    return Case("edit-list-mp4", target, 13.0 - trim, case.frame_times, audio="absent", expect={"trim": trim})


def _find(data: bytearray, names: list[bytes]) -> int:
    """Offset of the first box along ``names`` (moov, trak, ...) of an MP4."""
    start, end, found = 0, len(data), -1
    for name in names:
        at = start
        while at + 8 <= end:
            size, kind = struct.unpack(">I4s", data[at : at + 8])
            if kind == name:
                found, start, end = at, at + 8, at + size
                break
            at += max(size, 8)
        else:
            raise KeyError(name)
    return found


def audio_case(folder: Path, audio: str, suffix: str, options: dict | None = None, tag: str = "") -> Case:
    """Constant 25 fps with sound, without an audio track, or with an empty one."""
    name = f"audio-{audio}{tag}{suffix.replace('.', '-')}"
    return constant_rate(folder, Fraction(25), suffix=suffix, audio=audio, options=options, name=name)


def stamped_twice(folder: Path) -> Case:
    """25 fps Matroska in which every 20th frame carries the next one's time, as a looped
    copy's seam or a bogus index leave them (x264 without B-frames: the stamps are the
    frames' own)."""
    case = write_frames(folder / "stamped-source.mkv", [i / 25 for i in range(200)], 8.0, cuts=scene_cuts(8 / 9),
                        time_base=Fraction(1, 1000), encoder_options={"preset": "ultrafast"})
    path = folder / "stamped-twice.mkv"
    times = case.frame_times.copy()
    with av.open(str(case.path)) as src, av.open(str(path), "w") as dst:
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams}
        packets = [p for p in src.demux() if p.size]
        video = [p for p in packets if p.stream.type == "video"]
        for n in range(10, len(video) - 1, 20):
            video[n].pts = video[n + 1].pts
            times[n] = times[n + 1]
        for packet in packets:
            if packet.stream.type == "video":
                packet.dts = None
            packet.stream = streams[packet.stream.index]
            dst.mux(packet)
    case.path.unlink()
    return Case("stamped-twice-mkv", path, case.duration, np.sort(times))


def dolby_vision_mov(folder: Path) -> Case:
    """3 s of 10-bit HEVC in MOV with a Dolby Vision configuration box (profile 8.4, as
    iPhones record), turned 90 degrees, with AAC sound (ffprobe lists its "DOVI
    configuration record"; the pictures carry no Dolby Vision metadata)."""
    case = write_frames(folder / "hevc.mov", [i / 30 for i in range(90)], 3.0, cuts=[1.3], rate=30,
                        time_base=Fraction(1, 600), codec="libx265", pix_fmt="yuv420p10le", codec_tag="hvc1",
                        encoder_options={"x265-params": "log-level=error"}, rotation=90, container_format="mov")
    data = bytearray(case.path.read_bytes())
    chain = [_find(data, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"][:n]) for n in range(1, 7)]
    entry = chain[-1] + 16  # the first sample entry of the video track's stsd
    assert data[entry + 4 : entry + 8] == b"hvc1" and data.find(b"mdat") < chain[0]  # the index after the data
    record = bytes([1, 0, 0x10, 0x25, 0x40]) + bytes(19)  # version 1.0, profile 8, level 4, RPU + BL, HLG
    box = struct.pack(">I4s", 8 + len(record), b"dvvC") + record
    end = entry + struct.unpack(">I", data[entry : entry + 4])[0]
    data[end:end] = box
    for at in [*chain, entry]:  # every box holding it grows (chunk offsets stay: the index comes last)
        data[at : at + 4] = struct.pack(">I", struct.unpack(">I", data[at : at + 4])[0] + len(box))
    path = folder / "dolby-vision.mov"
    path.write_bytes(bytes(data))
    case.path.unlink()
    return Case("dolby-vision-mov", path, case.duration, case.frame_times, expect={"rotation": 90})


def timecode_case(folder: Path, fps: Fraction, suffix: str, timecode: str, name: str, **kwargs) -> Case:
    """Constant ``fps`` with sound and a source time code: a ``tmcd`` track in MP4/MOV (as
    ``ffmpeg -timecode`` writes it, counting at ``fps``), a ``TIMECODE`` tag in Matroska.
    ``expect``: the time code as written, and its seconds from 00:00:00:00 counted by
    OpenTimelineIO (drop-frame where written with ';'; at a rate it does not count, 10 fps,
    non-drop by hand)."""
    import opentimelineio as otio

    case = constant_rate(folder, fps, suffix=suffix, timecode=timecode, name=name, **kwargs)
    if otio.opentime.RationalTime.is_smpte_timecode_rate(float(fps)):
        seconds = otio.opentime.from_timecode(timecode, float(fps)).to_seconds()
    else:
        h, m, s, f = map(int, timecode.split(":"))
        seconds = float((((h * 60 + m) * 60 + s) * round(fps) + f) / fps)
    return Case(case.name, case.path, case.duration, case.frame_times, start=case.start, audio=case.audio,
                expect={"timecode": timecode, "timecode_seconds": seconds, "drop_frame": ";" in timecode})


def millisecond_clock_timecode(folder: Path) -> Case:
    """25 fps Matroska whose blocks state no duration, so that it states 1000 fps (its
    clock's ticks: browser and screen recordings look so), with a TIMECODE tag 10:00:00:12
    (twelve frames, 0.48 s, past ten hours; not 12 ms)."""
    case = timecode_case(folder, RATES["25"], ".mkv", "10:00:00:12", "tag-source", time_base=Fraction(1, 1000))
    path = folder / "timecode-tag-ms-clock.mkv"
    remux_without_frame_durations(case.path, path, {"TIMECODE": case.expect["timecode"]})
    case.path.unlink()
    return Case("timecode-tag-ms-clock-mkv", path, case.duration, case.frame_times, start=case.start,
                audio=case.audio, expect=case.expect)


def stated_timecode(path: str | Path) -> str | None:
    """The time code a file states (a ``tmcd`` track's tag, else the video stream's or the
    container's), read with PyAV's demuxer alone."""
    with av.open(str(path)) as container:
        tags = [s.metadata for s in container.streams.data] + [container.streams.video[0].metadata,
                                                                container.metadata]
        return next((v for tag in tags for k, v in tag.items() if k.lower() == "timecode"), None)


MATRIX: dict[str, Callable[[Path], Case]] = {
    **{f"cfr-{label}": _rate_case(label) for label in RATES},
    "vfr-60-then-1-mp4": vfr_60_then_1,
    "vfr-60-then-1-mkv": lambda folder: vfr_60_then_1(folder, ".mkv"),
    "vfr-60-then-1-ts": lambda folder: vfr_60_then_1(folder, ".ts"),
    "tenth-fps": tenth_fps,
    "screen-recording": screen_recording,
    "long-gaps": long_gaps,
    "last-duration-lost-mkv": last_duration_lost_mkv,
    "offset-10h-mp4": lambda folder: start_offset(folder, ".mp4"),
    "offset-10h-mkv": lambda folder: start_offset(folder, ".mkv"),
    "offset-10h-ts": lambda folder: start_offset(folder, ".ts"),
    "offset-24h-mkv": lambda folder: start_offset(folder, ".mkv", hours=24.0),
    "edit-list-mp4": edit_list_mp4,
    "audio-absent-mp4": lambda folder: audio_case(folder, "absent", ".mp4"),
    "audio-empty-mkv": lambda folder: audio_case(folder, "empty", ".mkv"),
    "audio-empty-fragmented-mp4": lambda folder: audio_case(
        folder, "empty", ".mp4", options={"movflags": "frag_keyframe+empty_moov"}, tag="-fragmented"),
    "stamped-twice-mkv": stamped_twice,
    "dolby-vision-mov": dolby_vision_mov,
    # Source time codes: every edit counts from them (an hour in), drop-frame as they do. The
    # cameras' MOV files carry stereo sound (an EDL names both channels; the others are mono).
    "tmcd-29.97df-mov": lambda folder: timecode_case(folder, RATES["29.97"], ".mov", "01:00:00;00", "tmcd-29.97df",
                                                     channels=2),
    "tmcd-29.97ndf-mp4": lambda folder: timecode_case(folder, RATES["29.97"], ".mp4", "01:00:00:00",
                                                      "tmcd-29.97ndf"),
    "tmcd-59.94df-mov": lambda folder: timecode_case(folder, RATES["59.94"], ".mov", "01:00:00;00", "tmcd-59.94df",
                                                     channels=2),
    "tmcd-25ndf-mp4": lambda folder: timecode_case(folder, RATES["25"], ".mp4", "01:00:00:00", "tmcd-25ndf"),
    "tmcd-10fps-mp4": lambda folder: timecode_case(folder, RATES["10"], ".mp4", "01:00:00:05", "tmcd-10fps"),
    "timecode-tag-25-mkv": lambda folder: timecode_case(folder, RATES["25"], ".mkv", "10:00:00:00",
                                                        "timecode-tag-25"),
    "timecode-tag-ms-clock-mkv": millisecond_clock_timecode,
}


# --- the oracle ------------------------------------------------------------------------

@dataclass(frozen=True)
class Packets:
    """What a file's packets say, read with PyAV's demuxer alone."""

    starts: np.ndarray  # video frames' presentation times (s, sorted), those an edit list leaves out excluded
    last_duration: float  # the last frame's duration as its packet states it (0: not stated)
    audio: tuple[float, float] | None  # (first start, last end) of the first audio stream's packets; None: no packet
    audio_streams: int
    hidden: int = 0
    audio_channels: int = 0  # of the first audio stream, as its codec parameters state  # video packets flagged discard (pictures an edit list hides: decoded, never shown)

    @property
    def frame(self) -> float:
        """The interval before the last frame (what the last frame lasts where nothing says)."""
        return float(self.starts[-1] - self.starts[-2]) if len(self.starts) > 1 else self.last_duration

    @property
    def duration(self) -> float:
        """First frame's start to the last frame's end (its stated duration, else ``frame``)."""
        return float(self.starts[-1] - self.starts[0]) + (self.last_duration or self.frame)


def packets(path: str | Path) -> Packets:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        sound = container.streams.audio[0] if container.streams.audio else None
        starts, durations, audio, hidden = [], {}, [], 0
        for packet in container.demux(*([video] + ([sound] if sound is not None else []))):
            if packet.size == 0 or packet.pts is None:
                continue
            if packet.stream.type == "audio":
                tb = packet.time_base
                audio.append((float(packet.pts * tb), float((packet.pts + (packet.duration or 0)) * tb)))
            elif not packet.is_discard:
                time = float(packet.pts * packet.time_base)
                starts.append(time)
                durations[time] = float((packet.duration or 0) * packet.time_base)
            else:
                hidden += 1
        starts.sort()
        span = (min(a for a, _ in audio), max(b for _, b in audio)) if audio else None
        return Packets(np.asarray(starts), durations[starts[-1]], span, len(container.streams.audio), hidden,
                       sound.codec_context.channels if sound is not None else 0)
