"""The media matrix (issue 19): every case of ``tests/media.py`` summarized, and the result checked
against an independent oracle, the container's packet timestamps (``media.packets``: PyAV's
demuxer alone, not ``summarize.decoding``).

For each case: the run ends without an error, the JSON's duration is the packets' span within
one frame, every shot starts and ends on a frame of the source, the time kept is within the
budget, the summary MP4 (read through its packets too) lasts what the JSON says, and its
sound is there exactly when the source has some.

The same run (one per case) writes ``--report`` and every export (``EXPORTS``), each read
back by a reader of its own and held against the packets: the EDL's source and record time
codes (counted by OpenTimelineIO at the rate the FCP 7 XML declares, drop-frame where the
FCM line says so), the OTIO clips, the FCP 7 XML and FCPXML times (ElementTree), the
chapters (WebVTT, FFmetadata, and ffprobe on the chaptered MKV copy) and the CSV rows (the
JSON's shots). Every edit lands on the first frame of a kept run and the frame after its
last, counted from the source's own time code (``tmcd-*`` and ``timecode-tag-*`` cases: an
hour in), the EDL, FCP 7 XML and FCPXML agreeing on the rate and on drop-frame with the
source's time code. A source faster than time code counts (120 fps) must have the time-code
formats refused in one line, exit 1, nothing written; its run then writes the others.

Each case runs as a user types it, ``summarize VIDEO -o DIR/ --report --export ...``, in this
process (PyTorch loads once; ``-m "not slow"`` keeps two cases, ``QUICK``), a few also in a
child process. A new check is a function ``check_*(case, source, result)`` added to
``CHECKS`` (see ``tests/media.py``).
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlparse

import numpy as np
import opentimelineio as otio
import pytest

from tests import media

# The cases run by ``-m "not slow"`` (the quick suite): a source time code through every
# export, non-drop at 29.97 in MP4, and in Matroska (B-frames without DTS, for the chaptered copy).
QUICK = {"tmcd-29.97ndf-mp4", "timecode-tag-25-mkv"}

ROOT = Path(__file__).resolve().parents[1]


def _frame(case: media.Case, source: media.Packets) -> float:
    """One frame: the tolerance on every time (the longest a frame of the source lasts)."""
    return max(case.longest_frame, source.frame, source.last_duration) + 1e-3


def check_duration(case, source, result) -> None:
    doc = result.document["input"]
    assert abs(source.duration - case.duration) <= _frame(case, source), "the oracle disagrees with the generator"
    assert doc["n_frames"] == len(source.starts)
    assert doc["duration"] == pytest.approx(source.duration, abs=_frame(case, source)), \
        f"JSON {doc['duration']:.3f} s, packets {source.duration:.3f} s"


def check_shots_on_frames(case, source, result) -> None:
    """Shot boundaries are the source's own frame times (a stretched clock moves them off)."""
    doc = result.document
    starts = source.starts - source.starts[0]
    edges = np.append(starts, doc["input"]["duration"])
    for shot in doc["shots"]:
        for edge in (shot["start"], shot["end"]):
            assert np.min(np.abs(edges - edge)) < 2e-3, f"shot edge {edge:.4f} s is not a frame's start"


def check_budget(case, source, result) -> None:
    doc = result.document
    kept, duration = doc["summary"]["duration"], doc["input"]["duration"]
    selected = [s for s in doc["shots"] if s["selected"]]
    assert selected and kept == pytest.approx(sum(s["end"] - s["start"] for s in selected), abs=1e-3)
    # A frame cannot be cut: where one frame outlasts the budget, the summary keeps one frame.
    assert 0 < kept <= doc["selection"]["budget"] * duration + _frame(case, source)


def check_summary_video(case, source, result) -> None:
    written = media.packets(result.video_path)
    kept = result.document["summary"]["duration"]
    assert written.starts[0] == pytest.approx(0.0, abs=1e-3)
    assert written.duration == pytest.approx(kept, abs=_frame(case, source)), \
        f"the MP4 lasts {written.duration:.3f} s, the JSON says {kept:.3f} s"


