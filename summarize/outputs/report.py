"""What a person looks at: the importance plot and the one-page HTML report of a summary.

Both are made from a summary JSON document (plus the source video, for the keyframes),
so they can be redone for any summary on disk. The page is self-contained: the plot and
every keyframe are embedded as data URIs, there is no script and nothing from the
network; the summary video is linked by its relative name, so the page plays it from a
``file://`` URL as long as the two stay side by side.
"""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..errors import OutputError, UsageError
from ..loading import import_native
from ..paths import shown, url
from .atomic import atomic_output
from .summary_json import source_path, summary_video_path

THUMB_SHORT_SIDE = 144
_MPL_HINT = "pip install 'summarize[report]' (or: pip install matplotlib)"
KEPT_COLOR = "#e8590c"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(float(seconds), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}" if hours else f"{minutes}:{secs:04.1f}"


def _figure():
    try:
        return import_native("matplotlib.figure").Figure
    except ImportError:
        raise UsageError(f"--report and --plot need matplotlib: {_MPL_HINT}") from None


def score_figure(document: dict[str, Any], width: float = 10.0, height: float = 2.8):
    """The importance curve over time, the KTS shots as bands and the kept shots highlighted."""
    # matplotlib.figure.Figure, not pyplot: no global state, safe in batch threads.
    fig = _figure()(figsize=(width, height), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    samples = document["samples"]
    times, scores = np.asarray(samples["time"]), np.asarray(samples["score"])
    duration = document["input"]["duration"]
    for shot in document["shots"]:
        if shot["selected"]:
            ax.axvspan(shot["start"], shot["end"], color=KEPT_COLOR, alpha=0.28, lw=0)
        elif shot["index"] % 2:
            ax.axvspan(shot["start"], shot["end"], color="#868e96", alpha=0.12, lw=0)
    for shot in document["shots"][1:]:
        ax.axvline(shot["start"], color="#495057", lw=0.6, alpha=0.6)
    ax.step(np.append(times, duration), np.append(scores, scores[-1:] if len(scores) else []), where="post",
            color="#1864ab", lw=1.4)
    ax.set_xlim(0, duration)
    top = float(scores.max()) if len(scores) else 1.0
    ax.set_ylim(0, top * 1.08 if top > 0 else 1.0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("importance")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=KEPT_COLOR, alpha=0.4, label="kept shot"),
                       Patch(color="#868e96", alpha=0.25, label="shot (KTS; lines mark cuts)")],
              loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=8, frameon=False)
    ax.set_title(f"{document['input']['file_name']}: {document['method']['name']}, "
                 f"budget {100 * document['selection']['budget']:.0f}%", fontsize=10, loc="left")
    return fig


