"""What the plot (``--plot``) and the report page draw, read back from the figure's own data
(matplotlib's lines and patches, not pixels) and from the page's SVG and embedded JSON, and
compared with the summary document: each sample's score from that sample's time to the
next one's, the shots' bands and the kept shots at the shots' times.

A curve shifted by one sample (0.5 s), or bands off by a shot or a fraction of one, fail
here. The documents are made by hand (fast): scores all different from their neighbours,
shots that start between samples, a shot cut in two to fit the budget, kept shots that touch.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from summarize.outputs.report import KEPT_COLOR, curve_svg, report_html, score_figure, timeline_svg

FPS = 25.0
# (start frame, kind, split, selected): KTS shots, the third cut in two pieces to fit the
# budget, kept shots 1 and 3, and 5 and 6, touching.
SHOTS = [(0, "start", False, False), (112, "cut", False, True), (250, "sample", False, False),
         (330, "sample", True, True), (401, "cut", False, False), (530, "cut", False, True),
         (641, "sample", False, True)]
END_FRAME = 750  # 30 s


def document(seed: int = 5, part: tuple[int, int] | None = None) -> dict:
    """A summary document of a 30 s, 25 fps video sampled at 2 a second (``part``: the frames
    summarized with --start/--end; samples and shots lie inside it)."""
    rng = np.random.default_rng(seed)
    first, last = part or (0, END_FRAME)
    times = np.arange(first / FPS, last / FPS - 1e-9, 0.5)
    # no two neighbours alike: a curve moved by one sample differs at every sample
    scores = np.round(rng.permutation(len(times)) / (len(times) - 1) * 0.9 + 0.05, 6)
    rows = [(max(a, first), k, s, sel) for a, k, s, sel in SHOTS if a < last]
    rows = [r for i, r in enumerate(rows) if i + 1 == len(rows) or rows[i + 1][0] > first]
    ends = [r[0] for r in rows[1:]] + [last]
    shots = [{"index": i, "start": round(a / FPS, 6), "end": round(b / FPS, 6), "start_frame": a, "end_frame": b,
              "score": round(float(rng.random()), 6), "boundary": "start" if i == 0 else kind, "split": split,
              "selected": selected}
             for i, ((a, kind, split, selected), b) in enumerate(zip(rows, ends))]
    kept = sum(s["end"] - s["start"] for s in shots if s["selected"])
    sampling = {"fps": 2.0, "n_samples": len(times), "rule": "samples at k/fps seconds"}
    if part:
        sampling["range"] = {"start": first / FPS, "end": last / FPS, "start_frame": first, "end_frame": last}
    return {
        "format": "summarize.summary", "format_version": 3, "tool": {"name": "summarize", "version": "9.9"},
        "input": {"path": "/videos/a clip.mp4", "file_name": "a clip.mp4", "size_bytes": 1000,
                  "duration": END_FRAME / FPS, "n_frames": END_FRAME, "avg_fps": FPS, "width": 320, "height": 240,
                  "rotation": 0, "has_audio": False, "decoder": "pyav"},
        "sampling": sampling,
        "backbone": {"name": "efficientnet-lite0"},
        "method": {"name": "contrastive", "params": {"k": 0.1}},
        "options": {"fingerprint": "0123456789abcdef", "values": {"budget": 0.3}},
        "segmentation": {"method": "kts", "n_shots": len(shots) - 1, "n_kts_shots": len(shots) - 1,
                         "boundaries": {"cut": 3, "sample": 2}},
        "selection": {"method": "knapsack", "rule": "total", "budget": 0.3, "duration": None, "min_shot": 1.0,
                      "max_piece": 8.0, "achieved": round(kept / (END_FRAME / FPS), 6), "shots_split": 1,
                      "n_shots": len(shots)},
        "summary": {"duration": round(kept, 6), "n_shots": 3},
        "samples": {"time": [round(float(t), 6) for t in times],
                    "frame": [int(round(t * FPS)) for t in times],
                    "frame_time": [round(round(t * FPS) / FPS, 6) for t in times],
                    "score": [float(s) for s in scores]},
        "shots": shots,
        "outputs": {"json": "/videos/out/a clip.summary.json", "video": None, "video_encoding": None},
        "run": {"device": "cpu", "created": "2026-01-02T03:04:05+00:00", "feature_cache": "miss",
                "timings": {"total": 1.5}},
    }


def steps(document: dict, end: float) -> list[tuple[float, float, float]]:
    """What the curve must draw: (from, to, score) of every sample, the last one to ``end``."""
    times, scores = document["samples"]["time"], document["samples"]["score"]
    return [(t, u, s) for t, u, s in zip(times, times[1:] + [end], scores)]


def kts_groups(document: dict) -> list[list[dict]]:
    """The shots KTS found, each as its pieces (a piece that is ``split`` continues the one before)."""
    groups: list[list[dict]] = []
    for shot in document["shots"]:
        if shot["split"]:
            groups[-1].append(shot)
        else:
            groups.append([shot])
    return groups


def touching_runs(document: dict) -> list[tuple[float, float]]:
    """[start, end) seconds of the kept shots, those that touch (by frame) as one."""
    runs: list[list] = []
    for shot in document["shots"]:
        if shot["selected"]:
            if runs and runs[-1][2] == shot["start_frame"]:
                runs[-1][1:] = [shot["end"], shot["end_frame"]]
            else:
                runs.append([shot["start"], shot["end"], shot["end_frame"]])
    return [(a, b) for a, b, _ in runs]


def same(got, want, tol: float) -> bool:
    """Two lists of (seconds, ..., label?) alike: the same length and labels, numbers within ``tol``."""
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want):
        numbers = [(a, b) for a, b in zip(g, w) if not isinstance(b, str)]
        assert [a for a in g if isinstance(a, str)] == [b for b in w if isinstance(b, str)], (g, w)
        assert all(abs(a - b) <= tol for a, b in numbers), (got, want)
    return True


def edges_at_starts(document: dict) -> list[tuple[float, str]]:
    """A line where each shot starts but the video's first: (seconds, kind), as the legend
    tells them apart; those of pieces cut to fit the budget last (the page redraws them)."""
    starts = [(s["start"], "split" if s["split"] else ("cut" if s["boundary"] == "cut" else "sample"))
              for s in document["shots"] if s["start_frame"] > 0]
    return [x for x in starts if x[1] != "split"] + [x for x in starts if x[1] == "split"]


def test_the_documents_here_are_what_the_drawings_must_tell_apart():
    doc = document()
    scores = doc["samples"]["score"]
    assert all(a != b for a, b in zip(scores, scores[1:])) and len(scores) == 60
    assert [len(g) for g in kts_groups(doc)] == [1, 1, 2, 1, 1, 1]
    assert touching_runs(doc) == [(4.48, 10.0), (13.2, 16.04), (21.2, 30.0)]
    assert any(s["start"] % 0.5 for s in doc["shots"])  # shots start between samples


# ---- the plot (matplotlib's figure, as --plot saves it) ------------------------------------


def _curve(ax):
    """The importance curve: the one line of many points."""
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    assert len(lines) == 1
    return lines[0]


def horizontal_runs(vertices: np.ndarray) -> list[tuple[float, float, float]]:
    """(from x, to x, y) of every horizontal piece of a drawn polyline, in order."""
    return [(float(a[0]), float(b[0]), float(a[1])) for a, b in zip(vertices, vertices[1:])
            if a[1] == b[1] and b[0] > a[0]]


def _x_range(patch) -> tuple[float, float]:
    """A band's [from, to) in the axes' data x (axvspan: x in data, y in axes)."""
    xs = patch.get_path().transformed(patch.get_patch_transform()).vertices[:, 0]
    return float(xs.min()), float(xs.max())


def _same_color(a, b) -> bool:
    from matplotlib.colors import to_rgb

    return np.allclose(to_rgb(a), to_rgb(b))


@pytest.mark.parametrize("part", [None, (137, 613)])
def test_the_plot_draws_each_samples_score_from_its_time_to_the_next(part):
    doc = document(part=part)
    ax = score_figure(doc).axes[0]
    start, end = (0.0, 30.0) if part is None else (part[0] / FPS, part[1] / FPS)
    drawn = horizontal_runs(_curve(ax).get_path().vertices)
    want = steps(doc, end)
    assert len(drawn) == len(want)
    assert same(drawn, want, 1e-9)
    assert ax.get_xlim() == pytest.approx((start, end))  # the part summarized, as the page's curve
    assert 0 <= ax.get_ylim()[0] and max(doc["samples"]["score"]) <= ax.get_ylim()[1]


def test_the_plot_bands_the_kept_shots_and_every_other_shot_at_their_times():
    doc = document()
    ax = score_figure(doc).axes[0]
    kept = [_x_range(p) for p in ax.patches if _same_color(p.get_facecolor(), KEPT_COLOR)]
    other = [_x_range(p) for p in ax.patches if not _same_color(p.get_facecolor(), KEPT_COLOR)]
    assert same(kept, [(s["start"], s["end"]) for s in doc["shots"] if s["selected"]], 1e-9)
    assert same(other, [(s["start"], s["end"]) for s in doc["shots"] if not s["selected"] and s["index"] % 2], 1e-9)
    cuts = [float(line.get_xdata()[0]) for line in ax.get_lines() if len(line.get_xdata()) == 2]
    assert cuts == pytest.approx([s["start"] for s in doc["shots"][1:]], abs=1e-9)
    assert all(line.get_xdata()[0] == line.get_xdata()[1] for line in ax.get_lines() if len(line.get_xdata()) == 2)


# ---- the page: its SVG graphics and its embedded data ---------------------------------------


class _Svg(HTMLParser):
    """The elements of one SVG with their group's id or class."""

    def __init__(self):
        super().__init__()
        self.root: dict = {}
        self.groups: list[str] = []
        self.elements: list[tuple[str, str, dict]] = []  # (group, tag, attributes)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.root = attrs
        elif tag == "g":
            self.groups.append(attrs.get("id") or attrs.get("class"))
        else:
            self.elements.append((self.groups[-1] if self.groups else "", tag, attrs))

    def handle_endtag(self, tag):
        if tag == "g":
            self.groups.pop()

    def of(self, group: str, tag: str) -> list[dict]:
        return [a for g, t, a in self.elements if g == group and t == tag]


