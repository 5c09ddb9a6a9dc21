"""What a person looks at: the importance plot and the report page of a summary.

Both are made from a summary JSON document (plus the source video, for the keyframes),
so they can be redone for any summary on disk (``summarize export``). The page is one
self-contained file that needs no network: keyframes are embedded as data URIs, the
curve and the timeline are SVG drawn here (the page reads without JavaScript), and the
source and summary videos are linked by their relative names, so it plays them from a
``file://`` URL as long as they stay where they were. Its script (``report.js``) plays
the source from a shot, and chooses the shots again for another length by the default
rule, from the document embedded in the page (``reselect.py`` is the same in Python).
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import html
import io
import json
import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..errors import OutputError, UsageError
from ..loading import import_native
from ..paths import shown, text_safe, url
from .atomic import atomic_output
from .summary_json import source_path, summary_video_path

THUMB_SHORT_SIDE = 144
POSTER_SHORT_SIDE = 360  # the source player's poster
_MPL_HINT = "pip install 'summarize[report]' (or: pip install matplotlib)"
KEPT_COLOR = "#e8590c"


def _clock(seconds: float) -> str:
    """``1:15.5``, ``1:02:05.2``: to the tenth, rounded first (59.96 s is 1:00.0, not 0:60.0)."""
    minutes, secs = divmod(round(float(seconds), 1), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}" if hours else f"{minutes}:{secs:04.1f}"


def _figure():
    try:
        return import_native("matplotlib.figure").Figure
    except ImportError:
        raise UsageError(f"--plot needs matplotlib: {_MPL_HINT}") from None


def score_figure(document: dict[str, Any], width: float = 10.0, height: float = 2.8):
    """The importance curve over time, the KTS shots as bands and the kept shots highlighted."""
    # matplotlib.figure.Figure, not pyplot: no global state, safe in batch threads.
    fig = _figure()(figsize=(width, height), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    samples = document["samples"]
    times, scores = np.asarray(samples["time"]), np.asarray(samples["score"])
    origin, end = span(document)  # the part summarized (--start/--end), as the page's curve
    for shot in document["shots"]:
        if shot["selected"]:
            ax.axvspan(shot["start"], shot["end"], color=KEPT_COLOR, alpha=0.28, lw=0)
        elif shot["index"] % 2:
            ax.axvspan(shot["start"], shot["end"], color="#868e96", alpha=0.12, lw=0)
    for shot in document["shots"][1:]:
        ax.axvline(shot["start"], color="#495057", lw=0.6, alpha=0.6)
    ax.step(np.append(times, end), np.append(scores, scores[-1:] if len(scores) else []), where="post",
            color="#1864ab", lw=1.4)
    ax.set_xlim(origin, end)
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


def best_shot(document: dict[str, Any]) -> int:
    """The index of the kept shot of the highest score (of any shot when none is kept)."""
    shots = [s for s in document["shots"] if s["selected"]] or document["shots"]
    return max(shots, key=lambda s: s["score"])["index"]


def poster(document: dict[str, Any]) -> bytes:
    """The source player's poster: the middle frame of ``best_shot``, larger than a keyframe."""
    from .stills import jpeg, middle_frames

    shot = document["shots"][best_shot(document)]
    bounds = np.array([(shot["start_frame"], shot["end_frame"])], dtype=np.int64)
    return next(jpeg(frame, 82) for _, frame in middle_frames(source_path(document), bounds, POSTER_SHORT_SIDE))


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _rel(target: Path, start: Path) -> str:
    """The link from a page in ``start`` to ``target`` (percent-encoded: any name opens)."""
    try:
        return url(os.path.relpath(target, start))
    except ValueError:  # another drive on Windows
        return Path(target).resolve().as_uri()


# ---- what the page says -------------------------------------------------------------------

_NTSC = {"23.976": 24000 / 1001, "29.97": 30000 / 1001, "59.94": 60000 / 1001}


def fps_text(fps: float) -> str:
    """A frame rate as people write it: 29.97, 23.976, 25, 12.5."""
    for text, rate in _NTSC.items():
        if abs(fps - rate) <= 1e-4 * rate:
            return text
    return f"{fps:.2f}".rstrip("0").rstrip(".")


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value >= 0.05 else "under 0.1 s"


# The stages a person reads in the run's timings (run.timings keys: the other keys split
# these further, for the Speed section of the README).
_STAGES = (("scoring", "scoring"), ("segmentation", "shots and cut frames"), ("selection", "choosing shots"),
           ("writing", "writing"))


