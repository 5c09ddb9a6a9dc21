"""The exports for editors, read back with independent readers (OpenTimelineIO's adapters,
ElementTree, PyAV and ffprobe): every format lands on the kept shots' frames, counted
from the source's own time code, at every frame rate, or refuses the format in one line.

Most tests build a summary document by hand (fast); the ``slow`` ones summarize generated
videos through the command line.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import av
import jsonschema
import numpy as np
import opentimelineio as otio
import pytest

from summarize.decoding.timecode import read_timecode, timecode_seconds
from summarize.errors import InputError
from summarize.outputs import schema
from summarize.outputs.exports import FORMATS, edit_rate, parse_formats, write_exports
from summarize.outputs.exports import chapters, edl, fcp7xml, fcpx, shots_csv
from summarize.outputs.exports import otio as otio_json
from summarize.outputs.exports.rates import source_clock

# Rates (frames a second) an editor may meet; "vfr": 10 s at 60 fps, then 50 s at 1 fps;
# "vfr20": frames of 1/30 and 2/30 s in turn (an average of 20 fps, which divides 60).
RATES = [2, 10, 12.5, 15, 24000 / 1001, 25, 30000 / 1001, 50, 60000 / 1001, 120, 0.1, 1000, "vfr", "vfr20"]
HOUR_DF = {"start": "01:00:00;00", "rate": 29.97003, "drop_frame": True, "seconds": 3599.9964}


def _frame_times(rate, seconds=60.0):
    """Start of every frame and the end of the last one."""
    if rate == "vfr":
        return np.concatenate([np.arange(600) / 60, 10 + np.arange(51.0)])
    if rate == "vfr20":
        return np.cumsum([0.0] + [1 / 30 if k % 2 == 0 else 2 / 30 for k in range(1200)])
    n = max(int(round(seconds * rate)), 6)
    return np.arange(n + 1) / rate


def _document(times, bounds, kept, has_audio=True, timecode=None):
    """A summary document over frames starting at ``times`` (last entry: the end), shots at
    frame ``bounds`` (start of each, then the end), ``kept`` flags."""
    n = len(times) - 1
    info = {"path": "/videos/clip one.mov", "file_name": "clip one.mov", "n_frames": n,
            "duration": round(float(times[-1]), 6), "avg_fps": round(n / float(times[-1]), 6), "width": 320,
            "height": 240, "has_audio": has_audio, **({"timecode": timecode} if timecode else {})}
    shots = [{"index": i, "start_frame": a, "end_frame": b, "start": round(float(times[a]), 6),
              "end": round(float(times[b]), 6), "score": round(0.1 * (i + 1), 6), "selected": bool(k)}
             for i, (a, b, k) in enumerate(zip(bounds[:-1], bounds[1:], kept))]
    return {"input": info, "method": {"name": "contrastive"}, "selection": {"budget": 0.15}, "shots": shots}


def _shots_document(rate, has_audio=True, timecode=None):
    """Six shots, the 2nd, 3rd (touching: one event) and 5th kept, cut at frames that are
    neither round numbers nor round times."""
    times = _frame_times(rate)
    n = len(times) - 1
    bounds = sorted({0, *(int(n * f) for f in (0.13, 0.29, 0.41, 0.67, 0.83)), n})
    return _document(times, bounds, [0, 1, 1, 0, 1, 0], has_audio, timecode), times


def _kept_runs(document):
    """Kept shots merged where they touch, independently of the exporter: source frames."""
    runs = []
    for shot in document["shots"]:
        if shot["selected"]:
            if runs and runs[-1][1] == shot["start_frame"]:
                runs[-1][1] = shot["end_frame"]
            else:
                runs.append([shot["start_frame"], shot["end_frame"]])
    return [tuple(r) for r in runs]


def _frame_at(times, seconds):
    """The source frame on screen at ``seconds`` (the end: one past the last frame)."""
    return int(np.searchsorted(times, seconds + 1e-9, side="right") - 1)


def _clips(timeline, kind=otio.schema.TrackKind.Video):
    """(start, end) of the clips of the first track of ``kind``, as RationalTimes."""
    tracks = [t for t in timeline.tracks if t.kind == kind]
    return [(c.source_range.start_time, c.source_range.end_time_exclusive()) for c in tracks[0].find_clips()]


def _assert_lands_on_the_kept_frames(document, times, edges, origin_seconds=0.0):
    """Each (in, out) edit time, less the time-code origin, shows the kept run's first frame
    and the frame after its last; at the rates time code counts at (or a whole fraction of
    them), exactly at the frame's start."""
    runs = _kept_runs(document)
    assert len(edges) == len(runs)
    exact = source_clock(document).rate.per_frame is not None
    for (a, b), (start, end) in zip(runs, edges):
        for frame, edit in ((a, start), (b, end)):
            seconds = edit - origin_seconds
            assert _frame_at(times, seconds) == frame, (frame, seconds)
            if exact:
                assert seconds == pytest.approx(times[frame], abs=1e-6)


# ---- defect 3: every rate gives each edit format, or refuses it in one line ----