def check_audio(case, source, result) -> None:
    doc = result.document["input"]
    written = media.packets(result.video_path)
    kept = result.document["summary"]["duration"]
    if case.audio == "present":
        assert source.audio is not None and doc["has_audio"] and "audio_note" not in doc
        assert doc["audio_channels"] == written.audio_channels == source.audio_channels  # stereo stays stereo
        first, last = written.audio
        assert first == pytest.approx(0.0, abs=0.05) and last == pytest.approx(kept, abs=0.05)
    else:
        assert source.audio is None and not doc["has_audio"] and written.audio_streams == 0
        if case.audio == "empty":  # the file has a track, without sound: said so
            assert "audio track is empty" in doc["audio_note"]


# --- the exports, read back ------------------------------------------------------------

EXPORTS = ("edl", "otio", "fcp7xml", "fcpx", "chapters", "chapters-mkv", "chapters-mp4", "csv")
TIMECODE_FORMATS = ("edl", "fcp7xml", "fcpx")  # SMPTE time code: 60 frames a second at most
SUFFIXES = {"edl": (".edl",), "otio": (".otio",), "fcp7xml": (".fcp.xml",), "fcpx": (".fcpxml",),
            "chapters": (".chapters.vtt", ".ffmetadata"), "chapters-mkv": (".chapters.mkv",),
            "chapters-mp4": (".chapters.mp4",), "csv": (".shots.csv",)}
# Times stored in milliseconds (Matroska, WebVTT) are this far from the packets' at most.
MS = 1.5e-3


def refusals(source: media.Packets) -> dict[str, str]:
    """The exports a source cannot have, and how their refusal starts: no time code above 60
    frames a second (the packets' average); no MP4 copy of frames that share a time stamp."""
    out = {}
    if len(source.starts) / source.duration > 60.01:
        out.update({fmt: "runs at " for fmt in TIMECODE_FORMATS})
    if len(np.unique(source.starts)) < len(source.starts):
        out["chapters-mp4"] = "cannot be copied into MP4"
    return out


def formats_for(source: media.Packets) -> list[str]:
    """The exports a source can have (``refusals``)."""
    return [f for f in EXPORTS if f not in refusals(source)]


def _export(result, suffix: str) -> Path:
    return result.json_path.with_name(result.json_path.name.removesuffix(".json") + suffix)


def _times(source: media.Packets, document) -> np.ndarray:
    """Every frame's start from the first, then the end of the last: the oracle's clock.
    Where the container does not state how long the last frame lasts (MPEG-TS), the end is
    the JSON's (check_duration holds it within one frame of the packets')."""
    end = source.duration if source.last_duration else document["input"]["duration"]
    return np.append(source.starts - source.starts[0], end)


def _kept_runs(document) -> list[tuple[int, int]]:
    """Source frames [a, b) of each run of touching kept shots (the shots are held against
    the packets by check_shots_on_frames)."""
    runs: list[list[int]] = []
    for shot in sorted(document["shots"], key=lambda s: s["start_frame"]):
        if shot["selected"]:
            if runs and runs[-1][1] == shot["start_frame"]:
                runs[-1][1] = shot["end_frame"]
            else:
                runs.append([shot["start_frame"], shot["end_frame"]])
    return [(a, b) for a, b in runs]


def _origin(case) -> float:
    """Seconds from 00:00:00:00 to the first frame: the source's time code (none: 0)."""
    return case.expect.get("timecode_seconds", 0.0)


def _exact(case, rate: float) -> bool:
    """Whether the edit rate counts whole source frames (a constant rate that divides it):
    edits then fall on the frames' starts, not merely on the frames."""
    steps = np.diff(case.frame_times)
    if len(steps) == 0 or np.ptp(steps) > 1e-9:
        return False
    multiple = rate * steps[0]
    return round(multiple) >= 1 and abs(multiple - round(multiple)) < 1e-6