def timings_text(run: dict[str, Any]) -> str:
    """``decoding and features 19.9 s, scoring 0.1 s, ..., writing 0.1 s; 21.3 s in all``."""
    timings = run.get("timings") or {}
    parts = []
    if "decode_and_features_wall" in timings:
        parts.append(f"decoding and features {_seconds(timings['decode_and_features_wall'])}")
    elif run.get("feature_cache") == "hit":
        parts.append("features from the cache")
    parts += [f"{label} {_seconds(timings[key])}" for key, label in _STAGES if key in timings]
    total = [f"{timings['total']:.1f} s in all"] if "total" in timings else []
    return "; ".join([text for text in [", ".join(parts)] if text] + total)


def _created(text: str) -> str:
    try:
        moment = _dt.datetime.fromisoformat(text).astimezone(_dt.timezone.utc)
    except (TypeError, ValueError):
        return str(text)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _numbers(document: dict[str, Any]) -> list[tuple[str, str]]:
    info, sel, seg, summary = document["input"], document["selection"], document["segmentation"], document["summary"]
    run = document["run"]
    params = ", ".join(f"{k}={v}" for k, v in document["method"]["params"].items() if v is not None)
    found = seg.get("n_kts_shots", seg["n_shots"])
    cuts = (seg.get("boundaries") or {}).get("cut", 0)
    timecode = f", time code from {info['timecode']['start']}" if info.get("timecode") else ""
    if sel.get("rule") == "benchmark":
        rule = "benchmark: the published rule of summarize eval (a shot is worth its mean score)"
        why = "split to fit the budget"
    else:
        rule = (f"total: the shots that hold the most importance; none shorter than {sel['min_shot']:g} s, "
                f"long shots cut into pieces of at most {sel['max_piece']:g} s")
        why = "cut where they matter least"
    asked = f" ({_clock(sel['duration'])})" if sel.get("duration") is not None else ""
    return [
        ("Input", (f"{info['file_name']}: {_clock(info['duration'])}, {info['width']}x{info['height']}, "
                   f"{fps_text(info['avg_fps'])} fps, {'with' if info['has_audio'] else 'no'} audio{timecode}")),
        ("Method", document["method"]["name"] + (f" ({params})" if params else "")
         + f"; features: {document['backbone']['name']} at {document['sampling']['fps']:g} samples/s"),
        ("Selection", rule),
        ("Budget", f"{100 * sel['budget']:.1f}% asked{asked}, {100 * sel['achieved']:.1f}% kept"),
        ("Shots", f"{found} found by KTS" + (f" ({cuts} starting on a picture cut)" if cuts else "")
         + (f"; {why}: {len(document['shots'])} pieces" if sel.get("shots_split") else "")),
        ("Kept", f"{_count(summary['n_shots'], 'shot')}, {_clock(summary['duration'])} of {_clock(info['duration'])}"),
        ("Time taken", timings_text(run)),
        ("Run", f"{_created(run['created'])} on {run['device']}"
                + (f" ({run['runtime']})" if run.get("runtime") else "")
                + f", summarize {document['tool']['version']}"),
    ]


# ---- the graphics: plain SVG, drawn here so that the page reads without JavaScript ---------


@dataclass(frozen=True)
class _Axes:
    """Where seconds and scores go in an SVG's coordinates."""

    left: float
    right: float
    top: float
    bottom: float
    duration: float  # seconds shown, from ``origin`` on
    highest: float = 1.0
    origin: float = 0.0

    def x(self, seconds: float) -> float:
        share = (seconds - self.origin) / self.duration if self.duration > 0 else 0.0
        return self.left + (self.right - self.left) * share

    def y(self, score: float) -> float:
        return self.bottom - (self.bottom - self.top) * (score / self.highest if self.highest > 0 else 0.0)


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def kept_runs(document: dict[str, Any]) -> list[tuple[float, float]]:
    """[start, end) seconds of the kept shots, touching ones joined."""
    runs: list[list[float]] = []
    last = None
    for shot in sorted(document["shots"], key=lambda s: s["start_frame"]):
        if shot["selected"]:
            if runs and last == shot["start_frame"]:
                runs[-1][1] = shot["end"]
            else:
                runs.append([shot["start"], shot["end"]])
            last = shot["end_frame"]
    return [(a, b) for a, b in runs]