@pytest.mark.parametrize("rate", RATES, ids=str)
def test_every_rate_gives_edits_on_the_kept_frames_or_one_line_refusal(rate):
    document, times = _shots_document(rate)
    fps = document["input"]["avg_fps"]
    readers = {"edl": lambda: otio.adapters.read_from_string(edl.text(document), "cmx_3600",
                                                                  rate=source_clock(document).rate.fps),
               "fcp7xml": lambda: otio.adapters.read_from_string(fcp7xml.text(document), "fcp_xml"),
               "otio": lambda: otio.adapters.read_from_string(otio_json.text(document), "otio_json")}
    if fps > 60.01:  # frames shorter than any time-code frame: refused, OpenTimelineIO counts them
        for fmt, module in (("edl", edl), ("fcp7xml", fcp7xml), ("fcpx", fcpx)):
            with pytest.raises(InputError) as refused:
                module.text(document)
            assert f"--export {fmt}:" in str(refused.value) and "\n" not in str(refused.value)
        readers = {"otio": readers["otio"]}
    for fmt, read in readers.items():
        edges = [(a.to_seconds(), b.to_seconds()) for a, b in _clips(read())]
        _assert_lands_on_the_kept_frames(document, times, edges)
    if fps <= 60.01:
        _assert_lands_on_the_kept_frames(document, times, _fcpx_edges(fcpx.text(document)))


def test_time_code_rates_each_source_rate_is_edited_at():
    expected = {2: (24, 12), 10: (30, 3), 12.5: (25, 2), 15: (30, 2), 0.1: (24, 240), 25: (25, 1),
                24000 / 1001: (24000 / 1001, 1), 30000 / 1001: (30000 / 1001, 1), 50: (50, 1), 10.833333: (60, None)}
    for fps, (rate, per_frame) in expected.items():
        chosen = edit_rate(fps)
        assert (chosen.fps, chosen.per_frame, chosen.timecode) == (pytest.approx(rate), per_frame, True), fps
    assert [edit_rate(r).drop_frame for r in (30000 / 1001, 60000 / 1001, 30, 10)] == [True, True, False, False]
    assert not edit_rate(120).timecode and not edit_rate(1000).timecode
    # A variable rate averaging 20 fps: its cuts are off the 1/20 s grid, so placed by time at 60.
    times = np.cumsum([0.0] + [1 / 30 if k % 2 == 0 else 2 / 30 for k in range(10)])
    assert edit_rate(20.0, [(f, times[f]) for f in range(0, 10, 3)]).per_frame is None
    assert edit_rate(20.0, [(f, f / 20) for f in range(0, 10, 3)]).per_frame == 3


def test_a_refused_format_leaves_no_export_written(tmp_path):
    document, _ = _shots_document(1000)
    json_path = tmp_path / "clip.summary.json"
    with pytest.raises(InputError, match="--export edl: clip one.mov runs at 1000 fps"):
        write_exports(document, json_path, ["otio", "csv", "edl"])
    assert list(tmp_path.iterdir()) == []


def test_the_refusal_before_decoding_is_not_fooled_by_a_millisecond_clock(tmp_path):
    """A 25 fps Matroska file stating 1000 fps (its clock's ticks, as browsers and screen
    recorders write them) may have every edit format; a real 120 fps file may not."""
    from summarize.outputs.exports import preflight
    from tests import media

    mkv = media.MATRIX["stamped-twice-mkv"](tmp_path)
    with av.open(str(mkv.path)) as container:
        assert container.streams.video[0].average_rate == 1000
    preflight(mkv.path, ["edl", "fcp7xml", "fcpx"])
    fast = media.constant_rate(tmp_path, Fraction(120), seconds=1.0, name="fast")
    with pytest.raises(InputError, match="--export edl: fast.mp4 runs at 120 fps"):
        preflight(fast.path, ["edl"])


def test_a_time_code_counts_frames_not_a_millisecond_clock(tmp_path):
    """10:00:00:12 on a 25 fps Matroska file stating 1000 fps is twelve frames past ten hours."""
    from tests import media

    case = media.MATRIX["timecode-tag-ms-clock-mkv"](tmp_path)
    with av.open(str(case.path)) as container:
        assert container.streams.video[0].average_rate == 1000
    assert read_timecode(case.path) == {"start": "10:00:00:12", "rate": 25.0, "drop_frame": False,
                                        "seconds": 36000.48}


# ---- defect 4: the source's time code, the audio, drop-frame, the names ----


def test_the_source_time_code_is_the_origin_of_every_edit():
    document, times = _shots_document(30000 / 1001, timecode=HOUR_DF)
    origin = 107892  # 01:00:00;00 at 29.97 drop-frame
    first = _kept_runs(document)[0][0]
    text = edl.text(document)
    start_tc = otio.opentime.to_timecode(otio.opentime.RationalTime(origin + first, 30000 / 1001), 30000 / 1001)
    assert start_tc.startswith("01:00:") and f" {start_tc} " in text
    rate = 30000 / 1001
    for timeline in (otio.adapters.read_from_string(text, "cmx_3600", rate=rate),
                     otio.adapters.read_from_string(fcp7xml.text(document), "fcp_xml"),
                     otio.adapters.read_from_string(otio_json.text(document), "otio_json")):
        edges = [(a.to_seconds(), b.to_seconds()) for a, b in _clips(timeline)]
        _assert_lands_on_the_kept_frames(document, times, edges, origin_seconds=origin / rate)
    clip = otio.adapters.read_from_string(otio_json.text(document), "otio_json").find_clips()[0]
    assert clip.media_reference.available_range.start_time.to_frames() == origin
    xml = ET.fromstring(fcp7xml.text(document))
    assert {e.text for e in xml.iter("string")} >= {"01:00:00;00"}  # the file's own time code
    asset = ET.fromstring(fcpx.text(document)).find("resources/asset")
    assert _fcpx_time(asset.get("start")) == Fraction(origin * 1001, 30000)
    _assert_lands_on_the_kept_frames(document, times, _fcpx_edges(fcpx.text(document)),
                                     origin_seconds=origin / rate)