def _parse(svg: str) -> _Svg:
    parsed = _Svg()
    parsed.feed(svg)
    return parsed


class _Scale:
    """SVG x <-> seconds through the drawing's own data-* attributes."""

    def __init__(self, root: dict):
        self.left, self.right = float(root["data-left"]), float(root["data-right"])
        self.start, self.duration = float(root["data-start"]), float(root["data-duration"])
        self.top, self.bottom = float(root["data-top"]), float(root["data-bottom"])

    def seconds(self, x: float) -> float:
        return self.start + (x - self.left) / (self.right - self.left) * self.duration


def path_vertices(d: str) -> np.ndarray:
    """The points of an SVG path of M, H and V commands (absolute)."""
    points, x, y = [], 0.0, 0.0
    for command, a, b in re.findall(r"([MHV])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", d):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "H":
            x = float(a)
        else:
            y = float(a)
        points.append((x, y))
    assert "".join(re.findall(r"[A-Za-z]", d)) == "M" + "HV" * ((len(points) - 2) // 2) + "H"
    return np.array(points)


def _bands(parsed: _Svg, group: str, scale: _Scale) -> list[tuple[float, float]]:
    return [(scale.seconds(float(r["x"])), scale.seconds(float(r["x"]) + float(r["width"]))) for r in parsed.of(group, "rect")]


def _edges(parsed: _Svg, group: str, scale: _Scale) -> list[tuple[float, str]]:
    lines = parsed.of(group, "line")
    assert all(line["x1"] == line["x2"] for line in lines)
    return [(scale.seconds(float(line["x1"])), line["class"].split()[1]) for line in lines]


TIME = 0.5 / 928 * 30  # half an SVG unit of the curve's 928, in seconds: _n's rounding is a hundredth


@pytest.mark.parametrize("part", [None, (137, 613)])
def test_the_pages_curve_draws_each_samples_score_from_its_time_to_the_next(part):
    doc = document(part=part)
    parsed = _parse(curve_svg(doc))
    scale = _Scale(parsed.root)
    start, end = (0.0, 30.0) if part is None else (part[0] / FPS, part[1] / FPS)
    assert (scale.start, scale.start + scale.duration) == pytest.approx((start, end))
    [curve] = [a for _, tag, a in parsed.elements if tag == "path"]
    drawn = horizontal_runs(path_vertices(curve["d"]))
    want = steps(doc, end)
    assert len(drawn) == len(want)
    # y is the score on a scale of the page's own: zero on the axis, one factor for every sample
    ys = np.array([y for *_, y in drawn])
    scores = np.array([s for *_, s in want])
    factor = float(np.dot(scale.bottom - ys, scores) / np.dot(scores, scores))
    assert factor > 0 and np.abs(scale.bottom - ys - factor * scores).max() <= 0.006  # _n rounds to 0.01
    assert ys.min() >= scale.top - 0.01
    assert same([(scale.seconds(a), scale.seconds(b)) for a, b, _ in drawn], [(t, u) for t, u, _ in want], TIME)


def test_the_pages_bands_kept_shots_and_shot_starts_are_at_the_shots_times():
    doc = document()
    parsed = _parse(curve_svg(doc))
    scale = _Scale(parsed.root)
    every_other = [(s["start"], s["end"]) for k, group in enumerate(kts_groups(doc)) if k % 2 for s in group]
    assert same(_bands(parsed, "bands", scale), every_other, TIME)
    assert same(_bands(parsed, "kept-bands", scale), touching_runs(doc), TIME)
    assert same(_edges(parsed, "edges", scale) + _edges(parsed, "split-edges", scale), edges_at_starts(doc), TIME)
    assert all(float(r["height"]) == scale.bottom - scale.top for r in parsed.of("bands", "rect"))


def test_the_timeline_marks_the_kept_shots_and_shot_starts_over_the_whole_video():
    doc = document(part=(137, 613))
    parsed = _parse(timeline_svg(doc))
    scale = _Scale(parsed.root)
    assert (scale.start, scale.duration) == (0.0, 30.0)
    fine = 0.5 / 1000 * 30
    assert same(_bands(parsed, "timeline-kept", scale), touching_runs(doc), fine)
    assert same(_edges(parsed, "edges", scale) + _edges(parsed, "timeline-split", scale), edges_at_starts(doc), fine)


def test_the_page_embeds_the_document_it_draws_without_its_paths(tmp_path):
    doc = document()
    page = report_html(doc, tmp_path / "a clip.summary.html", thumbnails=[], poster_image=b"")
    embedded = json.loads(re.search(r'<script type="application/json" id="summary-data">(.*?)</script>', page,
                                    flags=re.S).group(1))
    want = json.loads(json.dumps(doc))
    del want["input"]["path"]
    want["outputs"] = {"video_encoding": None}
    assert embedded == want
    # and the graphics in the page are those of the document
    assert curve_svg(doc) in page and timeline_svg(doc) in page


@pytest.mark.parametrize("part, labels", [(None, ["0:00", "0:05", "0:10", "0:15", "0:20", "0:25", "0:30"]),
                                          ((137, 613), [f"0:{s:02d}" for s in range(6, 25, 2)])])
def test_the_curves_time_axis_is_labelled_at_round_times_where_they_are(part, labels):
    doc = document(part=part)
    parsed = _parse(curve_svg(doc))
    scale = _Scale(parsed.root)
    below = [a for g, t, a in parsed.elements if t == "text" and a.get("text-anchor") == "middle"
             and float(a["y"]) > scale.bottom]
    texts = re.findall(r'<text x="[\d.]+" y="[\d.]+" text-anchor="middle">([^<]*)</text>', curve_svg(doc))
    assert texts == labels and len(below) == len(labels)
    for attrs, label in zip(below, labels):
        minutes, seconds = label.split(":")
        assert scale.seconds(float(attrs["x"])) == pytest.approx(60 * int(minutes) + int(seconds), abs=TIME)
    ticks = [a for a in parsed.of("", "line") if a.get("class") == "axis" and a["x1"] == a["x2"]]
    assert [scale.seconds(float(a["x1"])) for a in ticks] == pytest.approx(
        [60 * int(m) + int(s) for m, s in (t.split(":") for t in labels)], abs=TIME)
    # scores: 0, half the highest and the highest, where the curve puts them
    top = max(doc["samples"]["score"])
    values = re.findall(r'<text x="42" y="([\d.]+)" text-anchor="end" dominant-baseline="middle">([\d.]+)</text>',
                        curve_svg(doc))
    assert [v for _, v in values] == [f"{top * k:.2f}" for k in (0, 0.5, 1)]
    [curve] = [a for _, tag, a in parsed.elements if tag == "path"]
    drawn = horizontal_runs(path_vertices(curve["d"]))
    highest = max(drawn, key=lambda r: -r[2])  # the least y: the highest score
    assert float(values[2][0]) == pytest.approx(highest[2], abs=0.01) and float(values[0][0]) == scale.bottom
    # the click area and the playhead cover the plotting area
    [hit] = [a for a in parsed.of("", "rect") if a.get("class") == "hit"]
    assert (float(hit["x"]), float(hit["y"]), float(hit["x"]) + float(hit["width"]),
            float(hit["y"]) + float(hit["height"])) == (scale.left, scale.top, scale.right, scale.bottom)
    [head] = [a for a in parsed.of("", "line") if a.get("id") == "curve-playhead"]
    assert head["visibility"] == "hidden" and (float(head["y1"]), float(head["y2"])) == (scale.top, scale.bottom)


def test_round_steps_for_any_length():
    from summarize.outputs.report import _nice_step

    lengths = [5, 12, 13, 24, 25, 60, 100, 130, 400, 3600, 7200, 86400, 10**6]
    assert [_nice_step(d) for d in lengths] == [1, 1, 2, 2, 5, 5, 10, 15, 60, 300, 600, 7200, 86400]
    assert all(d / _nice_step(d) <= 12 for d in lengths)


def test_the_timeline_is_one_click_area_over_the_whole_video():
    doc = document()
    parsed = _parse(timeline_svg(doc))
    assert parsed.root["viewbox"] == "0 0 1000 24" and parsed.root["preserveaspectratio"] == "none"
    rects = {a.get("class"): a for a in parsed.of("", "rect")}
    for name in ("track", "hit"):
        assert (rects[name]["x"], rects[name]["y"], rects[name]["width"], rects[name]["height"]) == ("0", "0", "1000", "24")
    [head] = [a for a in parsed.of("", "line") if a.get("id") == "timeline-playhead"]
    assert head["visibility"] == "hidden"


NUMBER = re.compile(r"-?\d+(\.\d?[1-9])?")  # as short as it reads: no trailing zeros, no trailing point


def test_numbers_in_the_drawings_are_written_short():
    from summarize.outputs.report import _n

    assert [_n(v) for v in (48.0, 100.0, 0.5, 10.1, 0.004, -3.1, 176.25, 0.0)] == [
        "48", "100", "0.5", "10.1", "0", "-3.1", "176.25", "0"]
    for svg in (curve_svg(document()), timeline_svg(document()), curve_svg(document(part=(137, 613)))):
        parsed = _parse(svg)
        for _, _, attrs in parsed.elements:
            for key in ("x", "y", "x1", "x2", "y1", "y2", "width", "height"):
                if key in attrs:
                    assert NUMBER.fullmatch(attrs[key]), (key, attrs)
        [curve] = [a["d"] for _, tag, a in parsed.elements if tag == "path"] or [""]
        assert all(NUMBER.fullmatch(n) for n in re.findall(r"[-\d.]+", curve))


def _drawn_highest(parsed: _Svg) -> float:
    [curve] = [a for _, tag, a in parsed.elements if tag == "path"]
    return min(y for *_, y in horizontal_runs(path_vertices(curve["d"])))


def test_the_curves_frame_ticks_and_labels_are_where_they_belong():
    """The bands and edges fill the plotting area (y 10 to 176), the highest score stands at
    1/1.08 of its height (the plot's headroom: its y axis ends at 1.08 x the highest), ticks
    hang 4 below the axis with their times 18 below it, the y label is centred and upright."""
    doc = document()
    parsed = _parse(curve_svg(doc))
    assert (parsed.root["data-top"], parsed.root["data-bottom"]) == ("10", "176")
    for group in ("bands", "kept-bands"):
        assert {(r["y"], r["height"]) for r in parsed.of(group, "rect")} == {("10", "166")}
    for group in ("edges", "split-edges"):
        assert {(a["y1"], a["y2"]) for a in parsed.of(group, "line")} == {("10", "176")}
    assert _drawn_highest(parsed) == pytest.approx(176 - 166 / 1.08, abs=0.006)
    low = document()
    low["samples"]["score"] = [s / 4 for s in low["samples"]["score"]]  # the same curve, a quarter as high
    assert _drawn_highest(_parse(curve_svg(low))) == pytest.approx(176 - 166 / 1.08, abs=0.006)
    ticks = [a for a in parsed.of("", "line") if a.get("class") == "axis" and a["x1"] == a["x2"]]
    assert len(ticks) == 7 and {(a["y1"], a["y2"]) for a in ticks} == {("176", "180")}
    times = [a for a in parsed.of("", "text") if a.get("text-anchor") == "middle" and "transform" not in a]
    assert [a["x"] for a in times] == [a["x1"] for a in ticks] and {a["y"] for a in times} == {"194"}
    [label] = [a for a in parsed.of("", "text") if "transform" in a]
    assert (label["x"], label["y"], label["transform"]) == ("14", "93", "rotate(-90 14 93)")
    assert '<text x="14" y="93" text-anchor="middle" transform="rotate(-90 14 93)">importance</text>' in curve_svg(doc)


def test_the_timelines_kept_shots_and_edges_span_the_bar():
    parsed = _parse(timeline_svg(document()))
    assert {(r["y"], r["height"]) for r in parsed.of("timeline-kept", "rect")} == {("0", "24")}
    for group in ("edges", "timeline-split"):
        assert {(a["y1"], a["y2"]) for a in parsed.of(group, "line")} == {("0", "24")}


def test_the_time_axis_stops_at_the_end():
    doc = document(part=(0, 737))  # 29.48 s: no label at 0:30, past the end
    texts = re.findall(r'<text x="[\d.]+" y="[\d.]+" text-anchor="middle">([^<]*)</text>', curve_svg(doc))
    assert texts == ["0:00", "0:05", "0:10", "0:15", "0:20", "0:25"]


def _short(duration: float, cut: float) -> dict:
    """A document of a video ``duration`` long: two shots, the first kept, cut at ``cut``."""
    doc = document()
    doc["input"]["duration"] = duration
    doc["sampling"]["range"] = {"start": 0.0, "end": duration, "start_frame": 0, "end_frame": round(duration * FPS)}
    doc["samples"] = {"time": [0.0], "frame": [0], "frame_time": [0.0], "score": [0.5]}
    frame = round(cut * FPS)
    doc["shots"] = [{"index": 0, "start": 0.0, "end": cut, "start_frame": 0, "end_frame": frame, "score": 0.5,
                     "boundary": "start", "split": False, "selected": True},
                    {"index": 1, "start": cut, "end": duration, "start_frame": frame,
                     "end_frame": round(duration * FPS), "score": 0.1, "boundary": "cut", "split": False,
                     "selected": False}]
    return doc


def test_a_video_under_a_second_is_drawn_to_scale():
    doc = _short(0.8, 0.2)
    kept = _parse(timeline_svg(doc)).of("timeline-kept", "rect")
    assert [(r["x"], r["width"]) for r in kept] == [("0", "250")]
    assert [a["x1"] for a in _parse(timeline_svg(doc)).of("edges", "line")] == ["250"]
    curve = _parse(curve_svg(doc))
    assert [(r["x"], r["width"]) for r in curve.of("kept-bands", "rect")] == [("48", "232")]


def test_a_video_of_no_length_is_drawn_at_the_left_edge():
    """A document that says 0 s (a single frame whose duration is not known): everything
    at the start, nothing divided by zero."""
    doc = _short(0.0, 0.0)
    timeline = _parse(timeline_svg(doc))
    assert [(r["x"], r["width"]) for r in timeline.of("timeline-kept", "rect")] == [("0", "0")]
    curve = _parse(curve_svg(doc))
    assert [(r["x"], r["width"]) for r in curve.of("kept-bands", "rect")] == [("48", "0")]


def test_the_time_step_is_the_roundest_that_keeps_twelve_labels_at_most():
    from summarize.outputs.report import _nice_step

    listed = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200]
    nice = listed + [3600 * n for n in range(3, 60)]  # past two hours a step: whole hours
    lengths = [12 * s + d for s in listed for d in (0, 0.5)] + [86400 * 2 + 1, 129600, 129610, 43200 * 5 - 1]
    for d in lengths:
        assert _nice_step(d) == min(s for s in nice if d / s <= 12), d