def _edges(document: dict[str, Any], axes: _Axes, top: float, bottom: float) -> tuple[str, str]:
    """Lines where shots start: picture cuts, boundaries on a sample (KTS's own), and cuts the
    selection made inside shots (these change with the budget: the page redraws them)."""
    fixed, split = [], []
    for shot in document["shots"]:
        if shot["start_frame"] == 0:
            continue
        x = _n(axes.x(shot["start"]))
        kind = "split" if shot["split"] else ("cut" if shot["boundary"] == "cut" else "sample")
        line = f'<line class="edge {kind}" x1="{x}" x2="{x}" y1="{_n(top)}" y2="{_n(bottom)}"/>'
        (split if shot["split"] else fixed).append(line)
    return "".join(fixed), "".join(split)


def _nice_step(duration: float, most: int = 12) -> float:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
        if duration / step <= most:
            return step
    return 3600 * max(1, math.ceil(duration / 3600 / most))


def span(document: dict[str, Any]) -> tuple[float, float]:
    """[start, end) seconds summarized: the video, or its ``--start``/``--end`` part."""
    part = document["sampling"].get("range")
    return (part["start"], part["end"]) if part else (0.0, document["input"]["duration"])


def curve_svg(document: dict[str, Any]) -> str:
    """The importance over time (of the part summarized), the shots, the kept ones and where shots start."""
    samples = document["samples"]
    origin, end = span(document)
    duration = end - origin
    scores = samples["score"]
    top = max(scores) if scores else 1.0
    axes = _Axes(48, 976, 10, 176, duration, top * 1.08 if top > 0 else 1.0, origin)
    parts = [(f'<svg id="curve" class="curve" viewBox="0 0 1000 206" role="img" data-left="{axes.left}" '
              f'data-right="{axes.right}" data-top="{axes.top}" data-bottom="{axes.bottom}" '
              f'data-start="{origin!r}" data-duration="{duration!r}" '
              f'aria-label="importance over time, the shots and the kept ones">'),
             '<g class="bands">']
    kts = -1
    for shot in document["shots"]:
        kts += 0 if shot["split"] else 1
        if kts % 2:
            x0, x1 = axes.x(shot["start"]), axes.x(shot["end"])
            parts.append(f'<rect x="{_n(x0)}" y="{axes.top}" width="{_n(x1 - x0)}" height="{axes.bottom - axes.top}"/>')
    parts.append('</g><g id="kept-bands" class="kept">')
    for a, b in kept_runs(document):
        parts.append(f'<rect x="{_n(axes.x(a))}" y="{axes.top}" width="{_n(axes.x(b) - axes.x(a))}" '
                     f'height="{axes.bottom - axes.top}"/>')
    fixed, split = _edges(document, axes, axes.top, axes.bottom)
    parts.append(f'</g><g class="edges">{fixed}</g><g id="split-edges" class="edges">{split}</g>')
    if scores:
        path = [f"M{_n(axes.x(samples['time'][0]))} {_n(axes.y(scores[0]))}"]
        for t, s in zip(samples["time"][1:], scores[1:]):
            path.append(f"H{_n(axes.x(t))}V{_n(axes.y(s))}")
        path.append(f"H{_n(axes.x(end))}")
        parts.append(f'<path class="score" d="{"".join(path)}"/>')
    parts.append(f'<line class="axis" x1="{axes.left}" x2="{axes.right}" y1="{axes.bottom}" y2="{axes.bottom}"/>')
    step = _nice_step(duration)
    t = math.ceil(origin / step) * step
    while t <= end + 1e-9:
        x = _n(axes.x(t))
        parts.append(f'<line class="axis" x1="{x}" x2="{x}" y1="{axes.bottom}" y2="{axes.bottom + 4}"/>'
                     f'<text x="{x}" y="{axes.bottom + 18}" text-anchor="middle">{_clock(t).removesuffix(".0")}</text>')
        t += step
    for value in (0.0, top / 2, top):
        y = _n(axes.y(value))
        parts.append(f'<text x="{axes.left - 6}" y="{y}" text-anchor="end" dominant-baseline="middle">'
                     f"{value:.2f}</text>")
    parts.append(f'<text x="14" y="{_n((axes.top + axes.bottom) / 2)}" text-anchor="middle" '
                 f'transform="rotate(-90 14 {_n((axes.top + axes.bottom) / 2)})">importance</text>')
    parts.append(f'<line id="curve-playhead" class="playhead" x1="{axes.left}" x2="{axes.left}" y1="{axes.top}" '
                 f'y2="{axes.bottom}" visibility="hidden"/>')
    parts.append(f'<rect class="hit" x="{axes.left}" y="{axes.top}" width="{axes.right - axes.left}" '
                 f'height="{axes.bottom - axes.top}"><title>Click to play the source from there</title></rect></svg>')
    return "".join(parts)