def test_an_edl_carries_the_sound_of_a_source_that_has_it():
    with_sound, _ = _shots_document(25, has_audio=True)
    silent, _ = _shots_document(25, has_audio=False)
    events = re.findall(r"^\d{3}  \S+\s+(\S+)\s+C ", edl.text(with_sound), flags=re.M)
    assert events == ["AA/V"] * 2  # a document that does not say how many channels: two, as before
    for channels, named in ((1, "B     "), (2, "AA/V  "), (6, "AA/V  ")):  # CMX 3600 names two at most
        with_sound["input"]["audio_channels"] = channels
        assert re.findall(r"^\d{3}  .{8} (.{6})C ", edl.text(with_sound), flags=re.M) == [named] * 2
    assert re.findall(r"^\d{3}  \S+\s+(\S+)\s+C ", edl.text(silent), flags=re.M) == ["V"] * 2
    for channels, tracks in ((2, ["Audio", "Audio", "Video"]), (1, ["Audio", "Video"])):  # read back as written
        with_sound["input"]["audio_channels"] = channels
        timeline = otio.adapters.read_from_string(edl.text(with_sound), "cmx_3600", rate=25)
        assert sorted(t.kind for t in timeline.tracks) == tracks
        assert _clips(timeline, otio.schema.TrackKind.Audio) == _clips(timeline)


@pytest.mark.parametrize("rate, mode", [(30000 / 1001, "DF"), (60000 / 1001, "DF"), (25, "NDF"), (10, "NDF")])
def test_fcp7_xml_counts_time_code_as_the_edl_does(rate, mode):
    document, _ = _shots_document(rate, timecode=HOUR_DF if mode == "DF" else None)
    text = edl.text(document)
    assert ("FCM: DROP FRAME" if mode == "DF" else "FCM: NON-DROP FRAME") in text
    edl_drop = ";" in re.findall(r"^001 .* (\S+) \S+ \S+ \S+$", text, flags=re.M)[0]
    xml = ET.fromstring(fcp7xml.text(document))
    formats = {e.text for e in xml.iter("displayformat")}
    strings = [e.text for e in xml.iter("string")]
    assert formats == {mode} and edl_drop == (mode == "DF")
    assert all((";" in s) == (mode == "DF") for s in strings)
    sequence = ET.fromstring(fcpx.text(document)).find(".//sequence")
    assert sequence.get("tcFormat") == mode


@pytest.mark.parametrize("rate", [30000 / 1001, 60000 / 1001])
def test_a_source_time_code_counting_non_drop_is_kept_non_drop(rate):
    """A 29.97 camera stamping 01:00:00:00 (non-drop): every format counts non-drop, and the
    EDL's source in is that time code plus the kept run's frames."""
    base = round(rate)
    hour_ndf = {"start": "01:00:00:00", "rate": round(rate, 5), "drop_frame": False, "seconds": 3600 * base / rate}
    document, _ = _shots_document(rate, timecode=hour_ndf)
    text = edl.text(document)
    assert "FCM: NON-DROP FRAME" in text and ";" not in text
    first = _kept_runs(document)[0][0]
    hours, minutes, seconds, frames = 1, 0, *divmod(first, base)
    minutes, seconds = divmod(seconds, 60)
    assert re.findall(r"^001 .* (\S+) \S+ \S+ \S+$", text, flags=re.M)[0] == \
        f"{hours:02d}:{minutes:02d}:{seconds:02d}:{frames:02d}"
    xml = ET.fromstring(fcp7xml.text(document))
    assert {e.text for e in xml.iter("displayformat")} == {"NDF"}
    assert "01:00:00:00" in {e.text for e in xml.iter("string")}
    assert {e.get("tcFormat") for e in ET.fromstring(fcpx.text(document)).iter() if e.get("tcFormat")} == {"NDF"}
    # Only the events' time codes are counted again: a clip name keeps its characters.
    document["input"].update(file_name="take 01:00:00;00.mov", path="/videos/take 01:00:00;00.mov")
    assert "* FROM CLIP NAME:  take 01:00:00;00 shot 1" in edl.text(document)


def test_fcpxml_is_the_old_name_of_fcp7xml_and_fcpx_is_final_cut_pro_x(capsys):
    assert parse_formats("fcpxml,edl") == ["fcp7xml", "edl"]
    note = capsys.readouterr().err
    assert note.count("\n") == 1 and "Final Cut Pro 7 XML" in note and "--export fcpx" in note
    assert parse_formats("fcpx, fcp7xml") == ["fcpx", "fcp7xml"] and capsys.readouterr().err == ""
    document, _ = _shots_document(25)
    root = ET.fromstring(fcpx.text(document))
    assert root.tag == "fcpxml" and root.find("library/event/project/sequence/spine") is not None
    assert ET.fromstring(fcp7xml.text(document)).tag == "xmeml"


def _fcpx_time(text):
    return Fraction(text.removesuffix("s"))


def _fcpx_edges(text):
    """(in, out) source seconds of each asset-clip of an FCPXML, and a check that the clips
    are back to back on frame boundaries of the sequence."""
    root = ET.fromstring(text)
    formats = {f.get("id"): _fcpx_time(f.get("frameDuration")) for f in root.iter("format")}
    sequence = root.find(".//sequence")
    frame = formats[sequence.get("format")]
    edges, offset = [], Fraction(0)
    for clip in root.find(".//spine"):
        start, duration = _fcpx_time(clip.get("start")), _fcpx_time(clip.get("duration"))
        assert _fcpx_time(clip.get("offset")) == offset
        assert (start / frame).denominator == 1 and (duration / frame).denominator == 1
        edges.append((float(start), float(start + duration)))
        offset += duration
    assert _fcpx_time(sequence.get("duration")) == offset
    return edges


# ---- the shot list and the chapter text ----