def _assert_lands(case, source, document, frame: int, seconds: float, rate: float, what: str) -> None:
    """An edit at ``seconds`` (from the first frame) shows source frame ``frame`` (the end:
    one past the last), at the frame's start where the rate allows, else in its first edit frame."""
    times = _times(source, document)
    start = times[frame]
    if _exact(case, rate):
        assert seconds == pytest.approx(start, abs=MS), \
            f"{what}: {seconds:.4f} s, frame {frame} starts at {start:.4f} s"
        return
    assert start - MS <= seconds < start + 1 / rate + MS, \
        f"{what}: {seconds:.4f} s, frame {frame} starts at {start:.4f} s (edit frames of {1 / rate:.4f} s)"
    if frame + 1 < len(times):
        assert seconds < times[frame + 1] - MS or seconds == pytest.approx(start, abs=MS), f"{what}: past frame {frame}"


def _fcp7_rate(element) -> float:
    base = int(element.findtext("timebase"))
    return base * 1000 / 1001 if element.findtext("ntsc") == "TRUE" else float(base)


def _fcpx_time(text: str) -> Fraction:
    return Fraction(text.removesuffix("s"))


def _edit_rate(result) -> float | None:
    """The rate the edits count in, as the FCP 7 XML declares it (FCPXML and the EDL must agree)."""
    if "fcp7xml" not in result.formats:
        return None
    return _fcp7_rate(ET.parse(_export(result, ".fcp.xml")).getroot().find("project/children/sequence/rate"))


def _drop_frame(case, rate: float) -> bool:
    """Drop-frame: at 29.97 and 59.94 where the source's own time code does not count non-drop."""
    ntsc = any(abs(rate - r * 1000 / 1001) < 1e-6 for r in (30, 60))
    return ntsc and case.expect.get("drop_frame", True)