def timeline_svg(document: dict[str, Any]) -> str:
    """The source's timeline under its player: the kept shots and where shots start."""
    duration = document["input"]["duration"]
    axes = _Axes(0, 1000, 0, 24, duration)
    parts = [(f'<svg id="timeline" class="timeline" viewBox="0 0 1000 24" preserveAspectRatio="none" role="img" '
              f'data-left="0" data-right="1000" data-top="0" data-bottom="24" data-start="0" '
              f'data-duration="{duration!r}" aria-label="the kept shots on the source\'s timeline">'
              f'<rect class="track" x="0" y="0" width="1000" height="24"/><g id="timeline-kept" class="kept">')]
    for a, b in kept_runs(document):
        parts.append(f'<rect x="{_n(axes.x(a))}" y="0" width="{_n(axes.x(b) - axes.x(a))}" height="24"/>')
    fixed, split = _edges(document, axes, 0, 24)
    parts.append(f'</g><g class="edges">{fixed}</g><g id="timeline-split" class="edges">{split}</g>'
                 f'<line id="timeline-playhead" class="playhead" x1="0" x2="0" y1="0" y2="24" visibility="hidden"/>'
                 f'<rect class="hit" x="0" y="0" width="1000" height="24"><title>Click to play the source from '
                 f'there</title></rect></svg>')
    return "".join(parts)


_LEGEND = ('<p class="legend"><span class="swatch kept"></span>kept shot '
           '<span class="swatch cut"></span>picture cut '
           '<span class="swatch sample"></span>shot boundary between samples (no cut found) '
           '<span class="swatch split"></span>long shot cut to fit the budget</p>')


# ---- the page -------------------------------------------------------------------------------