def test_the_csv_lists_every_shot_as_scenedetect_does():
    document, _ = _shots_document(30000 / 1001)
    rows = list(csv.DictReader(io.StringIO(shots_csv.text(document))))
    assert tuple(rows[0]) == shots_csv.COLUMNS
    assert len(rows) == len(document["shots"])
    for row, shot in zip(rows, document["shots"]):
        assert int(row["shot"]) == shot["index"] + 1
        assert (int(row["start_frame"]), int(row["end_frame"])) == (shot["start_frame"], shot["end_frame"])
        assert int(row["length_frames"]) == shot["end_frame"] - shot["start_frame"]
        assert float(row["start_seconds"]) == shot["start"] and float(row["end_seconds"]) == shot["end"]
        assert float(row["length_seconds"]) == pytest.approx(shot["end"] - shot["start"], abs=2e-6)
        assert float(row["score"]) == shot["score"] and row["kept"] == str(int(shot["selected"]))
        h, m, s = row["start_timecode"].split(":")
        assert int(h) * 3600 + int(m) * 60 + float(s) == pytest.approx(shot["start"], abs=5e-4)


def test_chapter_times_are_rounded_not_truncated():
    # Neither multiples of 4 s nor of any round number: 1.0005 s rounds up, 2.9996 s too.
    times = np.array([0.0, 1.0005, 2.9996, 4.2, 5.0])
    document = _document(times, [0, 1, 2, 3, 4], [0, 1, 0, 1])
    vtt = chapters.webvtt(document)
    assert re.findall(r"^(\S+) --> (\S+)$", vtt, flags=re.M) == [("00:00:01.001", "00:00:03.000"),
                                                                ("00:00:04.200", "00:00:05.000")]
    meta = chapters.ffmetadata(document)
    assert re.findall(r"^START=(\d+)$", meta, flags=re.M) == ["1000500", "4200000"]
    assert re.findall(r"^END=(\d+)$", meta, flags=re.M) == ["2999600", "5000000"]
    csv_rows = list(csv.DictReader(io.StringIO(shots_csv.text(document))))
    assert [r["start_timecode"] for r in csv_rows] == ["00:00:00.000", "00:00:01.001", "00:00:03.000",
                                                       "00:00:04.200"]


# ---- the time code module ----


@pytest.mark.parametrize("text, rate", [("01:00:00;00", 30000 / 1001), ("00:01:00;02", 30000 / 1001),
                                        ("00:10:00;00", 30000 / 1001), ("23:59:59;29", 30000 / 1001),
                                        ("10:10:00;04", 60000 / 1001), ("01:00:00:00", 25), ("00:59:59:23", 24)])
def test_time_code_seconds_agree_with_opentimelineio(text, rate):
    rational = Fraction(rate).limit_denominator(1001)
    frames = otio.opentime.from_timecode(text, rate).value
    assert timecode_seconds(text, rational) == pytest.approx(frames / rate, abs=1e-9)


@pytest.mark.parametrize("text, rate, seconds", [("01:00:00:5", 10, 3600.5), ("01:00:00:0", 2, 3600.0),
                                                 ("00:00:01:1", 2, 1.5)])
def test_time_codes_ffmpeg_writes_with_one_frame_digit_are_read(text, rate, seconds):
    """FFmpeg's tmcd tag of a 10 fps (or slower) video has one digit for the frames."""
    assert timecode_seconds(text, Fraction(rate)) == seconds


@pytest.mark.parametrize("text", ["", "1:00", "01:60:00:00", "01:00:00:30", "junk", "01:00:00:00:00"])
def test_a_tag_that_is_no_time_code_is_ignored(text):
    assert timecode_seconds(text, Fraction(30)) is None


def test_every_format_is_one_module_found_by_its_name():
    import importlib

    for name, module in FORMATS.items():
        found = importlib.import_module(f"summarize.outputs.exports.{module}")
        assert found.SUFFIXES and (callable(getattr(found, "text", None)) or callable(getattr(found, "write", None)))


# ---- chaptered copies of a tiny source made here (fast: three seconds at 64x48) ----


@pytest.fixture(scope="module")
def tiny_source(tmp_path_factory):
    """Three seconds at 10 fps with B-frames and sound (MP4), and the same picture in VP8 (MKV),
    a codec MP4 cannot carry. Shots (by hand): 0-7, 7-13 and 13-19 kept (touching: one chapter
    scored 0.25, their mean), 19-26, 26-30 kept."""
    folder = tmp_path_factory.mktemp("tiny")
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=3", "-f", "lavfi", "-i",
            "sine=frequency=440:duration=3", "-c:v", "libx264", "-bf", "2", "-g", "10", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", folder / "tiny one.mp4")
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=3", "-c:v", "libvpx", folder / "vp8.mkv")
    return folder / "tiny one.mp4", folder / "vp8.mkv"


def _chaptered_document(video):
    times = _packet_frame_times(video)
    document = _document(times, [0, 7, 13, 19, 26, len(times) - 1], [0, 1, 1, 0, 1])
    document["input"].update(path=str(video), file_name=video.name)
    return document, times