def test_a_curve_without_samples_draws_its_axes_from_zero_to_one():
    from summarize.outputs.report import _n

    doc = document()
    doc["samples"] = {"time": [], "frame": [], "frame_time": [], "score": []}
    svg = curve_svg(doc)
    assert "<path" not in svg
    values = re.findall(r'<text x="42" y="([\d.]+)" text-anchor="end" dominant-baseline="middle">([\d.]+)</text>', svg)
    assert values == [("176", "0.00"), (_n(176 - 166 / 1.08 / 2), "0.50"), (_n(176 - 166 / 1.08), "1.00")]



class _Stray(HTMLParser):
    """Text in an SVG outside its <text> and <title> elements (which a browser shows as is)."""

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.stray: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        assert self.open.pop() == tag

    def handle_data(self, data):
        if not (self.open and self.open[-1] in ("text", "title")):
            self.stray.append(data)


def test_the_drawings_hold_no_text_but_their_labels():
    doc = document()
    doc["shots"][4]["split"] = True  # two pieces cut to fit the budget: two split edges
    for svg in (curve_svg(doc), timeline_svg(doc), curve_svg(document(part=(137, 613)))):
        parsed = _Stray()
        parsed.feed(svg)
        assert parsed.stray == [] and parsed.open == []
    assert curve_svg(doc).count('class="edge split"') == 2 and timeline_svg(doc).count('class="edge split"') == 2