def check_exports_written(case, source, result) -> None:
    """The report and every export asked for are there, and nothing else beside them."""
    assert result.formats == formats_for(source)
    wanted = {result.json_path.name, result.video_path.name, _export(result, ".html").name}
    wanted |= {_export(result, suffix).name for fmt in result.formats for suffix in SUFFIXES[fmt]}
    assert {p.name for p in result.json_path.parent.iterdir()} == wanted
    html = _export(result, ".html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and case.path.name in html


def check_time_code(case, source, result) -> None:
    """The JSON records the time code the file states; the edits count in a rate time code
    counts at, the source's own where it is one."""
    stated = media.stated_timecode(case.path)
    recorded = result.document["input"].get("timecode")
    if "timecode" not in case.expect:
        assert stated is None and recorded is None
    else:
        assert stated is not None and recorded is not None, f"the file states {stated!r}, the JSON has none"
        assert recorded["start"] == stated and recorded["drop_frame"] == case.expect["drop_frame"]
        assert recorded["seconds"] == pytest.approx(_origin(case), abs=1e-3)
    rate = _edit_rate(result)
    if rate is not None:
        assert otio.opentime.RationalTime.is_smpte_timecode_rate(rate), rate
        fps = len(source.starts) / source.duration
        if any(abs(fps - r) < 1e-3 * r for r in (24000 / 1001, 25, 30000 / 1001, 50, 60000 / 1001)) and \
                _exact(case, fps):
            assert rate == pytest.approx(fps, rel=1e-3), "a source at a time-code rate is edited at its own rate"


def check_edl(case, source, result) -> None:
    if "edl" not in result.formats:
        return
    text = _export(result, ".edl").read_text(encoding="utf-8")
    rate = _edit_rate(result)
    modes = re.findall(r"^FCM: (.*)$", text, flags=re.M)
    drop = _drop_frame(case, rate)
    assert modes == ["DROP FRAME" if drop else "NON-DROP FRAME"]
    events = re.findall(r"^(\d{3})  (\S+) +(\S+) +C +(\S+) (\S+) (\S+) (\S+) *$", text, flags=re.M)
    runs = _kept_runs(result.document)
    assert len(events) == len(runs) and [int(e[0]) for e in events] == list(range(1, len(runs) + 1))
    record = 0
    for (_, _, channels, *codes), (a, b) in zip(events, runs):
        # One audio channel named for a mono source, the first two otherwise (the packets' stream says which).
        assert channels == ("V" if source.audio is None else "B" if source.audio_channels == 1 else "AA/V")
        assert all((";" in code) == drop for code in codes), codes
        s_in, s_out, r_in, r_out = (otio.opentime.from_timecode(code, rate) for code in codes)
        assert r_in.value == record and r_out.value - r_in.value == s_out.value - s_in.value
        record = r_out.value
        _assert_lands(case, source, result.document, a, s_in.to_seconds() - _origin(case), rate, "EDL source in")
        _assert_lands(case, source, result.document, b, s_out.to_seconds() - _origin(case), rate, "EDL source out")


def check_otio(case, source, result) -> None:
    if "otio" not in result.formats:
        return
    timeline = otio.adapters.read_from_file(str(_export(result, ".otio")))
    runs = _kept_runs(result.document)
    rate = _edit_rate(result)
    tracks = {kind: [[(c.source_range.start_time, c.source_range.end_time_exclusive()) for c in t.find_clips()]
                     for t in timeline.tracks if t.kind == kind] for kind in ("Video", "Audio")}
    assert len(tracks["Video"]) == 1 and len(tracks["Audio"]) == int(source.audio is not None)
    assert all(audio == tracks["Video"][0] for audio in tracks["Audio"])
    clips = list(timeline.find_clips())
    for clip, ((start, end), (a, b)) in zip(clips, zip(tracks["Video"][0], runs)):
        available = clip.media_reference.available_range
        assert Path(unquote(urlparse(clip.media_reference.target_url).path)) == case.path.resolve()
        edit_rate = rate if rate is not None else start.rate  # no time code: the source's own frames
        assert start.rate == pytest.approx(edit_rate, rel=1e-6)
        assert available.start_time.to_seconds() == pytest.approx(_origin(case), abs=0.5 / edit_rate)
        assert available.duration.to_seconds() == pytest.approx(source.duration, abs=_frame(case, source))
        if rate is None:
            assert edit_rate == pytest.approx(len(source.starts) / source.duration, rel=1e-3)
        origin = available.start_time.to_seconds()
        _assert_lands(case, source, result.document, a, start.to_seconds() - origin, edit_rate, "OTIO clip start")
        _assert_lands(case, source, result.document, b, end.to_seconds() - origin, edit_rate, "OTIO clip end")
    assert len(tracks["Video"][0]) == len(runs)


def check_fcp7xml(case, source, result) -> None:
    if "fcp7xml" not in result.formats:
        return
    root = ET.parse(_export(result, ".fcp.xml")).getroot()
    sequence = root.find("project/children/sequence")
    rate = _fcp7_rate(sequence.find("rate"))
    drop = _drop_frame(case, rate)
    assert {e.text for e in root.iter("displayformat")} == {"DF" if drop else "NDF"}
    assert all((";" in e.text) == drop for e in root.iter("string"))
    files = [f for f in root.iter("file") if f.find("timecode") is not None]
    assert len(files) == 1 and Path(unquote(urlparse(files[0].findtext("pathurl")).path)) == case.path.resolve()
    origin = int(files[0].findtext("timecode/frame"))
    assert origin == round(_origin(case) * rate)
    expected = otio.opentime.to_timecode(otio.opentime.RationalTime(origin, rate), rate, drop_frame=drop)
    assert files[0].findtext("timecode/string") == expected
    if case.expect.get("timecode") and abs(rate - source_rate(case)) < 1e-6:  # the file's own words
        assert expected == case.expect["timecode"]
    runs = _kept_runs(result.document)
    video = sequence.findall("media/video/track/clipitem")
    audio = sequence.findall("media/audio/track/clipitem")
    assert len(video) == len(runs) and len(audio) == (len(runs) if source.audio is not None else 0)
    record = 0
    for item, (a, b) in zip(video, runs):
        start, end, first, last = (int(item.findtext(k)) for k in ("start", "end", "in", "out"))
        assert start == record and end - start == last - first
        record = end
        _assert_lands(case, source, result.document, a, first / rate, rate, "FCP 7 in")
        _assert_lands(case, source, result.document, b, last / rate, rate, "FCP 7 out")
    assert int(sequence.findtext("duration")) == record


def source_rate(case) -> float:
    steps = np.diff(case.frame_times)
    return float(1 / np.median(steps)) if len(steps) else 0.0


def check_fcpx(case, source, result) -> None:
    if "fcpx" not in result.formats:
        return
    root = ET.parse(_export(result, ".fcpxml")).getroot()
    assert root.tag == "fcpxml"
    formats = {f.get("id"): _fcpx_time(f.get("frameDuration")) for f in root.iter("format")}
    sequence = root.find("library/event/project/sequence")
    frame = formats[sequence.get("format")]
    assert float(1 / frame) == pytest.approx(_edit_rate(result), rel=1e-9), "FCPXML and FCP 7 XML disagree on the rate"
    drop = _drop_frame(case, float(1 / frame))
    assert {sequence.get("tcFormat")} | {c.get("tcFormat") for c in sequence.iter("asset-clip")} == \
        {"DF" if drop else "NDF"}
    asset = root.find("resources/asset")
    assert Path(unquote(urlparse(asset.get("src")).path)) == case.path.resolve()
    assert asset.get("hasAudio") == ("1" if source.audio is not None else "0")
    assert asset.get("audioChannels") == (str(source.audio_channels) if source.audio is not None else None)
    assert float(_fcpx_time(asset.get("start"))) == pytest.approx(_origin(case), abs=float(frame) / 2)
    assert float(_fcpx_time(asset.get("duration"))) == pytest.approx(source.duration, abs=_frame(case, source))
    runs = _kept_runs(result.document)
    clips = sequence.findall("spine/asset-clip")
    assert len(clips) == len(runs)
    offset = Fraction(0)
    for clip, (a, b) in zip(clips, runs):
        start, duration = _fcpx_time(clip.get("start")), _fcpx_time(clip.get("duration"))
        assert clip.get("ref") == asset.get("id") and _fcpx_time(clip.get("offset")) == offset
        assert (start / frame).denominator == 1 and (duration / frame).denominator == 1
        offset += duration
        rate = float(1 / frame)
        _assert_lands(case, source, result.document, a, float(start) - _origin(case), rate, "FCPXML start")
        _assert_lands(case, source, result.document, b, float(start + duration) - _origin(case), rate, "FCPXML end")
    assert _fcpx_time(sequence.get("duration")) == offset


def _clock(text: str) -> float:
    hours, minutes, seconds = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def check_chapters(case, source, result) -> None:
    """WebVTT and FFmetadata chapters: one per kept run, from its first frame to the end of its last."""
    if "chapters" not in result.formats:
        return
    times = _times(source, result.document)
    runs = [(times[a], times[b]) for a, b in _kept_runs(result.document)]
    vtt = re.findall(r"^(\S+) --> (\S+)$", _export(result, ".chapters.vtt").read_text(encoding="utf-8"), flags=re.M)
    assert [(_clock(a), _clock(b)) for a, b in vtt] == [(pytest.approx(a, abs=MS), pytest.approx(b, abs=MS))
                                                         for a, b in runs]
    meta = _export(result, ".ffmetadata").read_text(encoding="utf-8")
    bases = re.findall(r"^TIMEBASE=(\d+)/(\d+)$", meta, flags=re.M)
    starts = re.findall(r"^START=(\d+)$", meta, flags=re.M)
    ends = re.findall(r"^END=(\d+)$", meta, flags=re.M)
    assert len(bases) == len(starts) == len(ends) == len(runs)
    read = [(int(s) * int(n) / int(d), int(e) * int(n) / int(d)) for (n, d), s, e in zip(bases, starts, ends)]
    assert read == [(pytest.approx(a, abs=MS), pytest.approx(b, abs=MS)) for a, b in runs]


def check_chaptered_copy(case, source, result) -> None:
    """The MKV copy holds the source's frames and a chapter per kept run (ffprobe), counted
    from its first frame shown. Matroska has no edit lists: a picture the source's edit list
    hides (decoded for reference) comes first in the copy, before the frames the source shows."""
    if "chapters-mkv" not in result.formats:
        return
    copy = _export(result, ".chapters.mkv")
    copied = media.packets(copy)
    assert copied.hidden == 0 and len(copied.starts) == len(source.starts) + source.hidden, \
        "the copy holds other frames than the source"
    shown = copied.starts[source.hidden:]
    assert np.allclose(shown - shown[0], source.starts - source.starts[0], atol=MS)
    assert (copied.audio is not None) == (source.audio is not None)
    assert media.stated_timecode(copy) == media.stated_timecode(case.path)  # the time code travels
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(copy)],
                           check=True, capture_output=True, text=True)
    chapters = [(float(c["start_time"]) - shown[0], float(c["end_time"]) - shown[0])
                for c in json.loads(probe.stdout)["chapters"]]
    times = _times(source, result.document)
    assert chapters == [(pytest.approx(times[a], abs=MS), pytest.approx(times[b], abs=MS))
                        for a, b in _kept_runs(result.document)]