def test_chaptered_copies_of_a_source_hold_its_packets_and_chapters_at_the_kept_shots(tiny_source, tmp_path):
    video, _ = tiny_source
    document, times = _chaptered_document(video)
    written = write_exports(document, tmp_path / "t.summary.json", ["chapters-mkv", "chapters-mp4"])
    assert written == [tmp_path / "t.summary.chapters.mkv", tmp_path / "t.summary.chapters.mp4"]
    runs = [(float(times[a]), float(times[b])) for a, b in _kept_runs(document)]
    assert runs == [(0.7, 1.9), (2.6, 3.0)]
    for copy in written:
        copied = _packet_frame_times(copy)
        assert len(copied) == len(times) and np.allclose(copied, times, atol=1e-3)
        with av.open(str(copy)) as container:
            video_stream = container.streams.video[0]
            first = float(video_stream.start_time * video_stream.time_base)
            assert len(container.streams.audio) == 1 and video_stream.codec_context.name == "h264"
        assert 0 <= first < 0.05
        chapters_read = [(round(a - first, 3), round(b - first, 3), t) for a, b, t in _ffprobe_chapters(copy)]
        if copy.suffix == ".mkv":
            assert chapters_read == [(0.7, 1.9, "Kept shot 1 (score 0.25)"), (2.6, 3.0, "Kept shot 2 (score 0.50)")]
        else:  # starts only: the skipped stretches are chapters too, the first moved to the start
            assert [(a, t) for a, _, t in chapters_read] == [
                (round(-first, 3), "Skipped"), (0.7, "Kept shot 1 (score 0.25)"), (1.9, "Skipped"),
                (2.6, "Kept shot 2 (score 0.50)")]
            assert chapters_read[-1][1] == pytest.approx(3.0, abs=0.05)


def test_a_chaptered_copy_refuses_what_its_container_cannot_carry_or_a_missing_source(tiny_source, tmp_path):
    _, vp8 = tiny_source
    document, _ = _chaptered_document(vp8)
    with pytest.raises(InputError) as refused:
        write_exports(document, tmp_path / "l.summary.json", ["chapters-mp4"])
    assert str(refused.value) == ("--export chapters-mp4: vp8.mkv holds vp8 video, which MP4 cannot carry; "
                                  "use --export chapters-mkv")
    assert list(tmp_path.iterdir()) == []
    assert write_exports(document, tmp_path / "l.summary.json", ["chapters-mkv"])[0].stat().st_size > 1000
    document["input"]["path"] = str(tmp_path / "gone.mp4")
    with pytest.raises(InputError, match=r"^cannot re-read .*gone\.mp4 to copy it with chapters \("):
        write_exports(document, tmp_path / "g.summary.json", ["chapters-mkv"])


def test_the_covering_chapters_start_at_zero_and_end_with_the_video():
    from summarize.outputs.exports.remux import covering_chapters, kept_chapters

    times = np.arange(31) / 10
    document = _document(times, [0, 7, 13, 19, 26, 30], [1, 0, 1, 0, 0])
    assert kept_chapters(document) == [(0.0, 0.7, "Kept shot 1 (score 0.10)"), (1.3, 1.9, "Kept shot 2 (score 0.30)")]
    assert covering_chapters(document) == [(0.0, 0.7, "Kept shot 1 (score 0.10)"), (0.7, 1.3, "Skipped"),
                                           (1.3, 1.9, "Kept shot 2 (score 0.30)"), (1.9, 3.0, "Skipped")]
    ends_kept = _document(times, [0, 7, 30], [0, 1])
    assert covering_chapters(ends_kept) == [(0.0, 0.7, "Skipped"), (0.7, 3.0, "Kept shot 1 (score 0.20)")]


def test_the_chapters_format_writes_webvtt_and_ffmetadata_beside_the_json(tmp_path):
    document, _ = _shots_document(25)
    written = write_exports(document, tmp_path / "c.summary.json", ["chapters"])
    assert written == [tmp_path / "c.summary.chapters.vtt", tmp_path / "c.summary.ffmetadata"]
    assert written[0].read_text(encoding="utf-8") == chapters.webvtt(document)
    assert written[1].read_text(encoding="utf-8") == chapters.ffmetadata(document)


def test_chapter_and_shot_list_texts_word_for_word():
    from summarize.outputs.exports.kept import clock

    times = np.arange(31) / 10
    document = _document(times, [0, 7, 13, 19, 26, 30], [0, 1, 1, 0, 1])
    assert chapters.webvtt(document) == (
        "WEBVTT\n\nNOTE kept shots of clip one.mov chosen by summarize\n\n"
        "1\n00:00:00.700 --> 00:00:01.900\nKept shot 1 (score 0.25)\n\n"
        "2\n00:00:02.600 --> 00:00:03.000\nKept shot 2 (score 0.50)\n")
    assert chapters.ffmetadata(document) == (
        ";FFMETADATA1\n\n[CHAPTER]\nTIMEBASE=1/1000000\nSTART=700000\nEND=1900000\ntitle=Kept shot 1 (score 0.25)\n"
        "\n[CHAPTER]\nTIMEBASE=1/1000000\nSTART=2600000\nEND=3000000\ntitle=Kept shot 2 (score 0.50)\n")
    assert shots_csv.text(document).splitlines(keepends=True)[:3] == [
        "shot,start_frame,end_frame,start_timecode,end_timecode,start_seconds,end_seconds,length_frames,"
        "length_timecode,length_seconds,score,kept\n",
        "1,0,7,00:00:00.000,00:00:00.700,0.000000,0.700000,7,00:00:00.700,0.700000,0.100000,0\n",
        "2,7,13,00:00:00.700,00:00:01.300,0.700000,1.300000,6,00:00:00.600,0.600000,0.200000,1\n"]
    assert [clock(s) for s in (59.9995, 60.0, 3599.9996, 3600.0, 7322.5)] == [
        "00:01:00.000", "00:01:00.000", "01:00:00.000", "01:00:00.000", "02:02:02.500"]


def test_exports_are_utf8_whatever_the_locale(tmp_path, legacy_locale):
    document, _ = _shots_document(25)
    document["input"]["file_name"] = "café ☃.mov"
    written = write_exports(document, tmp_path / "c.summary.json", ["chapters", "csv", "fcpx"])
    assert "NOTE kept shots of café ☃.mov" in written[0].read_bytes().decode("utf-8")
    assert [p.read_bytes().decode("utf-8") for p in written[:2]] == [chapters.webvtt(document),
                                                                     chapters.ffmetadata(document)]


