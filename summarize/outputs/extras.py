"""The outputs a run makes on request beside its JSON: report page, plot, edit exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..paths import existing_shot_files
from . import exports as _exports
from . import report as _report


@dataclass
class ExtraOutputs:
    paths: list[Path] = field(default_factory=list)
    thumbnails: list[bytes] | None = None  # the report's keyframes, one per shot


def extra_paths(json_path: Path, *, report: bool = False, plot: bool = False,
                exports: list[str] | tuple[str, ...] = ()) -> list[Path]:
    """Every file ``write_extras`` would write for these options."""
    json_path = Path(json_path)
    paths = ([_report.plot_path(json_path)] if plot else []) + ([_report.report_path(json_path)] if report else [])
    return paths + [p for fmt in exports for p in _exports.export_paths(json_path, fmt)]


def planned_outputs(json_path: Path, video_path: Path | None, extras: dict[str, Any] | None = None,
                    split: bool = False, images: bool = False) -> list[Path]:
    """The files a run would write that must not exist yet without ``--overwrite``: the JSON,
    the video, the extras, and with ``split`` (``images``) every clip (image) of an earlier
    run beside the JSON, whose shots are not known before the run."""
    return [Path(json_path), *([Path(video_path)] if video_path is not None else []),
            *extra_paths(json_path, **(extras or {})), *existing_shot_files(json_path, clips=split, images=images)]


def check_extras_available(*, report: bool = False, plot: bool = False,
                           exports: list[str] | tuple[str, ...] = ()) -> None:
    """Refuse, before any work, extras whose library is not installed (matplotlib for the
    report and plot, OpenTimelineIO for the edit formats): they are written with the summary
    as one unit, so a missing library found at the end would cost the whole run."""
    if report or plot:
        _report._figure()
    _exports.check_available(list(exports))


def write_extras(document: dict[str, Any], json_path: Path, *, report: bool = False, plot: bool = False,
                 exports: list[str] | tuple[str, ...] = ()) -> ExtraOutputs:
    """``NAME.summary.html`` (``report``), ``NAME.summary.png`` (``plot``) and the ``exports``
    formats (see ``summarize.outputs.exports``), each written under a temporary name first.

    Writes exactly ``extra_paths(json_path, ...)`` and takes nothing else from ``json_path``
    than its folder and name: the pipeline passes the JSON's temporary name, so the extras
    are renamed into place with the summary as one unit (``Summarizer.write``)."""
    out = ExtraOutputs()
    json_path = Path(json_path)
    if plot:
        out.paths.append(_report.write_plot(document, _report.plot_path(json_path)))
    if report:
        path = _report.report_path(json_path)
        out.thumbnails = _report.write_report(document, path)
        out.paths.append(path)
    out.paths += _exports.write_exports(document, json_path, list(exports))
    return out


def write_batch_extras(entries: list[Any], folder: Path, *, report: bool = False, plot: bool = False,
                       exports: list[str] | tuple[str, ...] = ()) -> tuple[list[Path], list[tuple[str, str]]]:
    """The extras of every summarized video of a batch run, and with ``report`` its
    ``index.html`` in ``folder`` (the run index's folder).

    ``entries`` are the run's ``IndexEntry`` rows (output paths relative to ``folder``).
    Returns the files written and ``(input, reason)`` for every video whose extras failed.
    """
    import json

    from ..errors import SummarizeError

    folder = Path(folder)
    written: list[Path] = []
    failures: list[tuple[str, str]] = []
    rows = []
    for entry in entries:
        row = {"input": entry.input, "status": entry.status, "reason": entry.reason, "duration": entry.duration,
               "kept_seconds": entry.kept_seconds, "video": entry.summary_video, "json": entry.summary_json}
        if entry.status in ("ok", "skipped") and entry.summary_json:
            json_path = folder / entry.summary_json
            try:
                document = json.loads(json_path.read_text(encoding="utf-8"))
                out = write_extras(document, json_path, report=report, plot=plot, exports=exports)
            except (OSError, ValueError, SummarizeError) as exc:
                failures.append((entry.input, str(exc) if isinstance(exc, SummarizeError) else
                                 f"cannot read {json_path}: {exc}"))
            else:
                written += out.paths
                if report:
                    row["report"] = _report.report_path(Path(entry.summary_json)).as_posix()
                    row["thumbnail"] = _best_thumbnail(document, out.thumbnails or [])
        rows.append(row)
    if report:
        path = folder / "index.html"
        _report._write_text(path, _report.index_html(rows, f"Summaries of {folder.name or folder}"))
        written.append(path)
    return written, failures


def _best_thumbnail(document: dict[str, Any], thumbnails: list[bytes]) -> bytes | None:
    """The keyframe of the best kept shot (of the first shot when none is kept)."""
    kept = [s for s in document["shots"] if s["selected"]]
    best = max(kept, key=lambda s: s["score"])["index"] if kept else 0
    return thumbnails[best] if best < len(thumbnails) else None