def check_chaptered_mp4(case, source, result) -> None:
    """The MP4 copy holds the source's frames (a picture an edit list hides first, as in the
    MKV copy) and chapters covering it (MP4 keeps starts only): a "Kept" chapter at the first
    frame of each kept run, "Skipped" between them, the first moved to 0 (ffprobe)."""
    if "chapters-mp4" not in result.formats:
        return
    copy = _export(result, ".chapters.mp4")
    copied = media.packets(copy)
    assert copied.hidden == 0 and len(copied.starts) == len(source.starts) + source.hidden
    shown = copied.starts[source.hidden:]
    assert np.allclose(shown - shown[0], source.starts - source.starts[0], atol=MS)
    assert 0 <= copied.starts[0] < 0.05  # no lead-in before the picture (AAC priming aside)
    assert (copied.audio is not None) == (source.audio is not None)
    assert media.stated_timecode(copy) == media.stated_timecode(case.path)  # the time code travels
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(copy)],
                           check=True, capture_output=True, text=True)
    chapters = [(float(c["start_time"]) - shown[0], c["tags"]["title"])
                for c in json.loads(probe.stdout)["chapters"]]
    times = _times(source, result.document)
    kept = [start for start, title in chapters if title.startswith("Kept shot")]
    assert kept == [pytest.approx(times[a] if a > 0 else -shown[0], abs=MS) for a, _ in _kept_runs(result.document)]
    starts = [start for start, _ in chapters]
    assert starts[0] == pytest.approx(-shown[0], abs=1e-6) and starts == sorted(starts)
    titles = [t for _, t in chapters]
    assert all("Skipped" not in (a, b) or a != b for a, b in zip(titles, titles[1:]))