def page_data(document: dict[str, Any]) -> str:
    """The document the page's script reads, as JSON safe inside ``<script>``: without the
    absolute paths of the input and outputs (a page is shared; they would say where the files
    were). A ``--weights`` or ``--checkpoint`` path the run was given stays: the fingerprint of
    a summary made in the page is computed from it."""
    data = copy.deepcopy(document)
    for key in ("path", "path_bytes"):
        data["input"].pop(key, None)
    data["outputs"] = {"video_encoding": (document.get("outputs") or {}).get("video_encoding")}
    return json.dumps(text_safe(data), ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")


def _card(shot: dict[str, Any], thumbnail: bytes | None) -> str:
    kept = shot["selected"]
    image = (f'<img alt="shot {shot["index"] + 1} keyframe" src="{_data_uri(thumbnail, "image/jpeg")}">'
             if thumbnail else '<div class="noimage">no keyframe</div>')
    return (f'<figure class="shot{" kept" if kept else ""}" data-shot="{shot["index"]}" '
            f'data-selected="{str(kept).lower()}" data-start="{shot["start"]!r}" data-end="{shot["end"]!r}" '
            f'data-start-frame="{shot["start_frame"]}" data-end-frame="{shot["end_frame"]}" tabindex="0" '
            f'title="Play the source from {_clock(shot["start"])}">{image}<figcaption>'
            f'<span class="badge">kept</span>Shot {shot["index"] + 1}: {_clock(shot["start"])}-{_clock(shot["end"])} '
            f'<span class="muted">score {shot["score"]:.3f}</span></figcaption></figure>')


def _video(element_id: str, src: str, poster_image: bytes | None, label: str) -> str:
    poster_attr = f' poster="{_data_uri(poster_image, "image/jpeg")}"' if poster_image else ""
    return (f'<video id="{element_id}" controls preload="metadata"{poster_attr} aria-label="{label}">'
            f'<source src="{html.escape(src)}"></video>')


def _budget_section(document: dict[str, Any], json_name: str) -> str:
    sel = document["selection"]
    rule = sel.get("rule", "total")
    note = ""
    if rule != "total":
        note = ("<p class=\"note\" id=\"budget-note\">Choosing shots again here follows the default rule "
                "(<code>--selection total</code>); this summary was made with <code>--selection benchmark</code>, "
                "whose choice needs what the JSON does not keep (every frame's duration, the unrounded scores). "
                "The downloads below are the run's own selection; for another length run "
                f"<code>summarize {html.escape(document['input']['file_name'])} --selection benchmark "
                "--budget X</code>.</p>")
    return f"""<section id="budget" class="panel" hidden data-rule="{html.escape(rule)}"
 data-json-name="{html.escape(json_name)}">
<h2>Try another length</h2>{note}
<div class="controls">
<label><input type="radio" name="budget-unit" value="fraction" checked> fraction of the video</label>
<label><input type="radio" name="budget-unit" value="seconds"> seconds</label>
<input type="range" id="budget-range" min="0.01" max="1" step="0.01" aria-label="summary length">
<input type="number" id="budget-value" step="any" min="0" aria-label="summary length (number)">
<button type="button" id="budget-reset">The run's length</button>
</div>
<p id="budget-result" class="result"></p>
<p><button type="button" id="preview">&#9654; Preview</button>
<span id="preview-status" class="muted">plays the source through the kept shots</span></p>
<ol id="kept-list" class="kept-list"></ol>
<p class="downloads">Download: <a id="download-edl" href="#">EDL</a> &middot;
<a id="download-otio" href="#">OpenTimelineIO</a> &middot; <a id="download-vtt" href="#">chapters (WebVTT)</a> &middot;
<a id="download-ffmetadata" href="#">chapters (FFmetadata)</a> &middot;
<a id="download-json" href="#">summary JSON</a></p>
<p class="muted">The same files from the command line, in the JSON's folder:</p>
<pre id="command"></pre>
</section>
<noscript><p class="muted">Trying other lengths, playing shots from here and downloading
edits need JavaScript.</p></noscript>"""


def report_html(document: dict[str, Any], html_path: Path, thumbnails: list[bytes] | None = None,
                poster_image: bytes | None = None) -> str:
    """The report page of one summary (``html_path`` decides the relative links to the
    videos). ``thumbnails``: one keyframe per shot (``[]``: none, the source being missing);
    ``poster_image``: the source player's poster (``b""``: none)."""
    info, sel, summary = document["input"], document["selection"], document["summary"]
    thumbnails = keyframes(document) if thumbnails is None else thumbnails
    if poster_image is None:
        poster_image = poster(document) if thumbnails else b""
    folder = Path(html_path).resolve().parent
    name = html.escape(info["file_name"])
    runs = kept_runs(document)
    first_kept = next((s["index"] for s in document["shots"] if s["selected"]), None)
    parts = [f"<h1>Summary of {name}</h1>",
             (f'<p class="sub">{html.escape(document["method"]["name"])}, {100 * sel["budget"]:.1f}% asked: '
              f'{_count(len(runs), "shot")} kept, {_clock(summary["duration"])} of {_clock(info["duration"])}</p>'),
             '<div class="top"><div class="player">',
             "<h2>Source video</h2>",
             _video("source-video", _rel(source_path(document), folder), poster_image, f"the source, {name}"),
             timeline_svg(document),
             '<p class="hint muted">Click a shot, the curve or this bar to play the source from there.</p></div>']
    video = summary_video_path(document)
    if video is not None:
        summary_poster = thumbnails[first_kept] if thumbnails and first_kept is not None else None
        parts += ['<div class="player"><h2>Summary video</h2>',
                  _video("summary-video", _rel(Path(video), folder), summary_poster, "the summary"), "</div>"]
    else:
        parts.append('<div class="player"><h2>Summary video</h2><p class="muted">None was made for this summary '
                     '(--no-video, or a length chosen again by summarize export): Preview, below, plays the source '
                     'through the kept shots.</p></div>')
    parts.append("</div>")
    parts += ["<h2>Importance over time</h2>", curve_svg(document), _LEGEND, _budget_section(
        document, Path(document["outputs"]["json"]).name if (document.get("outputs") or {}).get("json")
        else Path(html_path).name.removesuffix(".html") + ".json")]
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in _numbers(document))
    parts.append(f'<h2>The run</h2><table class="numbers" id="numbers">{rows}</table>')
    parts.append(f"<h2>Shots ({len(document['shots'])}; kept ones framed; click one to play it)</h2>")
    parts.append('<div class="sheet" id="contact-sheet">')
    parts += [_card(shot, thumbnails[shot["index"]] if shot["index"] < len(thumbnails) else None)
              for shot in document["shots"]]
    parts.append("</div>")
    parts.append(f'<script type="application/json" id="summary-data">{page_data(document)}</script>')
    parts.append(f"<script>\n{_script()}</script>")
    return _page(f"Summary of {info['file_name']}", "\n".join(parts))


def _script() -> str:
    return resources.files(__package__).joinpath("report.js").read_text(encoding="utf-8")