@pytest.mark.parametrize("rate, has_audio", [(12.5, True), (25, False)])
def test_fcpx_resources_describe_the_source_and_the_edit(rate, has_audio):
    """The formats (the edit's rate, and the source's own where it is slower), the asset (the
    source file, its time code start, its length, its picture and sound) and the project."""
    document, _ = _shots_document(rate, has_audio=has_audio)
    root = ET.fromstring(fcpx.text(document).split("\n", 2)[2])
    assert root.tag == "fcpxml" and root.attrib == {"version": "1.8"}
    formats = [f.attrib for f in root.iter("format")]
    edit = {"id": "r1", "frameDuration": "1/25s", "width": "320", "height": "240"}
    assert formats == ([edit, {**edit, "id": "r2", "frameDuration": "2/25s"}] if rate == 12.5 else [edit])
    [asset] = [a.attrib for a in root.iter("asset")]
    sound = {"hasAudio": "1", "audioSources": "1"} if has_audio else {"hasAudio": "0"}
    assert asset == {"id": "r3", "name": "clip one", "src": "file:///videos/clip%20one.mov", "start": "0s",
                     "duration": "60s", "hasVideo": "1", "format": "r2" if rate == 12.5 else "r1", **sound}
    document["input"]["audio_channels"] = 2  # recorded: said with the sound, never without it
    [asset] = [a.attrib for a in ET.fromstring(fcpx.text(document).split("\n", 2)[2]).iter("asset")]
    assert asset.get("audioChannels") == ("2" if has_audio else None)
    [event] = list(root.iter("event"))
    [project] = list(root.iter("project"))
    assert event.attrib == {"name": "clip one summary"} and project.attrib == {"name": "clip one summary"}
    [sequence] = list(root.iter("sequence"))
    clips = [c.attrib for c in root.iter("asset-clip")]
    assert {k: sequence.attrib[k] for k in ("format", "tcStart", "tcFormat")} == {
        "format": "r1", "tcStart": "0s", "tcFormat": "NDF"}
    assert [c["name"] for c in clips] == ["clip one shot 1", "clip one shot 2"]
    assert all(c["ref"] == "r3" and c["tcFormat"] == "NDF" for c in clips)
    assert fcpx.seconds(Fraction(3)) == "3s" and fcpx.seconds(Fraction(1001, 30000)) == "1001/30000s"


@pytest.mark.parametrize("has_audio", [True, False])
def test_the_timeline_every_edit_format_starts_from(has_audio):
    """Its name, start, records, tracks (sound only where the source has it and the format
    carries it), and a clip per kept run with the source's range and the run's own record."""
    from summarize.outputs.exports import kept_ranges
    from summarize.outputs.exports.timeline import adapter_text, timeline

    document, _ = _shots_document(30000 / 1001, has_audio=has_audio, timecode=HOUR_DF)
    tl = timeline(document)
    rt = otio.opentime.RationalTime
    assert tl.name == "clip one summary" and tl.global_start_time == rt(0, 30000 / 1001)
    assert dict(tl.metadata["summarize"]) == {"source": "/videos/clip one.mov", "method": "contrastive",
                                              "budget": 0.15}
    assert dict(tl.metadata["fcp_xml"]["timecode"]) == {"displayformat": "DF"}
    assert [(t.name, t.kind) for t in tl.tracks] == [("V1", "Video")] + ([("A1", "Audio")] if has_audio else [])
    silent = timeline(document, audio=False)  # held: OpenTimelineIO frees a temporary timeline's tracks
    assert [(t.name, t.kind) for t in silent.tracks] == [("V1", "Video")]
    runs = kept_ranges(document)
    for track in tl.tracks:
        clips = track.find_clips()
        assert [c.name for c in clips] == [f"clip one shot {k}" for k in range(1, len(runs) + 1)]
        for clip, run in zip(clips, runs):
            record = dict(clip.metadata["summarize"])
            assert {**record, "shots": list(record["shots"])} == {"shots": list(run.shots), "score": run.score,
                                                        "start_seconds": run.start, "end_seconds": run.end}
            ref = clip.media_reference
            assert ref.target_url == "file:///videos/clip%20one.mov"
            assert ref.available_range.start_time.to_frames() == 107892  # 01:00:00;00
            assert ref.available_range.duration.to_frames() == document["input"]["n_frames"]
    with_sound = json.loads(adapter_text(document, "otio_json", "opentimelineio"))
    assert len(with_sound["tracks"]["children"]) == (2 if has_audio else 1)
    ndf, _ = _shots_document(25)
    ndf_timeline = timeline(ndf)
    assert dict(ndf_timeline.metadata["fcp_xml"]["timecode"]) == {"displayformat": "NDF"}


def test_format_names_and_what_each_reads():
    from summarize.outputs.exports import reads_source

    assert parse_formats("") == [] and parse_formats(None) == [] and parse_formats(" , ") == []
    assert {f: reads_source(f) for f in FORMATS} == {f: f in ("chapters-mp4", "chapters-mkv") for f in FORMATS}


