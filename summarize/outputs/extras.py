"""The outputs a run makes on request beside its JSON: report page, plot, edit exports.

``write_extras`` makes them from a summary document; ``export_summary`` (``summarize
export``) makes them from a summary JSON on disk, for its own selection or, chosen again
from its scores, for another length, without decoding the video again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError, OutputError, UsageError
from ..paths import existing_shot_files
from . import exports as _exports
from . import report as _report
from .atomic import atomic_outputs, check_absent, ensure_writable_dir, temporary_sibling
from .summary_json import source_path, with_json_path, write_json


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
    plot, OpenTimelineIO for the edit formats): they are written with the summary
    as one unit, so a missing library found at the end would cost the whole run."""
    if plot:
        _report._figure()
    _exports.check_available(list(exports))


def write_extras(document: dict[str, Any], json_path: Path, *, report: bool = False, plot: bool = False,
                 exports: list[str] | tuple[str, ...] = (), thumbnails: list[bytes] | None = None) -> ExtraOutputs:
    """``NAME.summary.html`` (``report``), ``NAME.summary.png`` (``plot``) and the ``exports``
    formats (see ``summarize.outputs.exports``), each written under a temporary name first.
    ``thumbnails``: the report's keyframes (None: read from the source; ``[]``: none).

    Writes exactly ``extra_paths(json_path, ...)`` and takes nothing else from ``json_path``
    than its folder and name: the pipeline passes the JSON's temporary name, so the extras
    are renamed into place with the summary as one unit (``Summarizer.write``)."""
    out = ExtraOutputs()
    json_path = Path(json_path)
    if plot:
        out.paths.append(_report.write_plot(document, _report.plot_path(json_path)))
    if report:
        path = _report.report_path(json_path)
        out.thumbnails = _report.write_report(document, path, thumbnails)
        out.paths.append(path)
    out.paths += _exports.write_exports(document, json_path, list(exports))
    return out


def write_extras_as(document: dict[str, Any], json_path: Path, json_temp: Path, **extras: Any) -> ExtraOutputs:
    """``write_extras`` beside ``json_temp``, the temporary name of ``json_path``; an error
    names the final file."""
    try:
        return write_extras(document, json_temp, **extras)
    except OutputError as exc:
        message = str(exc)
        names = {k: extras[k] for k in ("report", "plot", "exports") if k in extras}
        for temp, final in zip(extra_paths(json_temp, **names), extra_paths(json_path, **names)):
            message = message.replace(str(temp), str(final))
        raise OutputError(message) from None


def read_summary(json_path: Path) -> dict[str, Any]:
    """The summary document in ``json_path``; a file that is not one is refused in one line."""
    from .reselect import check_document

    json_path = Path(json_path)
    if not json_path.exists():
        raise UsageError(f"no such file: {json_path}")
    if json_path.is_dir():
        raise UsageError(f"{json_path} is a folder: give a summary JSON (NAME.summary.json)")
    try:
        document = json.loads(json_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {json_path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(f"{json_path} is not a summary JSON ({str(exc).splitlines()[0]})") from None
    check_document(document, str(json_path))
    return document


def export_summary(json_path: Path, *, output: Path | None = None, budget: float | None = None,
                   duration: float | None = None, report: bool = False, plot: bool = False,
                   exports: list[str] | tuple[str, ...] = (), overwrite: bool = False,
                   note: Callable[[str], None] | None = None) -> tuple[dict[str, Any], list[Path]]:
    """The extras of the summary in ``json_path`` (``summarize export``), with no decoding.

    ``budget`` (a fraction) or ``duration`` (seconds) chooses the shots again from the JSON's
    scores by the default rule (``reselect.py``) and makes the extras for that length;
    ``output``: also write the summary JSON there (the extras go beside it, named after it;
    else beside ``json_path``). Everything is written as one unit, all or none. Without a new
    length and with the same names, the extras are those the run wrote, byte for byte.
    A missing source video only costs the report its keyframes (``note`` says so) and
    refuses the formats that copy it. Returns the document written and the files."""
    from .reselect import reselect

    json_path = Path(json_path)
    extras = {"report": report, "plot": plot, "exports": list(exports)}
    if not (report or plot or exports or output):
        raise UsageError("nothing to write: ask for --report, --plot, --export FORMATS or -o NEW.summary.json")
    check_extras_available(**extras)
    document = read_summary(json_path)
    if budget is not None or duration is not None:
        document = reselect(document, budget=budget, duration=duration)
    target = Path(output) if output is not None else json_path
    if output is not None:
        document = with_json_path(document, target)
    finals = extra_paths(target, **extras) + ([target] if output is not None else [])
    if not overwrite:
        check_absent(finals)
    thumbnails = _check_source(document, extras, note)
    ensure_writable_dir(target.parent)
    json_temp = temporary_sibling(target)
    temps = extra_paths(json_temp, **extras) + ([json_temp] if output is not None else [])
    with atomic_outputs(*finals, overwrite=overwrite, temps=temps):
        if output is not None:
            write_json(document, json_temp, target)
        write_extras_as(document, target, json_temp, thumbnails=thumbnails, **extras)
    return document, finals


def _check_source(document: dict[str, Any], extras: dict[str, Any], note: Callable[[str], None] | None) -> list | None:
    """Keyframes to use (None: read them from the source; ``[]``: the source is missing, none)."""
    source = source_path(document)
    if source.is_file():
        return None
    copies = [fmt for fmt in extras["exports"] if _exports.reads_source(fmt)]
    if copies:
        raise InputError(f"the source video {source} is missing: --export {copies[0]} copies it (--report, --plot "
                         f"and the other formats do without it)")
    if extras["report"] and note is not None:
        note(f"the source video {source} is missing: the report has no keyframes and no source to play "
             f"(the plot and the exports do not need it)")
    return []


def write_batch_extras(entries: list[Any], folder: Path, *, report: bool = False, plot: bool = False,
                       exports: list[str] | tuple[str, ...] = ()) -> tuple[list[Path], list[tuple[str, str]]]:
    """The extras of every summarized video of a batch run, and with ``report`` its
    ``index.html`` in ``folder`` (the run index's folder).

    ``entries`` are the run's ``IndexEntry`` rows (output paths relative to ``folder``).
    A video's extras are written as one unit, all or none (a format refused for it leaves
    no report behind either, as for one video). Returns the files written and
    ``(input, reason)`` for every video whose extras failed.
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
            names = {"report": report, "plot": plot, "exports": list(exports)}
            finals, json_temp = extra_paths(json_path, **names), temporary_sibling(json_path)
            try:
                document = json.loads(json_path.read_text(encoding="utf-8"))
                with atomic_outputs(*finals, temps=extra_paths(json_temp, **names)):
                    out = write_extras_as(document, json_path, json_temp, **names)
            except (OSError, ValueError, SummarizeError) as exc:
                failures.append((entry.input, str(exc) if isinstance(exc, SummarizeError) else
                                 f"cannot read {json_path}: {exc}"))
            else:
                written += finals
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