def check_csv(case, source, result) -> None:
    """One row per JSON shot, in order, the frames and times the JSON's (and the packets')."""
    if "csv" not in result.formats:
        return
    rows = list(csv.DictReader(_export(result, ".shots.csv").open(encoding="utf-8", newline="")))
    shots = sorted(result.document["shots"], key=lambda s: s["start_frame"])
    assert len(rows) == len(shots)
    times = _times(source, result.document)
    for row, shot in zip(rows, shots):
        assert (int(row["shot"]), int(row["start_frame"]), int(row["end_frame"]), row["kept"]) == \
            (shot["index"] + 1, shot["start_frame"], shot["end_frame"], str(int(shot["selected"])))
        assert float(row["start_seconds"]) == pytest.approx(shot["start"], abs=1e-6)
        assert float(row["end_seconds"]) == pytest.approx(shot["end"], abs=1e-6)
        assert float(row["score"]) == pytest.approx(shot["score"], abs=1e-6)
        assert float(row["start_seconds"]) == pytest.approx(times[shot["start_frame"]], abs=2e-3)
        assert float(row["end_seconds"]) == pytest.approx(times[shot["end_frame"]], abs=2e-3)
        assert _clock(row["start_timecode"]) == pytest.approx(shot["start"], abs=5e-4)


CHECKS = [check_duration, check_shots_on_frames, check_budget, check_summary_video, check_audio,
          check_exports_written, check_time_code, check_edl, check_otio, check_fcp7xml, check_fcpx,
          check_chapters, check_chaptered_copy, check_chaptered_mp4, check_csv]


def _cli(*args: str) -> None:
    """``summarize ARGS`` in this process (PyTorch is loaded already); raises SystemExit."""
    from summarize._cli import main

    main([*args, "--no-cache", "--device", "cpu", "-q"])