def test_without_opentimelineio_the_edit_formats_are_refused_in_one_line(monkeypatch):
    from summarize.errors import UsageError
    from summarize.outputs.exports import check_available, timeline

    def missing(name):
        raise ImportError(name)

    monkeypatch.setattr(timeline, "import_native", missing)
    check_available(["chapters", "csv", "chapters-mkv", "fcpx"])  # none of these needs it (FCPXML: written here)
    for fmt in ("edl", "otio", "fcp7xml"):
        with pytest.raises(UsageError) as refused:
            check_available(["csv", fmt])
        assert str(refused.value) == f"exporting edits needs OpenTimelineIO: {timeline.OTIO_HINT}"
    monkeypatch.undo()
    check_available(["edl", "otio"])
    document, _ = _shots_document(25)
    with pytest.raises(UsageError) as refused:
        timeline.adapter_text(document, "no_such_adapter", "otio-nothing-adapter")
    assert str(refused.value) == "OpenTimelineIO has no no_such_adapter adapter here: pip install otio-nothing-adapter"


def test_a_failed_write_names_the_file_and_leaves_none(tmp_path, monkeypatch):
    from summarize.errors import OutputError

    def full(document, paths):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(chapters, "write", full)
    document, _ = _shots_document(25)
    with pytest.raises(OutputError) as failed:
        write_exports(document, tmp_path / "f.summary.json", ["edl", "csv", "chapters", "otio"])
    assert str(failed.value) == f"cannot write {tmp_path / 'f.summary.chapters.vtt'}: No space left on device"
    assert list(tmp_path.iterdir()) == []


def test_a_muxer_error_is_one_line(tiny_source, tmp_path, monkeypatch):
    from summarize.errors import OutputError
    from summarize.outputs.exports import remux

    def refuse(*args):
        raise av.error.FFmpegError(28, "No space left on device")

    monkeypatch.setattr(remux, "_remux", refuse)
    document, _ = _chaptered_document(tiny_source[0])
    with pytest.raises(OutputError, match=r"^cannot write the chaptered copy of tiny one\.mp4 \(.*No space left"):
        write_exports(document, tmp_path / "t.summary.json", ["chapters-mkv"])


def test_preflight_refuses_from_the_containers_header_before_any_decoding(tiny_source, tmp_path):
    from summarize.outputs.exports import _probe_document, preflight

    mp4, vp8 = tiny_source
    assert _probe_document(mp4) == {"input": {"path": str(mp4.resolve()), "file_name": "tiny one.mp4",
                                              "avg_fps": 10.0, "has_audio": True}}
    assert _probe_document(vp8)["input"]["has_audio"] is False
    preflight(mp4, ["edl", "chapters-mp4", "chapters-mkv"])  # all can be made
    with pytest.raises(InputError, match="--export chapters-mp4: vp8.mkv holds vp8 video"):
        preflight(vp8, ["chapters-mkv", "chapters-mp4"])
    (tmp_path / "not a video.mp4").write_bytes(b"nothing here")
    assert _probe_document(tmp_path / "not a video.mp4") is None
    preflight(tmp_path / "not a video.mp4", ["chapters-mp4"])  # left for the run to report
    preflight(tmp_path / "missing.mp4", [])  # nothing asked: nothing read


# ---- end to end: generated videos through the command line (slow) ----


