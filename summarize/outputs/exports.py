"""The selection for editing software: CMX 3600 EDL, OpenTimelineIO, FCP XML and chapters.

Everything is made from a summary JSON document (``NAME.summary.json``), so a summary can
be exported long after it was made. Edits and chapters mark the kept shots on the
*original* video: touching kept shots are one event, source in/out are the shots' own
frames, time codes run at the source's nominal frame rate (drop-frame at 29.97 and
59.94). OpenTimelineIO writes the edit formats through its adapters (``otio_json``, and
``cmx_3600`` / ``fcp_xml`` from the ``otio-cmx3600-adapter`` / ``otio-fcp-adapter``
packages); chapters (WebVTT and FFmetadata) are plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import OutputError, UsageError
from ..loading import import_native
from .atomic import atomic_output

# Nominal rates time codes can run at; a measured average within 0.2% of one of them is that rate.
NOMINAL_RATES = (24000 / 1001, 24.0, 25.0, 30000 / 1001, 30.0, 48.0, 50.0, 60000 / 1001, 60.0)
EXPORT_SUFFIXES = {"edl": ".edl", "otio": ".otio", "fcpxml": ".fcp.xml", "chapters": (".chapters.vtt",
                                                                                       ".ffmetadata")}
EXPORT_FORMATS = tuple(EXPORT_SUFFIXES)
_OTIO_HINT = "pip install 'summarize[report]' (or: pip install opentimelineio otio-cmx3600-adapter)"


@dataclass(frozen=True)
class KeptRange:
    """One run of touching kept shots: source frames [start_frame, end_frame) and seconds."""

    start_frame: int
    end_frame: int
    start: float
    end: float
    score: float  # frame-weighted mean of the shots' scores
    shots: tuple[int, ...]  # indices into the document's ``shots``


def kept_ranges(document: dict[str, Any]) -> list[KeptRange]:
    """The kept shots of a summary document, in time order, touching ones merged."""
    runs: list[list[dict]] = []
    for shot in sorted((s for s in document["shots"] if s["selected"]), key=lambda s: s["start_frame"]):
        if runs and runs[-1][-1]["end_frame"] == shot["start_frame"]:
            runs[-1].append(shot)
        else:
            runs.append([shot])
    out = []
    for run in runs:
        frames = [s["end_frame"] - s["start_frame"] for s in run]
        score = sum(f * s["score"] for f, s in zip(frames, run)) / max(sum(frames), 1)
        out.append(KeptRange(run[0]["start_frame"], run[-1]["end_frame"], run[0]["start"], run[-1]["end"],
                             round(score, 6), tuple(s["index"] for s in run)))
    return out


def nominal_rate(avg_fps: float) -> float:
    """The time-code rate of a source whose frames average ``avg_fps`` per second."""
    best = min(NOMINAL_RATES, key=lambda r: abs(r - avg_fps))
    if abs(best - avg_fps) <= 0.002 * best:
        return best
    return float(max(1, round(avg_fps)))


def parse_formats(text: str | None) -> list[str]:
    """``"edl,otio"`` -> ``["edl", "otio"]``; an unknown name is a usage error."""
    if not text:
        return []
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in EXPORT_FORMATS]
    if unknown:
        raise UsageError(f"unknown --export format {unknown[0]!r}; choose from: {', '.join(EXPORT_FORMATS)}")
    return list(dict.fromkeys(names))


def export_paths(json_path: Path, fmt: str) -> list[Path]:
    """``NAME.summary.json`` -> ``NAME.summary.edl`` (and so on) beside it."""
    stem = Path(json_path).name.removesuffix(".json")
    suffixes = EXPORT_SUFFIXES[fmt]
    suffixes = (suffixes,) if isinstance(suffixes, str) else suffixes
    return [Path(json_path).with_name(stem + s) for s in suffixes]


def _otio():
    try:
        return import_native("opentimelineio")
    except ImportError:
        raise UsageError(f"exporting edits needs OpenTimelineIO: {_OTIO_HINT}") from None


def timeline(document: dict[str, Any], *, audio: bool = True):
    """An OpenTimelineIO timeline of the kept shots, as clips of the source file."""
    otio = _otio()
    info = document["input"]
    rate = nominal_rate(info["avg_fps"])
    source = Path(info["path"])

    def rt(frames: int):
        return otio.opentime.RationalTime(frames, rate)

    name = Path(info["file_name"]).stem
    tl = otio.schema.Timeline(name=f"{name} summary", global_start_time=rt(0))
    tl.metadata["summarize"] = {"source": str(source), "method": document["method"]["name"],
                                "budget": document["selection"]["budget"]}
    kinds = [otio.schema.TrackKind.Video] + ([otio.schema.TrackKind.Audio] if audio and info["has_audio"] else [])
    for kind in kinds:
        track = otio.schema.Track(name="V1" if kind == otio.schema.TrackKind.Video else "A1", kind=kind)
        for k, kept in enumerate(kept_ranges(document), 1):
            reference = otio.schema.ExternalReference(
                target_url=source.as_uri(),
                available_range=otio.opentime.TimeRange(rt(0), rt(info["n_frames"])),
            )
            clip = otio.schema.Clip(
                name=f"{name} shot {k}", media_reference=reference,
                source_range=otio.opentime.TimeRange(rt(kept.start_frame), rt(kept.end_frame - kept.start_frame)),
            )
            clip.metadata["summarize"] = {"shots": list(kept.shots), "score": kept.score,
                                          "start_seconds": kept.start, "end_seconds": kept.end}
            track.append(clip)
        tl.tracks.append(track)
    return tl


def _adapter_text(document: dict[str, Any], adapter: str, package: str, **kwargs) -> str:
    otio = _otio()
    if adapter not in otio.adapters.available_adapter_names():
        raise UsageError(f"OpenTimelineIO has no {adapter} adapter here: pip install {package}")
    return otio.adapters.write_to_string(timeline(document, audio=adapter != "cmx_3600"), adapter, **kwargs)


def otio_text(document: dict[str, Any]) -> str:
    return _adapter_text(document, "otio_json", "opentimelineio")


def edl_text(document: dict[str, Any]) -> str:
    """CMX 3600: one event per kept range, source in/out on the original video."""
    return _adapter_text(document, "cmx_3600", "otio-cmx3600-adapter")


def fcpxml_text(document: dict[str, Any]) -> str:
    return _adapter_text(document, "fcp_xml", "otio-fcp-adapter")


def _clock(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _chapter_title(k: int, kept: KeptRange) -> str:
    return f"Kept shot {k} (score {kept.score:.2f})"


def webvtt_chapters(document: dict[str, Any]) -> str:
    """WebVTT chapters (``<track kind="chapters">``) on the original video, one per kept range."""
    lines = ["WEBVTT", "", f"NOTE kept shots of {document['input']['file_name']} chosen by summarize", ""]
    for k, kept in enumerate(kept_ranges(document), 1):
        lines += [f"{k}", f"{_clock(kept.start)} --> {_clock(kept.end)}", _chapter_title(k, kept), ""]
    return "\n".join(lines)


def ffmetadata_chapters(document: dict[str, Any]) -> str:
    """FFmpeg's metadata format: ``ffmpeg -i video -i NAME.ffmetadata -map_chapters 1 ...`` adds them."""
    lines = [";FFMETADATA1"]
    for k, kept in enumerate(kept_ranges(document), 1):
        title = _chapter_title(k, kept).replace("=", "\\=").replace(";", "\\;").replace("#", "\\#")
        lines += ["", "[CHAPTER]", "TIMEBASE=1/1000", f"START={int(round(kept.start * 1000))}",
                  f"END={int(round(kept.end * 1000))}", f"title={title}"]
    return "\n".join(lines) + "\n"


WRITERS: dict[str, list[Callable[[dict[str, Any]], str]]] = {
    "edl": [edl_text], "otio": [otio_text], "fcpxml": [fcpxml_text],
    "chapters": [webvtt_chapters, ffmetadata_chapters],
}


def write_exports(document: dict[str, Any], json_path: Path, formats: list[str]) -> list[Path]:
    """Write each format beside ``json_path``; returns the paths written."""
    written = []
    for fmt in formats:
        for writer, path in zip(WRITERS[fmt], export_paths(json_path, fmt)):
            text = writer(document)
            try:
                with atomic_output(path) as tmp:
                    tmp.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
            written.append(path)
    return written
