"""The selection for editing software: edit lists, timelines, chapters and a shot list.

Everything is made from a summary JSON document (``NAME.summary.json``), so a summary can
be exported long after it was made. Edits and chapters mark the kept shots on the
*original* video: touching kept shots are one event, source in/out count from the
source's own time code at the rate ``rates.py`` chooses.

An export format is one module of this package, found by its name in ``FORMATS``
(as OpenTimelineIO finds adapters): ``SUFFIXES`` names the files it writes beside the
JSON, ``text(document)`` returns the one file's text (or ``write(document, paths)``
writes its files), an optional ``check(document)`` refuses, in one line, a source
the format cannot describe, before anything is written (and, through ``preflight``,
before a video is decoded), and ``READS_SOURCE = True`` marks a format that copies the
source video (the others need only the document).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from ...errors import OutputError, UsageError
from ..atomic import atomic_outputs
from .kept import KeptRange, kept_ranges
from .rates import EditRate, edit_rate

# Format name -> module of this package.
FORMATS = {"edl": "edl", "otio": "otio", "fcp7xml": "fcp7xml", "fcpx": "fcpx", "chapters": "chapters",
           "chapters-mp4": "chapters_mp4", "chapters-mkv": "chapters_mkv", "csv": "shots_csv"}
# Old names kept working, with a note.
ALIASES = {"fcpxml": ("fcp7xml", "--export fcpxml writes Final Cut Pro 7 XML (now named fcp7xml); "
                                 "for Final Cut Pro X's FCPXML use --export fcpx")}
EXPORT_FORMATS = tuple(FORMATS)

__all__ = ["ALIASES", "EXPORT_FORMATS", "FORMATS", "EditRate", "KeptRange", "check_available", "edit_rate", "export_module",
           "export_paths", "kept_ranges", "parse_formats", "preflight", "reads_source", "write_exports"]


def export_module(fmt: str) -> ModuleType:
    return importlib.import_module(f".{FORMATS[fmt]}", __name__)


def parse_formats(text: str | None) -> list[str]:
    """``"edl,otio"`` -> ``["edl", "otio"]``; an unknown name is a usage error, an old name
    is replaced by its new one with a note on stderr."""
    if not text:
        return []
    names = []
    for name in (n.strip().lower() for n in text.split(",") if n.strip()):
        if name in ALIASES:
            name, note = ALIASES[name]
            sys.stderr.write(f"summarize: note: {note}\n")
        if name not in FORMATS:
            raise UsageError(f"unknown --export format {name!r}; choose from: {', '.join(EXPORT_FORMATS)}")
        names.append(name)
    return list(dict.fromkeys(names))


def export_paths(json_path: Path, fmt: str) -> list[Path]:
    """``NAME.summary.json`` -> ``NAME.summary.edl`` (and so on) beside it."""
    stem = Path(json_path).name.removesuffix(".json")
    return [Path(json_path).with_name(stem + s) for s in export_module(fmt).SUFFIXES]


def reads_source(fmt: str) -> bool:
    """Whether ``fmt`` reads the source video (the others are made from the document alone)."""
    return getattr(export_module(fmt), "READS_SOURCE", False)


def check_available(formats: list[str]) -> None:
    """Refuse formats whose library is not installed (OpenTimelineIO for the edit formats)."""
    if any(getattr(export_module(fmt), "USES_OTIO", False) for fmt in formats):
        from .timeline import opentimelineio

        opentimelineio()


def check_formats(document: dict[str, Any], formats: list[str]) -> None:
    """Every format's own refusal, before any of them is written."""
    for fmt in formats:
        check = getattr(export_module(fmt), "check", None)
        if check is not None:
            check(document)


def preflight(video: Path, formats: list[str]) -> None:
    """Refuse, before the video is decoded, a format its source cannot be exported to
    (judged from the rate and codecs its container states). A file that cannot be read
    here is left for the run to report."""
    if not formats:
        return
    document = _probe_document(Path(video))
    if document is not None:
        check_formats(document, formats)


def _probe_document(video: Path) -> dict[str, Any] | None:
    """The part of a summary document the checks read, from the container's header and
    its first packets. The rate is the lowest of those the header states and the one the
    first packets' timestamps keep: Matroska and WebM files often state 1000 fps (their
    millisecond clock: browser and screen recordings), and a refusal here must be sure
    (a rate the run finds too fast is still refused, after it, by ``write_exports``)."""
    import av

    try:
        with av.open(str(video), metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            rates = [float(r) for r in (stream.average_rate, stream.guessed_rate, _packet_rate(container, stream))
                     if r and r > 0]
            has_audio = bool(container.streams.audio)
    except (av.error.FFmpegError, OSError, IndexError, ValueError):
        return None
    if not rates:
        return None
    rate = min(rates)
    return {"input": {"path": str(video.resolve()), "file_name": video.name, "avg_fps": rate,
                      "has_audio": has_audio}}


def _packet_rate(container, stream, packets: int = 240) -> float | None:
    """Frames a second of the first ``packets`` video packets: one over the median step
    between their sorted presentation times (B-frame reordering and a gap or two aside)."""
    times = []
    for packet in container.demux(stream):
        if packet.pts is not None and packet.size:
            times.append(packet.pts)
            if len(times) >= packets:
                break
    times.sort()
    steps = sorted(b - a for a, b in zip(times, times[1:]) if b > a)
    if len(steps) < 2:
        return None
    return float(1 / (steps[len(steps) // 2] * stream.time_base))


def write_exports(document: dict[str, Any], json_path: Path, formats: list[str]) -> list[Path]:
    """Write each format beside ``json_path``, all or none; returns the paths written."""
    check_formats(document, formats)
    finals = [path for fmt in formats for path in export_paths(json_path, fmt)]
    with atomic_outputs(*finals) as temps:
        remaining = list(temps)
        for fmt in formats:
            module = export_module(fmt)
            paths, remaining = remaining[: len(module.SUFFIXES)], remaining[len(module.SUFFIXES):]
            try:
                if hasattr(module, "write"):
                    module.write(document, paths)
                else:
                    paths[0].write_text(module.text(document), encoding="utf-8")
            except OSError as exc:
                final = finals[len(finals) - len(remaining) - len(paths)]
                raise OutputError(f"cannot write {final}: {exc.strerror or exc}") from None
    return finals