def plot_png(document: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    score_figure(document).savefig(buffer, format="png")
    return buffer.getvalue()


def write_plot(document: dict[str, Any], path: Path) -> Path:
    """``NAME.summary.png``: the curve alone."""
    _write_bytes(path, plot_png(document))
    return path


def keyframes(document: dict[str, Any], short_side: int = THUMB_SHORT_SIDE) -> list[bytes]:
    """A JPEG of the middle frame of every shot, in shot order (one decoding pass)."""
    from .stills import jpeg, middle_frames

    bounds = np.array([(s["start_frame"], s["end_frame"]) for s in document["shots"]], dtype=np.int64)
    images: list[bytes] = [b""] * len(bounds)
    for shot, frame in middle_frames(source_path(document), bounds, short_side):
        images[shot] = jpeg(frame, 82)
    return images


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _rel(target: Path, start: Path) -> str:
    """The link from a page in ``start`` to ``target`` (percent-encoded: any name opens)."""
    try:
        return url(os.path.relpath(target, start))
    except ValueError:  # another drive on Windows
        return Path(target).resolve().as_uri()


_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#212529;background:#f8f9fa}
main{max-width:1100px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:22px;margin:8px 0 2px}h2{font-size:17px;margin:26px 0 8px}
.sub{color:#495057;margin:0 0 14px}
.plot{width:100%;height:auto;background:#fff;border:1px solid #dee2e6;border-radius:6px}
.top{display:flex;gap:22px;flex-wrap:wrap;align-items:flex-start}
video{display:block;width:100%;max-height:360px;background:#000;border-radius:6px}
.top>div{flex:1 1 420px;min-width:0}
table.numbers{border-collapse:collapse;font-size:14px}
table.numbers th{text-align:left;padding:3px 14px 3px 0;color:#495057;font-weight:600;vertical-align:top}
table.numbers td{padding:3px 0}
.sheet{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px}
figure{margin:0;background:#fff;border:1px solid #dee2e6;border-radius:6px;overflow:hidden}
figure img{display:block;width:100%;height:auto;background:#ced4da}
figure.kept{border:3px solid #e8590c}
figcaption{padding:5px 8px;font-size:13px;color:#343a40}
.badge{float:right;background:#e8590c;color:#fff;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600}
.muted{color:#868e96}
table.index{border-collapse:collapse;width:100%;background:#fff}
table.index td,table.index th{border-bottom:1px solid #dee2e6;padding:6px 10px;text-align:left;vertical-align:middle}
table.index img{width:128px;height:auto;display:block;border-radius:4px}
.failed{color:#c92a2a;font-weight:600}.ok{color:#2b8a3e;font-weight:600}.skipped{color:#495057;font-weight:600}
"""


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
            f"<body><main>\n{body}\n</main></body>\n</html>\n")


def _numbers(document: dict[str, Any]) -> list[tuple[str, str]]:
    info, sel, seg, summary = document["input"], document["selection"], document["segmentation"], document["summary"]
    run = document["run"]
    params = ", ".join(f"{k}={v}" for k, v in document["method"]["params"].items() if v is not None)
    shots = seg.get("n_kts_shots", seg["n_shots"])
    split = sel.get("shots_split", 0)
    rows = [
        ("Input", f"{info['file_name']}: {_clock(info['duration'])}, {info['width']}x{info['height']}, "
                  f"{info['avg_fps']:.3g} fps, {'with' if info['has_audio'] else 'no'} audio"),
        ("Method", document["method"]["name"] + (f" ({params})" if params else "")
         + f"; features: {document['backbone']['name']} at {document['sampling']['fps']:g} samples/s"),
        ("Budget", f"{100 * sel['budget']:.1f}% asked, {100 * sel['achieved']:.1f}% achieved"),
        ("Shots", f"{shots} found by KTS" + (f", {split} split to fit the budget: {len(document['shots'])} in all"
                                               if split else "")),
        ("Kept", f"{summary['n_shots']} shot{'s' if summary['n_shots'] != 1 else ''}, "
                 f"{_clock(summary['duration'])} of {_clock(info['duration'])}"),
        ("Time taken", ", ".join(f"{k} {v:.2f} s" for k, v in run["timings"].items())),
        ("Run", f"{run['created']} on {run['device']}, summarize {document['tool']['version']}"),
    ]
    return rows


def report_html(document: dict[str, Any], html_path: Path, thumbnails: list[bytes] | None = None,
                plot: bytes | None = None) -> str:
    """The report page of one summary (``html_path`` decides the relative link to the video)."""
    info = document["input"]
    plot = plot if plot is not None else plot_png(document)
    thumbnails = thumbnails if thumbnails is not None else keyframes(document)
    parts = [f"<h1>Summary of {html.escape(info['file_name'])}</h1>",
             f'<p class="sub">{html.escape(info["path"])}</p>',
             f'<img class="plot" id="plot" alt="importance over time with shots and kept shots" '
             f'src="{_data_uri(plot, "image/png")}">', '<div class="top">']
    video = summary_video_path(document)
    if video is not None:
        src = html.escape(_rel(Path(video), Path(html_path).resolve().parent))
        parts.append(f'<div><h2>Summary video</h2><video id="summary-video" controls preload="metadata">'
                     f'<source src="{src}" type="video/mp4"></video></div>')
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in _numbers(document))
    parts.append(f'<div><h2>The run</h2><table class="numbers">{rows}</table></div></div>')
    parts.append(f"<h2>Shots ({len(document['shots'])}; kept ones framed)</h2>")
    parts.append('<div class="sheet" id="contact-sheet">')
    for shot, thumb in zip(document["shots"], thumbnails):
        kept = shot["selected"]
        badge = '<span class="badge">kept</span>' if kept else ""
        parts.append(
            f'<figure class="shot{" kept" if kept else ""}" data-shot="{shot["index"]}" '
            f'data-selected="{str(kept).lower()}"><img alt="shot {shot["index"] + 1} keyframe" '
            f'src="{_data_uri(thumb, "image/jpeg")}"><figcaption>{badge}Shot {shot["index"] + 1}: '
            f'{_clock(shot["start"])}-{_clock(shot["end"])} <span class="muted">score {shot["score"]:.3f}'
            f'</span></figcaption></figure>')
    parts.append("</div>")
    return _page(f"Summary of {info['file_name']}", "\n".join(parts))


def report_path(json_path: Path) -> Path:
    return Path(json_path).with_name(Path(json_path).name.removesuffix(".json") + ".html")


def plot_path(json_path: Path) -> Path:
    return Path(json_path).with_name(Path(json_path).name.removesuffix(".json") + ".png")


def write_report(document: dict[str, Any], html_path: Path, thumbnails: list[bytes] | None = None) -> list[bytes]:
    """Write ``NAME.summary.html``; returns the keyframes (for an index page)."""
    thumbnails = thumbnails if thumbnails is not None else keyframes(document)
    _write_text(html_path, report_html(document, html_path, thumbnails))
    return thumbnails


def index_html(rows: Iterable[dict[str, Any]], title: str) -> str:
    """A batch run's page: one row per video with its thumbnail, status and links.

    Each row: ``input``, ``status``, ``reason``, ``duration``, ``kept_seconds``, and
    optional ``thumbnail`` (JPEG bytes), ``report``/``video``/``json`` (relative links).
    """
    title = shown(title)
    body = [f"<h1>{html.escape(title)}</h1>", '<table class="index" id="videos"><thead><tr><th></th>'
            "<th>Video</th><th>Status</th><th>Length</th><th>Kept</th><th>Outputs</th></tr></thead><tbody>"]
    for row in rows:
        thumb = (f'<img alt="" src="{_data_uri(row["thumbnail"], "image/jpeg")}">' if row.get("thumbnail") else "")
        links = " &middot; ".join(f'<a href="{html.escape(url(row[key]))}">{label}</a>'
                                  for key, label in (("report", "report"), ("video", "summary"), ("json", "JSON"))
                                  if row.get(key))
        reason = f'<div class="muted">{html.escape(shown(row["reason"]))}</div>' if row.get("reason") else ""
        body.append(
            f'<tr data-status="{html.escape(row["status"])}"><td>{thumb}</td><td>{html.escape(shown(row["input"]))}'
            f'{reason}</td><td class="{html.escape(row["status"])}">{html.escape(row["status"])}</td>'
            f'<td>{_clock(row["duration"]) if row.get("duration") is not None else ""}</td>'
            f'<td>{_clock(row["kept_seconds"]) if row.get("kept_seconds") is not None else ""}</td>'
            f"<td>{links}</td></tr>")
    body.append("</tbody></table>")
    return _page(title, "\n".join(body))


def _write_text(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    try:
        with atomic_output(Path(path)) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
