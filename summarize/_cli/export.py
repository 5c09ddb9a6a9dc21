"""``summarize export SUMMARY.json``: the report, plot and edits of a summary on disk, without decoding it again."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..loading import signals_held
from ..paths import shown
from .options import EXPORT, PLOT, QUIET, parse_duration

HELP = ("Write the report, plot or edit exports of an existing summary (NAME.summary.json) without decoding the "
        "video again; with --budget or --duration, for another length, the shots chosen again from the JSON's "
        "scores by the default rule.")
SHORT_HELP = "Report, plot and edits from a summary JSON (any length), no decoding."

REPORT = typer.Option(False, "--report", help="Write NAME.summary.html (keyframes are read from the source video).")
BUDGET = typer.Option(None, "--budget", "-b", show_default=False,
                      help="Choose the shots again for this length, a fraction of the video (0 < b <= 1), as "
                      "summarize VIDEO --budget does (needs a summary made with --selection total, the default).")
DURATION = typer.Option(None, "--duration", metavar="TIME",
                        help="Choose the shots again for this length as a time instead: 60, 60s, 1:30, 1m30s.")
OUTPUT = typer.Option(None, "--output", "-o", metavar="PATH",
                      help="Also write the summary JSON here (a path ending in .json, or a folder); the files asked "
                      "for go beside it, named after it (default: beside SUMMARY.json, named after it).")
OVERWRITE = typer.Option(False, "--overwrite", "-y", help="Replace existing outputs.")


def export_command(
    summary: Path = typer.Argument(..., metavar="SUMMARY.json", help="A summary JSON written by summarize."),
    report: bool = REPORT,
    plot: bool = PLOT,
    export: str = EXPORT,
    budget: float = BUDGET,
    duration: str = DURATION,
    output: str = OUTPUT,  # text: Path() drops the slash that makes it a folder
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    if budget is not None and duration is not None:
        raise typer.BadParameter("give the summary's length once: --budget (a fraction) or --duration (a time)",
                                 param_hint="--duration")
    if budget is not None and not 0 < budget <= 1:
        raise typer.BadParameter(f"{budget} is not in (0, 1]", param_hint="--budget")
    seconds = None if duration is None else parse_duration(duration)
    if seconds is not None and not seconds > 0:
        raise typer.BadParameter("the summary must last more than 0 seconds", param_hint="--duration")
    with signals_held():  # NumPy and the writers load here
        from ..outputs.exports import parse_formats
        from ..outputs.extras import export_summary

    document, written = export_summary(
        summary, output=_json_path(output, summary), budget=budget, duration=seconds, report=report, plot=plot,
        exports=parse_formats(export), overwrite=overwrite,
        note=lambda text: sys.stderr.write(f"summarize: note: {shown(text)}\n"))
    if not quiet:
        _print_table(document, written, budget is not None or seconds is not None)


def _json_path(output: str | None, summary: Path) -> Path | None:
    """``-o``: a path ending in .json is the new JSON; an existing folder, or a path ending in
    a slash, is where it goes under SUMMARY.json's name."""
    if output is None:
        return None
    path = Path(output)
    if path.is_dir() or output.endswith(("/", "\\")):
        return path / summary.name
    if path.suffix.lower() != ".json":
        raise typer.BadParameter(f"{output} is neither a .json file nor a folder", param_hint="-o")
    return path


def _print_table(document: dict, written: list[Path], reselected: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from .video import _EXTRA_LABELS, _clock, _count

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    info, sel = document["input"], document["selection"]
    if reselected:
        table.add_row("Kept", f"{_clock(document['summary']['duration'])} in "
                      f"{_count(document['summary']['n_shots'], 'shot')} of {_clock(info['duration'])} "
                      f"({100 * sel['achieved']:.1f}% of the duration; budget {100 * sel['budget']:.1f}%)")
    for path in written:
        label = "Scores (JSON)" if path.name.endswith(".json") else _EXTRA_LABELS.get(
            path.name.rsplit(".summary", 1)[-1], "Export")
        table.add_row(label, shown(path))
    Console().print(table)