def _ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def _packet_frame_times(path):
    """Start of every video frame (seconds from the first) and the end of the last, from the
    container's packets (the oracle: not through summarize.decoding)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = [(p.pts, p.duration or 0) for p in container.demux(stream) if p.pts is not None]
        base = stream.time_base
    packets.sort()
    starts = np.array([float(p * base) for p, _ in packets])
    end = float((packets[-1][0] + packets[-1][1]) * base)
    return np.append(starts, end) - starts[0]


def _cases(folder):
    from tests.synthetic import write_video

    scenes = [(0, 3.0), (1, 3.0), (2, 3.0), (3, 3.0), (4, 3.0)]
    ten = write_video(folder / "ten.mp4", scenes, fps=10, width=160, height=120, preset="medium")  # B-frames
    ntsc = write_video(folder / "ntsc.mp4", scenes[:4], fps=Fraction(30000, 1001), width=160, height=120)
    _ffmpeg("-i", ntsc.path, "-c", "copy", "-timecode", "01:00:00;00", folder / "ntsc-tmcd.mov")
    vfr = write_video(folder / "vfr.mkv", scenes, fps=30, width=160, height=120, variable_frame_rate=True,
                      audio=False)
    _ffmpeg("-i", vfr.path, "-c", "copy", "-timecode", "10:00:00:00", folder / "vfr-tc.mkv")
    return {"10fps-mp4": (ten.path, None), "29.97-mov-tmcd": (folder / "ntsc-tmcd.mov", "01:00:00;00"),
            "vfr-mkv-tag": (folder / "vfr-tc.mkv", "10:00:00:00")}


EVERY_FORMAT = "edl,otio,fcp7xml,fcpx,chapters,chapters-mp4,chapters-mkv,csv"


@pytest.fixture(scope="module")
def summarized(tmp_path_factory):
    from summarize._cli import main

    folder = tmp_path_factory.mktemp("exports")
    out = {}
    for name, (video, timecode) in _cases(folder).items():
        target = folder / name
        with pytest.raises(SystemExit) as exit_info:
            main([str(video), "-o", str(target), "--budget", "0.4", "--no-video", "--no-cache", "-q",
                  "--export", EVERY_FORMAT])
        assert exit_info.value.code == 0, name
        stem = video.stem + ".summary"
        document = json.loads((target / f"{stem}.json").read_text())
        out[name] = (video, timecode, target, stem, document)
    return out


CASES = ["10fps-mp4", "29.97-mov-tmcd", "vfr-mkv-tag"]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_edits_of_a_summarized_video_land_on_its_kept_frames_from_its_time_code(summarized, case):
    video, timecode, folder, stem, document = summarized[case]
    times = _packet_frame_times(video)
    assert document["input"]["n_frames"] == len(times) - 1
    assert (document["input"].get("timecode") or {}).get("start") == timecode
    jsonschema.validate(document, schema())  # input.timecode is part of the format
    clock = source_clock(document)
    origin = clock.origin / clock.rate.fps
    if timecode == "01:00:00;00":
        assert clock.origin == 107892 and clock.rate.drop_frame
    assert _kept_runs(document), "nothing kept"
    readers = [otio.adapters.read_from_file(str(folder / f"{stem}.edl"), "cmx_3600", rate=clock.rate.fps),
               otio.adapters.read_from_file(str(folder / f"{stem}.fcp.xml"), "fcp_xml"),
               otio.adapters.read_from_file(str(folder / f"{stem}.otio"))]
    for timeline in readers:
        edges = [(a.to_seconds(), b.to_seconds()) for a, b in _clips(timeline)]
        _assert_lands_on_the_kept_frames(document, times, edges, origin_seconds=origin)
        assert bool(timeline.audio_tracks()) == document["input"]["has_audio"]
    fcpx_text = (folder / f"{stem}.fcpxml").read_text()
    _assert_lands_on_the_kept_frames(document, times, _fcpx_edges(fcpx_text), origin_seconds=origin)
    rows = list(csv.DictReader(io.StringIO((folder / f"{stem}.shots.csv").read_text())))
    assert [(int(r["start_frame"]), int(r["end_frame"]), r["kept"] == "1") for r in rows] == \
        [(s["start_frame"], s["end_frame"], s["selected"]) for s in document["shots"]]


def _ffprobe_chapters(path):
    result = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(path)],
                            check=True, capture_output=True, text=True)
    return [(float(c["start_time"]), float(c["end_time"]), c.get("tags", {}).get("title"))
            for c in json.loads(result.stdout)["chapters"]]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_chaptered_copies_hold_the_source_and_chapters_at_the_kept_shots(summarized, case):
    video, timecode, folder, stem, document = summarized[case]
    runs = [(_seconds(document, a), _seconds(document, b)) for a, b in _kept_runs(document)]
    source_packets = _packet_frame_times(video)
    for suffix in (".chapters.mkv", ".chapters.mp4"):
        copy = folder / f"{stem}{suffix}"
        copied = _packet_frame_times(copy)
        assert len(copied) == len(source_packets) and np.allclose(copied, source_packets, atol=1e-3)
        with av.open(str(copy)) as container:
            first = float(container.streams.video[0].start_time * container.streams.video[0].time_base)
            assert len(container.streams.audio) == int(document["input"]["has_audio"])
        assert 0 <= first < 0.05  # no lead-in before the picture (B-frames decode before 0; AAC priming aside)
        chapters_read = [(a - first, b - first, t) for a, b, t in _ffprobe_chapters(copy)]
        ms = pytest.approx  # chapters and timestamps are stored in milliseconds
        if suffix == ".chapters.mkv":  # start and end of each kept run
            assert [(a, b) for a, b, _ in chapters_read] == [(ms(a, abs=1.5e-3), ms(b, abs=1.5e-3)) for a, b in runs]
        else:  # starts only: kept and skipped stretches cover the video
            starts = [a for a, _, _ in chapters_read]
            kept = [a for a, _, t in chapters_read if t.startswith("Kept")]
            # The first chapter starts the file (MP4 moves it there): a run kept from the first frame.
            assert kept == [ms(a if a > 0 else -first, abs=1.5e-3) for a, _ in runs]
            assert starts[0] == ms(-first, abs=1e-6) and starts == sorted(starts)
            titles = [t for _, _, t in chapters_read]
            assert all(a != b for a, b in zip(titles, titles[1:]) if "Skipped" in (a, b))
            assert chapters_read[-1][1] == pytest.approx(document["input"]["duration"], abs=0.05)
        if timecode and suffix == ".chapters.mp4":  # the time code travels with the copy
            assert read_timecode(copy)["start"] == timecode


def _seconds(document, frame):
    for shot in document["shots"]:
        if shot["start_frame"] == frame:
            return shot["start"]
        if shot["end_frame"] == frame:
            return shot["end"]
    raise AssertionError(frame)


@pytest.fixture(scope="module")
def fast_video(tmp_path_factory):
    from tests.synthetic import write_video

    folder = tmp_path_factory.mktemp("fast")
    return write_video(folder / "fast.mp4", [(0, 1.0), (1, 1.0)], fps=120, width=64, height=48).path


@pytest.mark.slow
def test_the_cli_refuses_a_time_code_format_in_one_line_and_writes_nothing(fast_video):
    before = set(fast_video.parent.iterdir())
    result = subprocess.run([sys.executable, "-m", "summarize", str(fast_video), "--export", "otio,fcpxml", "-q"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1  # the command is right; this file cannot have that format
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("summarize: error: --export fcp7xml: fast.mp4 runs at 120 fps")
    assert len(lines) == 2 and lines[0].startswith("summarize: note: --export fcpxml writes Final Cut Pro 7")
    assert "Traceback" not in result.stderr
    assert set(fast_video.parent.iterdir()) == before


@pytest.mark.slow
def test_the_refusal_comes_before_the_video_is_decoded(fast_video, monkeypatch, capsys):
    from summarize import pipeline
    from summarize._cli import main

    def no_work(*args, **kwargs):
        raise AssertionError("the summary started before the export was refused")

    monkeypatch.setattr(pipeline.Summarizer, "summarize", no_work)
    with pytest.raises(SystemExit) as exit_info:
        main([str(fast_video), "--export", "edl", "--no-cache", "-q"])
    assert exit_info.value.code == 1
    assert "--export edl: fast.mp4 runs at 120 fps" in capsys.readouterr().err