def assert_refused_in_one_line(case, source, folder: Path, capsys) -> None:
    """Each export the source cannot have, asked with the report and the exports it can have:
    exit 1, one line naming that format and the file, no file written anywhere. A time-code
    format is refused before the video is decoded, an MP4 copy when it is written."""
    for fmt, reason in refusals(source).items():
        before = sorted(p for p in folder.rglob("*") if p.is_file())
        with pytest.raises(SystemExit) as exit_info:
            _cli(str(case.path), "-o", f"{folder / 'refused'}/", "--report", "--export",
                 ",".join([fmt, *formats_for(source)]))
        err = capsys.readouterr().err
        assert exit_info.value.code == 1
        lines = err.strip().splitlines()
        refusal = f"summarize: error: --export {fmt}: {case.path.name} {reason}"
        assert len(lines) == 1 and lines[0].startswith(refusal), err
        assert "Traceback" not in err
        assert sorted(p for p in folder.rglob("*") if p.is_file()) == before, "a refused run left files"


def _result(case, folder: Path, formats: list[str]) -> SimpleNamespace:
    """A run's outputs in ``folder``, as the checks read them."""
    json_path = folder / f"{case.path.stem}.summary.json"
    return SimpleNamespace(document=json.loads(json_path.read_text(encoding="utf-8")), json_path=json_path,
                           video_path=folder / f"{case.path.stem}.summary.mp4", formats=formats)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n not in QUICK else n
                                  for n in media.MATRIX])
def test_media_matrix(name, tmp_path, capsys):
    """One run per case, as a user types it (in this process: PyTorch loads once), with the
    report and every export the source can have; the refusal of the others first."""
    case = media.MATRIX[name](tmp_path)
    source = media.packets(case.path)
    formats = formats_for(source)
    assert_refused_in_one_line(case, source, tmp_path, capsys)
    with pytest.raises(SystemExit) as exit_info:
        _cli(str(case.path), "-o", f"{tmp_path / 'out'}/", "--report", "--export", ",".join(formats))
    err = capsys.readouterr().err
    assert exit_info.value.code == 0, err
    assert "Traceback" not in err
    result = _result(case, tmp_path / "out", formats)
    for check in CHECKS:
        check(case, source, result)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vfr-60-then-1-mp4", "offset-10h-mkv", "audio-empty-mkv", "cfr-120"])
def test_media_matrix_on_the_command_line(name, tmp_path):
    case = media.MATRIX[name](tmp_path)
    source = media.packets(case.path)
    formats = formats_for(source)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-m", "summarize", str(case.path), "-o", str(tmp_path / "out"),
                          "--no-cache", "--device", "cpu", "--report", "--export", ",".join(formats)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    result = _result(case, tmp_path / "out", formats)
    for check in CHECKS:
        check(case, source, result)
    if case.audio == "empty":
        assert "audio track is empty" in run.stdout


@pytest.mark.slow
def test_a_batch_writes_each_videos_extras_all_or_none(tmp_path, capsys):
    """``summarize batch`` with the report and the exports: a video refused a format keeps
    its summary but gets no extras at all (its report was left behind alone); the others
    get every one, right."""
    folder = tmp_path / "videos"
    folder.mkdir()
    cases = {name: media.MATRIX[name](folder) for name in ("cfr-120", "tmcd-29.97ndf-mp4")}
    with pytest.raises(SystemExit) as exit_info:
        _cli("batch", str(folder), "-o", str(tmp_path / "out"), "--pattern", "*", "--report",
             "--export", ",".join(EXPORTS))
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("summarize: error: extras of cfr-120.mp4: --export edl: cfr-120.mp4 "
                                                   "runs at 120 fps"), err
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert {n for n in written if n.startswith("cfr-120")} == {"cfr-120.summary.json", "cfr-120.summary.mp4"}
    case = cases["tmcd-29.97ndf-mp4"]
    source = media.packets(case.path)
    result = _result(case, tmp_path / "out", formats_for(source))
    for check in CHECKS:
        if check is not check_exports_written:  # the folder holds the other video's outputs and the index
            check(case, source, result)