def report_path(json_path: Path) -> Path:
    return Path(json_path).with_name(Path(json_path).name.removesuffix(".json") + ".html")


def plot_path(json_path: Path) -> Path:
    return Path(json_path).with_name(Path(json_path).name.removesuffix(".json") + ".png")


def write_report(document: dict[str, Any], html_path: Path, thumbnails: list[bytes] | None = None) -> list[bytes]:
    """Write ``NAME.summary.html``; returns the keyframes (for an index page). ``thumbnails``:
    as ``report_html`` takes them (None: read from the source)."""
    thumbnails = thumbnails if thumbnails is not None else keyframes(document)
    _write_text(html_path, report_html(document, html_path, thumbnails))
    return thumbnails


_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#212529;background:#f8f9fa}
main{max-width:1180px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:22px;margin:8px 0 2px}h2{font-size:17px;margin:22px 0 8px}
.sub{color:#495057;margin:0 0 10px}
.top{display:flex;gap:22px;flex-wrap:wrap;align-items:flex-start}
.top>div{flex:1 1 440px;min-width:0}
video{display:block;width:100%;max-height:380px;background:#000;border-radius:6px}
svg text{font-size:12px;fill:#495057}
svg.curve{display:block;width:100%;height:auto;background:#fff;border:1px solid #dee2e6;border-radius:6px}
svg.timeline{display:block;width:100%;height:24px;margin-top:6px;border-radius:3px;cursor:pointer}
svg .bands rect{fill:#868e96;opacity:.13}
svg .kept rect{fill:#e8590c;opacity:.32}
svg.timeline .track{fill:#dee2e6}svg.timeline .kept rect{opacity:.85}
svg .edge{stroke-width:1.2;vector-effect:non-scaling-stroke}
svg .edge.cut{stroke:#343a40}
svg .edge.sample{stroke:#495057;stroke-dasharray:4 3}
svg .edge.split{stroke:#c2410c;stroke-dasharray:1 3;stroke-width:1.6}
svg.timeline .edge.split{stroke:#fff}
svg .score{fill:none;stroke:#1864ab;stroke-width:1.6}
svg .axis{stroke:#868e96}
svg .playhead{stroke:#c92a2a;stroke-width:2;vector-effect:non-scaling-stroke}
svg .hit{fill:transparent;cursor:pointer}
.legend{font-size:13px;color:#495057;margin:6px 0 0}
.swatch{display:inline-block;width:18px;height:10px;margin:0 5px 0 12px;vertical-align:middle}
.swatch.kept{background:#e8590c;opacity:.5;margin-left:0}
.swatch.cut{border-left:2px solid #343a40;width:0;height:14px}
.swatch.sample{border-left:2px dashed #495057;width:0;height:14px}
.swatch.split{border-left:2px dotted #c2410c;width:0;height:14px}
.panel{background:#fff;border:1px solid #dee2e6;border-radius:6px;padding:4px 16px 10px;margin-top:18px}
.controls{display:flex;gap:14px;align-items:center;flex-wrap:wrap}
.controls input[type=range]{flex:1 1 260px}
.controls input[type=number]{width:90px}
.result{font-weight:600}
.kept-list{columns:3 220px;font-size:14px;margin:6px 0}
.note{background:#fff4e6;border-left:3px solid #e8590c;padding:6px 10px}
pre{background:#f1f3f5;padding:8px 10px;border-radius:4px;white-space:pre-wrap;word-break:break-all;font-size:13px}
table.numbers{border-collapse:collapse;font-size:14px}
table.numbers th{text-align:left;padding:3px 14px 3px 0;color:#495057;font-weight:600;vertical-align:top}
table.numbers td{padding:3px 0}
.sheet{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px}
figure{margin:0;background:#fff;border:1px solid #dee2e6;border-radius:6px;overflow:hidden}
figure.shot{cursor:pointer}figure.shot:focus{outline:2px solid #1864ab}
figure img{display:block;width:100%;height:auto;background:#ced4da}
figure .noimage{height:100px;background:#e9ecef;color:#868e96;display:flex;align-items:center;
justify-content:center;font-size:13px}
figure.kept{border:3px solid #e8590c}figure.part{border:3px dashed #e8590c}
figure.playing{box-shadow:0 0 0 3px #1864ab}
figcaption{padding:5px 8px;font-size:13px;color:#343a40}
.badge{display:none;float:right;background:#e8590c;color:#fff;border-radius:4px;padding:0 6px;font-size:12px;
font-weight:600}
figure.kept .badge{display:inline}
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
