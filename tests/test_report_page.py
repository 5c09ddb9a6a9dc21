"""What the report page says and links, and the plot's file, from hand-made documents (fast):
the run's table as a person reads it, the shot cards, the players' relative links, the
batch index, and the plot's PNG (what the figure draws: tests/test_report_drawing.py)."""

from __future__ import annotations

import base64
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from summarize.errors import OutputError
from summarize.outputs import report
from tests.test_report_drawing import document

PAGE = Path("/videos/out/a clip.summary.html")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[tuple[str, str]] = []
        self.tags: list[tuple[str, dict]] = []
        self._cell: list[str] | None = None
        self._row: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr":
            self.rows.append(tuple(self._row))
            self._row = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def all(self, tag: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag]


def page(doc, thumbnails=(), poster=b"", path=PAGE) -> tuple[str, _Page]:
    text = report.report_html(doc, path, thumbnails=list(thumbnails), poster_image=poster)
    parsed = _Page()
    parsed.feed(text)
    return text, parsed


def run_rows(doc) -> dict[str, str]:
    return dict(r for r in page(doc)[1].rows if len(r) == 2)


def test_the_run_table_says_what_the_run_did():
    doc = document()
    doc["run"]["timings"] = {"decode_and_features_wall": 12.34, "scoring": 0.04, "segmentation": 1.25,
                             "selection": 0.3, "writing": 0.5, "total": 14.5}
    doc["run"]["runtime"] = "onnxruntime"
    doc["segmentation"]["n_shots"] = 7  # the pieces; KTS found 6
    assert run_rows(doc) == {
        "Input": "a clip.mp4: 0:30.0, 320x240, 25 fps, no audio",
        "Method": "contrastive (k=0.1); features: efficientnet-lite0 at 2 samples/s",
        "Selection": "total: the shots that hold the most importance; none shorter than 1 s, long shots cut into "
                     "pieces of at most 8 s",
        "Budget": "30.0% asked, 57.2% kept",
        "Shots": "6 found by KTS (3 starting on a picture cut); cut where they matter least: 7 pieces",
        "Kept": "3 shots, 0:17.2 of 0:30.0",
        "Time taken": "decoding and features 12.3 s, scoring under 0.1 s, shots and cut frames 1.2 s, choosing "
                      "shots 0.3 s, writing 0.5 s; 14.5 s in all",
        "Run": "2026-01-02 03:04 UTC on cpu (onnxruntime), summarize 9.9",
    }


def test_the_run_table_of_a_benchmark_summary_of_a_length_in_seconds_with_time_code():
    doc = document()
    doc["input"].update(has_audio=True, avg_fps=30000 / 1001, timecode={"start": "01:00:00;00"})
    doc["method"]["params"] = {"k": None, "variant": "align", "refine": 1}
    doc["selection"].update(rule="benchmark", duration=75.5, shots_split=0)
    doc["segmentation"] = {"n_shots": 4, "boundaries": {"sample": 3}}  # no cut among them
    doc["run"] = {"device": "cuda", "created": "2026-01-02T04:04:05+01:00", "feature_cache": "hit",
                  "timings": {"scoring": 0.2}}
    doc["summary"]["n_shots"] = 1
    rows = run_rows(doc)
    assert rows["Input"] == "a clip.mp4: 0:30.0, 320x240, 29.97 fps, with audio, time code from 01:00:00;00"
    assert rows["Method"].startswith("contrastive (variant=align, refine=1); ")
    assert rows["Selection"] == "benchmark: the published rule of summarize eval (a shot is worth its mean score)"
    assert rows["Budget"] == "30.0% asked (1:15.5), 57.2% kept"
    assert rows["Shots"] == "4 found by KTS"
    assert rows["Kept"] == "1 shot, 0:17.2 of 0:30.0"
    assert rows["Time taken"] == "features from the cache, scoring 0.2 s"
    assert rows["Run"] == "2026-01-02 03:04 UTC on cuda, summarize 9.9"
    doc["run"]["created"] = "not a date"
    assert run_rows(doc)["Run"].startswith("not a date on cuda")
    doc["selection"]["shots_split"] = 2
    assert run_rows(doc)["Shots"] == "4 found by KTS; split to fit the budget: 7 pieces"
    doc["method"]["params"] = {"k": None}
    assert run_rows(doc)["Method"] == "contrastive; features: efficientnet-lite0 at 2 samples/s"


def test_clock_and_seconds_as_people_read_them():
    assert [report._clock(s) for s in (0, 4.48, 59.96, 75.5, 3600, 3725.25)] == [
        "0:00.0", "0:04.5", "1:00.0", "1:15.5", "1:00:00.0", "1:02:05.2"]
    assert report.timings_text({}) == ""
    assert report.timings_text({"timings": {"total": 1.5}}) == "1.5 s in all"  # not "; 1.5 s in all"


def test_the_cards_are_the_shots_with_their_keyframes():
    doc = document()
    thumbnails = [bytes([65 + i]) * 3 for i in range(len(doc["shots"]))]
    text, parsed = page(doc, thumbnails)
    cards = parsed.all("figure")
    assert [int(c["data-shot"]) for c in cards] == list(range(len(doc["shots"])))
    for card, shot in zip(cards, doc["shots"]):
        assert card["class"] == ("shot kept" if shot["selected"] else "shot")
        assert card["data-selected"] == str(shot["selected"]).lower()
        assert (float(card["data-start"]), float(card["data-end"])) == (shot["start"], shot["end"])
        assert (int(card["data-start-frame"]), int(card["data-end-frame"])) == (shot["start_frame"], shot["end_frame"])
        assert card["title"] == f"Play the source from {report._clock(shot['start'])}"
    images = [a for a in parsed.all("img")]
    assert [base64.b64decode(a["src"].removeprefix("data:image/jpeg;base64,")) for a in images] == thumbnails
    assert [a["alt"] for a in images] == [f"shot {k + 1} keyframe" for k in range(len(thumbnails))]
    assert "Shot 2: 0:04.5-0:10.0 <span class=\"muted\">score 0.236</span>" in text
    assert f"<h2>Shots ({len(doc['shots'])}; kept ones framed; click one to play it)</h2>" in text
    # no keyframes (the source is gone): the cards say so
    assert page(doc)[0].count('<div class="noimage">no keyframe</div>') == len(doc["shots"])


def test_the_players_link_the_videos_relative_to_the_page():
    doc = document()
    doc["outputs"]["video"] = "/videos/out/a clip.summary.mp4"
    text, parsed = page(doc, [b"k%d" % i for i in range(len(doc["shots"]))], poster=b"poster")
    videos = parsed.all("video")
    assert [v["id"] for v in videos] == ["source-video", "summary-video"]
    assert [s["src"] for s in parsed.all("source")] == ["../a%20clip.mp4", "a%20clip.summary.mp4"]
    assert videos[0]["poster"] == "data:image/jpeg;base64," + base64.b64encode(b"poster").decode()
    first_kept = next(s["index"] for s in doc["shots"] if s["selected"])
    assert videos[1]["poster"] == "data:image/jpeg;base64," + base64.b64encode(b"k%d" % first_kept).decode()
    assert videos[0]["aria-label"] == "the source, a clip.mp4" and videos[1]["aria-label"] == "the summary"
    assert "<h1>Summary of a clip.mp4</h1>" in text
    assert '<p class="sub">contrastive, 30.0% asked: 3 shots kept, 0:17.2 of 0:30.0</p>' in text
    assert "<title>Summary of a clip.mp4</title>" in text
    doc["outputs"]["video"] = None
    text, parsed = page(doc)
    assert [v["id"] for v in parsed.all("video")] == ["source-video"] and "poster" not in parsed.all("video")[0]
    assert ('<video id="source-video" controls preload="metadata" aria-label="the source, a clip.mp4">'
            '<source src="../a%20clip.mp4"></video>') in text
    assert "None was made for this summary" in text


def test_the_length_panel_knows_the_rule_and_the_json_it_derives_from():
    doc = document()
    text, parsed = page(doc)
    [section] = [a for t, a in parsed.tags if t == "section"]
    assert (section["id"], section["data-rule"], section["data-json-name"]) == ("budget", "total", "a clip.summary.json")
    assert "hidden" in section and 'id="budget-note"' not in text
    doc["outputs"] = {}
    doc["selection"]["rule"] = "benchmark"
    text, parsed = page(doc, path=Path("/x/other.summary.html"))
    [section] = [a for t, a in parsed.tags if t == "section"]
    assert (section["data-rule"], section["data-json-name"]) == ("benchmark", "other.summary.json")
    assert 'id="budget-note"' in text and "summarize a clip.mp4 --selection benchmark --budget X" in text
    note = re.search(r'<p class="note" id="budget-note">(.*?)</p>', text, flags=re.S).group(1)
    assert note == ("Choosing shots again here follows the default rule (<code>--selection total</code>); this summary "
                    "was made with <code>--selection benchmark</code>, whose choice needs what the JSON does not keep "
                    "(every frame's duration, the unrounded scores). The downloads below are the run's own selection; "
                    "for another length run <code>summarize a clip.mp4 --selection benchmark --budget X</code>.")
    del doc["selection"]["rule"]  # a document that does not say: the default rule
    text, parsed = page(doc)
    [section] = [a for t, a in parsed.tags if t == "section"]
    assert section["data-rule"] == "total" and 'id="budget-note"' not in text
    assert '<h2>Try another length</h2>\n<div class="controls">' in text


def test_the_embedded_data_cannot_end_the_script_early():
    doc = document()
    doc["input"]["file_name"] = "a </script><b>.mp4"
    doc["input"]["path_bytes"] = "AAAA"
    text = report.report_html(doc, PAGE, thumbnails=[], poster_image=b"")
    assert text.count("</script>") == 2  # the data's and the code's, none in between
    data = json.loads(re.search(r'id="summary-data">(.*?)</script>', text, flags=re.S).group(1))
    assert data["input"]["file_name"] == "a </script><b>.mp4" and "path_bytes" not in data["input"]
    assert "\\u003c/script>" in report.page_data(doc)
    # compact and ASCII, whatever the names hold; the summary video's encoding stays, its path goes
    doc["input"]["file_name"] = "café ☃.mp4"
    doc["outputs"] = {"json": "/x/a.summary.json", "video": "/x/a.summary.mp4",
                      "video_encoding": {"codec": "h264", "crf": 20}}
    embedded = report.page_data(doc)
    assert embedded.isascii() and embedded == json.dumps(json.loads(embedded), separators=(",", ":")).replace(
        "<", "\\u003c")
    assert json.loads(embedded)["outputs"] == {"video_encoding": {"codec": "h264", "crf": 20}}
    assert json.loads(embedded)["input"]["file_name"] == "café ☃.mp4"
    del doc["outputs"]
    assert json.loads(report.page_data(doc))["outputs"] == {"video_encoding": None}


def test_the_best_shot_is_the_highest_kept_or_the_highest_of_all():
    doc = document()
    for shot, score in zip(doc["shots"], [0.9, 0.2, 0.8, 0.5, 0.1, 0.3, 0.4]):
        shot["score"] = score  # kept: shots 1, 3, 5 and 6
    assert report.best_shot(doc) == 3
    for shot in doc["shots"]:
        shot["selected"] = False
    assert report.best_shot(doc) == 0


def test_the_batch_index_lists_every_video_with_its_links():
    rows = [{"input": "/v/a.mp4", "status": "ok", "reason": None, "duration": 75.5, "kept_seconds": 12.0,
             "thumbnail": b"J", "report": "a b.summary.html", "video": "a.summary.mp4", "json": "a.summary.json"},
            {"input": "b.mp4", "status": "failed", "reason": "not a <video> file", "duration": None,
             "kept_seconds": None},
            {"input": "c.mp4", "status": "skipped", "duration": 0.0, "kept_seconds": 0.0, "json": "c.summary.json"}]
    text = report.index_html(rows, "My <videos>")
    body = text[text.index("<main>\n") + 7:text.index("\n</main>")]
    assert body.splitlines()[:2] == [
        "<h1>My &lt;videos&gt;</h1>",
        '<table class="index" id="videos"><thead><tr><th></th><th>Video</th><th>Status</th><th>Length</th>'
        "<th>Kept</th><th>Outputs</th></tr></thead><tbody>"]
    assert body.splitlines()[-1] == "</tbody></table>" and len(body.splitlines()) == 2 + len(rows) + 1
    assert "<title>My &lt;videos&gt;</title>" in text and "<h1>My &lt;videos&gt;</h1>" in text
    found = re.findall(r'<tr data-status="(\w+)"><td>(.*?)</td><td>(.*?)</td><td class="(\w+)">(\w+)</td>'
                       r"<td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", text)
    assert found == [
        ("ok", '<img alt="" src="data:image/jpeg;base64,Sg==">', "/v/a.mp4", "ok", "ok", "1:15.5", "0:12.0",
         '<a href="a%20b.summary.html">report</a> &middot; <a href="a.summary.mp4">summary</a> &middot; '
         '<a href="a.summary.json">JSON</a>'),
        ("failed", "", 'b.mp4<div class="muted">not a &lt;video&gt; file</div>', "failed", "failed", "", "", ""),
        ("skipped", "", "c.mp4", "skipped", "skipped", "0:00.0", "0:00.0", '<a href="c.summary.json">JSON</a>')]


def test_the_plot_is_a_png_of_the_figure_with_what_it_says(tmp_path):
    from PIL import Image

    doc = document()
    data = report.plot_png(doc)
    assert Image.open(io.BytesIO(data)).size == (1000, 280)
    path = report.write_plot(doc, tmp_path / "a.summary.png")
    assert path == tmp_path / "a.summary.png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = report.score_figure(doc).axes[0]
    assert ax.get_title(loc="left") == "a clip.mp4: contrastive, budget 30%"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time (s)", "importance")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["kept shot", "shot (KTS; lines mark cuts)"]
    top = max(doc["samples"]["score"])
    assert ax.get_ylim() == pytest.approx((0, top * 1.08))
    flat = document()
    flat["samples"]["score"] = [0.0] * len(flat["samples"]["score"])
    assert report.score_figure(flat).axes[0].get_ylim() == (0, 1.0)


def test_a_page_or_plot_that_cannot_be_written_names_it(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError) as failed:
        report.write_plot(document(), tmp_path / "file" / "a.png")
    assert str(failed.value).startswith(f"cannot write {tmp_path / 'file' / 'a.png'}: ")
    written = report.write_report(document(), tmp_path / "a.summary.html", thumbnails=[])
    assert written == [] and (tmp_path / "a.summary.html").read_text().startswith("<!DOCTYPE html>")
    assert report.report_path(tmp_path / "a.summary.json") == tmp_path / "a.summary.html"
    assert report.plot_path(tmp_path / "a.summary.json") == tmp_path / "a.summary.png"


@pytest.fixture(scope="module")
def four_scene_video(tmp_path_factory):
    """Four distinct one-second scenes at 25 fps, 320x240 (quick to make)."""
    from tests.synthetic import write_video

    return write_video(tmp_path_factory.mktemp("scenes") / "four.mp4", [(0, 1.0), (1, 1.0), (2, 1.0), (3, 1.0)],
                       width=320, height=240, fps=25)


def _scenes_document(video) -> dict:
    """A document of the four-scene video: a shot per scene, the third kept."""
    doc = document()
    doc["input"].update(path=str(video.path), file_name=video.path.name, duration=4.0, n_frames=100)
    doc["samples"] = {k: v[:8] for k, v in doc["samples"].items()}
    doc["shots"] = [{"index": i, "start": 1.0 * i, "end": 1.0 * (i + 1), "start_frame": 25 * i,
                     "end_frame": 25 * (i + 1), "score": 0.1 * (i + 1), "boundary": "cut" if i else "start",
                     "split": False, "selected": i == 2} for i in range(4)]
    return doc


def test_keyframes_and_the_poster_are_the_shots_middle_frames(four_scene_video, tmp_path):
    from PIL import Image

    from summarize.outputs.stills import jpeg, middle_frames

    doc = _scenes_document(four_scene_video)
    bounds = np.array([(s["start_frame"], s["end_frame"]) for s in doc["shots"]])
    expected = dict(middle_frames(four_scene_video.path, bounds, 144))
    images = report.keyframes(doc)
    assert images == [jpeg(expected[k], 82) for k in range(4)]
    assert [Image.open(io.BytesIO(i)).size for i in images] == [(192, 144)] * 4
    assert len(set(images)) == 4  # four scenes, four pictures
    [(_, frame)] = middle_frames(four_scene_video.path, bounds[2:3], 360)
    assert report.poster(doc) == jpeg(frame, 82)  # the kept shot's, larger
    assert Image.open(io.BytesIO(report.poster(doc))).size == (480, 360)
    # write_report reads them when not given, and returns them (for a batch's index page)
    written = report.write_report(doc, tmp_path / "s.summary.html")
    assert written == images
    text = (tmp_path / "s.summary.html").read_text()
    assert text.count("data:image/jpeg;base64,") == 4 + 1  # the cards and the poster
    assert 'poster="data:image/jpeg;base64,' + base64.b64encode(report.poster(doc)).decode() in text


def test_times_and_links_in_edge_cases(monkeypatch):
    import os
    import time

    assert report.timings_text({"timings": {"scoring": 0.05, "selection": 0.0499}}) == (
        "scoring 0.1 s, choosing shots under 0.1 s")
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert report._created("2026-01-02T04:04:05+01:00") == "2026-01-02 03:04 UTC"  # UTC wherever it is read
    finally:
        monkeypatch.undo()
        time.tzset()
    # a page on another drive than its video (Windows): the video's file URL
    monkeypatch.setattr(os.path, "relpath", lambda *a: (_ for _ in ()).throw(ValueError("other drive")))
    assert report._rel(Path("/videos/a b.mp4"), Path("/pages")) == "file:///videos/a%20b.mp4"


def test_the_page_reads_in_this_order_with_these_headings():
    doc = document()
    doc["outputs"]["video"] = "/videos/out/a clip.summary.mp4"
    text, parsed = page(doc)
    headings = re.findall(r"<(h[12])>(.*?)</h[12]>", text)
    assert headings == [("h1", "Summary of a clip.mp4"), ("h2", "Source video"), ("h2", "Summary video"),
                        ("h2", "Importance over time"), ("h2", "Try another length"), ("h2", "The run"),
                        ("h2", "Shots (7; kept ones framed; click one to play it)")]
    order = [m.group(1) for m in re.finditer(r'<(?:svg|table|div|section|video) (?:class="[^"]*" )?id="([^"]+)"', text)]
    assert order == ["source-video", "timeline", "summary-video", "curve", "budget", "numbers", "contact-sheet"]
    assert '<div class="top"><div class="player">' in text and text.count('<div class="player">') == 2
    assert '<p class="hint muted">Click a shot, the curve or this bar to play the source from there.</p></div>' in text
    assert report._LEGEND in text
    assert text.index("</main>") > text.index('<script type="application/json" id="summary-data">') > text.index(
        'id="contact-sheet"')
    assert text.rstrip().endswith("</script>\n</main></body>\n</html>")
    assert f"<script>\n{report._script()}</script>" in text and "window.summarizeReport = api;" in report._script()


def test_the_plots_look_translucent_bands_thin_cut_lines_a_blue_step_curve_and_its_legend():
    """The plot's styling, as its legend and the page's colours promise: translucent bands
    without outlines (the curve shows through), thin grey cut lines, the curve drawn over them
    in the page's blue, a frameless legend of two entries above the axes, the title on the left
    and a layout that keeps the labels inside the picture."""
    from matplotlib.colors import to_rgba
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    doc = document()
    fig = report.score_figure(doc)
    ax = fig.axes[0]
    assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
    kept = to_rgba(report.KEPT_COLOR, 0.28)
    grey = to_rgba("#868e96", 0.12)
    assert [p.get_facecolor() for p in ax.patches] == [
        kept if s["selected"] else grey for s in doc["shots"] if s["selected"] or s["index"] % 2]
    assert all(p.get_linewidth() == 0 for p in ax.patches)
    cuts = [line for line in ax.get_lines() if len(line.get_xdata()) == 2]
    assert {(line.get_color(), line.get_linewidth(), line.get_alpha()) for line in cuts} == {("#495057", 0.6, 0.6)}
    [curve] = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    assert (curve.get_color(), curve.get_linewidth(), curve.get_drawstyle()) == ("#1864ab", 1.4, "steps-post")
    legend = ax.get_legend()
    assert [(h.get_facecolor(), h.get_label()) for h in legend.legend_handles] == [
        (to_rgba(report.KEPT_COLOR, 0.4), "kept shot"), (to_rgba("#868e96", 0.25), "shot (KTS; lines mark cuts)")]
    assert legend._loc == 4 and legend._ncols == 2 and not legend.get_frame_on()  # 4: lower right
    assert legend.get_bbox_to_anchor().transformed(ax.transAxes.inverted()).get_points().tolist() == [[1, 1], [1, 1]]
    assert {t.get_fontsize() for t in legend.get_texts()} == {8}
    assert ax.title.get_text() == "" and ax._left_title.get_fontsize() == 10


# ---- what the page and the plot say, word for word, and their pictures without decoding --------


def _fake_middle_frames(calls: list):
    """A stand-in for stills.middle_frames (no decoder: mutmut's forked runs hang in one): for
    every [start, end) of ``bounds``, a 4:3 picture, ``short_side`` high (240 when None, the
    source's size), whose grey level is its middle frame's number (modulo 256); yielded in reverse, as a
    decoder may give them in another order than the shots'."""

    def middle_frames(source, bounds, short_side=None):
        bounds = np.asarray(bounds)
        calls.append((source, bounds.dtype, bounds.tolist(), short_side))
        high = short_side or 240
        for shot in reversed(range(len(bounds))):
            middle = int(bounds[shot, 0] + bounds[shot, 1] - 1) // 2
            yield shot, _picture(middle, high)

    return middle_frames


def _picture(middle: int, high: int) -> np.ndarray:
    return np.full((high, high * 4 // 3, 3), middle % 256, dtype=np.uint8)


def test_keyframes_and_the_poster_are_jpegs_of_the_middle_frames_in_shot_order(monkeypatch, tmp_path):
    from summarize.outputs import stills

    doc = document()
    doc["input"]["path"] = "/videos/a clip.mp4"
    calls: list = []
    monkeypatch.setattr(stills, "middle_frames", _fake_middle_frames(calls))
    middles = [(s["start_frame"] + s["end_frame"] - 1) // 2 for s in doc["shots"]]
    bounds = [[s["start_frame"], s["end_frame"]] for s in doc["shots"]]
    images = report.keyframes(doc)
    assert images == [stills.jpeg(_picture(m, 144), 82) for m in middles]  # shot order, quality 82, 144 high
    assert calls == [(Path("/videos/a clip.mp4"), np.int64, bounds, 144)]
    assert report.keyframes(doc, short_side=72) == [stills.jpeg(_picture(m, 72), 82) for m in middles]
    # the poster: the best kept shot's middle frame, 360 high
    calls.clear()
    best = report.best_shot(doc)
    assert report.poster(doc) == stills.jpeg(_picture(middles[best], 360), 82)
    assert calls == [(Path("/videos/a clip.mp4"), np.int64, [bounds[best]], 360)]
    # a shot the decoder gives no picture for has none
    monkeypatch.setattr(stills, "middle_frames", lambda *a: iter([(1, _picture(9, 144))]))
    assert report.keyframes(doc) == [b"", stills.jpeg(_picture(9, 144), 82)] + [b""] * (len(doc["shots"]) - 2)


def test_the_page_reads_the_keyframes_and_the_poster_when_not_given(monkeypatch, tmp_path):
    from summarize.outputs import stills

    doc = document()
    monkeypatch.setattr(stills, "middle_frames", _fake_middle_frames([]))
    images = report.keyframes(doc)
    poster = report.poster(doc)
    uri = "data:image/jpeg;base64,{}".format
    for text in (report.report_html(doc, PAGE), report.report_html(doc, PAGE, thumbnails=images)):
        parsed = _Page()
        parsed.feed(text)
        assert [a["src"] for a in parsed.all("img")] == [uri(base64.b64encode(i).decode()) for i in images]
        assert parsed.all("video")[0]["poster"] == uri(base64.b64encode(poster).decode())
    # no keyframes (the source is gone): no poster either, and nothing is read
    monkeypatch.setattr(stills, "middle_frames", None)
    _, parsed = page(doc, thumbnails=[], poster=None)
    assert "poster" not in parsed.all("video")[0] and parsed.all("img") == []
    # write_report reads them when not given, and returns them (for a batch's index page)
    monkeypatch.setattr(stills, "middle_frames", _fake_middle_frames([]))
    assert report.write_report(doc, tmp_path / "a.summary.html") == images
    assert (tmp_path / "a.summary.html").read_text() == report.report_html(doc, tmp_path / "a.summary.html")


class _Text(HTMLParser):
    """What a reader sees of a page: its text pieces (space runs as one space), without the
    script and the style; and the tags it holds."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.tags: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(" ".join(data.split()))


def _seen(text: str) -> _Text:
    parsed = _Text()
    parsed.feed(text)
    parsed.close()
    return parsed


CARDS = [("Shot 1: 0:00.0-0:04.5", "score 0.506"), ("Shot 2: 0:04.5-0:10.0", "score 0.236"),
         ("Shot 3: 0:10.0-0:13.2", "score 0.015"), ("Shot 4: 0:13.2-0:16.0", "score 0.933"),
         ("Shot 5: 0:16.0-0:21.2", "score 0.086"), ("Shot 6: 0:21.2-0:25.6", "score 0.845"),
         ("Shot 7: 0:25.6-0:30.0", "score 0.368")]


def test_the_page_says_this_and_nothing_else():
    """Every piece of text a reader sees, in order: a stray word or character between the
    elements (left over from an edit of the markup) fails here."""
    doc = document()
    doc["run"]["timings"] = {"decode_and_features_wall": 12.34, "scoring": 0.04, "segmentation": 1.25,
                             "selection": 0.3, "writing": 0.5, "total": 14.5}
    thumbnails = [b"jpeg"] * 3  # the last four shots have no keyframe
    text, _ = page(doc, thumbnails)
    seen = _seen(text)
    head = ["Summary of a clip.mp4", "Summary of a clip.mp4", "contrastive, 30.0% asked: 3 shots kept, 0:17.2 of 0:30.0",
            "Source video", "Click to play the source from there",
            "Click a shot, the curve or this bar to play the source from there."]
    no_video = ["Summary video", "None was made for this summary (--no-video, or a length chosen again by summarize "
                "export): Preview, below, plays the source through the kept shots."]
    rest = ["Importance over time", "0:00", "0:05", "0:10", "0:15", "0:20", "0:25", "0:30", "0.00", "0.47", "0.95",
            "importance", "Click to play the source from there",
            "kept shot", "picture cut", "shot boundary between samples (no cut found)", "long shot cut to fit the budget",
            "Try another length", "fraction of the video", "seconds", "The run's length", "\u25b6 Preview",
            "plays the source through the kept shots", "Download:", "EDL", "\u00b7", "OpenTimelineIO", "\u00b7",
            "chapters (WebVTT)", "\u00b7", "chapters (FFmetadata)", "\u00b7", "summary JSON",
            "The same files from the command line, in the JSON's folder:",
            "Trying other lengths, playing shots from here and downloading edits need JavaScript.",
            "The run",
            "Input", "a clip.mp4: 0:30.0, 320x240, 25 fps, no audio",
            "Method", "contrastive (k=0.1); features: efficientnet-lite0 at 2 samples/s",
            "Selection", "total: the shots that hold the most importance; none shorter than 1 s, long shots cut into "
            "pieces of at most 8 s",
            "Budget", "30.0% asked, 57.2% kept",
            "Shots", "6 found by KTS (3 starting on a picture cut); cut where they matter least: 7 pieces",
            "Kept", "3 shots, 0:17.2 of 0:30.0",
            "Time taken", "decoding and features 12.3 s, scoring under 0.1 s, shots and cut frames 1.2 s, choosing "
            "shots 0.3 s, writing 0.5 s; 14.5 s in all",
            "Run", "2026-01-02 03:04 UTC on cpu, summarize 9.9",
            "Shots (7; kept ones framed; click one to play it)"]
    cards = [t for k, (title, score) in enumerate(CARDS) for t in ([] if k < 3 else ["no keyframe"])
             + ["kept", title, score]]  # the badge is in every card, shown on the kept ones by the style
    assert seen.texts == head + no_video + rest + cards
    doc["outputs"]["video"] = "/videos/out/a clip.summary.mp4"
    assert _seen(page(doc, thumbnails)[0]).texts == head + ["Summary video"] + rest + cards
    # the elements it is made of (HTML's tag names are case-insensitive: the parser lowers them)
    assert set(seen.tags) == {
        "html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "p", "div", "video", "source", "svg",
        "g", "rect", "line", "path", "text", "span", "section", "label", "input", "button", "ol", "a", "pre",
        "noscript", "table", "tr", "th", "td", "figure", "img", "figcaption", "script"}
    # the page is its lines joined, nothing between them
    body = text[text.index("<main>\n") + 7:text.index("\n</main>")]
    assert body.split("\n")[:3] == ["<h1>Summary of a clip.mp4</h1>",
                                    '<p class="sub">contrastive, 30.0% asked: 3 shots kept, 0:17.2 of 0:30.0</p>',
                                    '<div class="top"><div class="player">']


def test_the_length_panel_names_the_summarys_json_whatever_the_pages_name():
    doc = document()  # outputs.json: /videos/out/a clip.summary.json
    _, parsed = page(doc, path=Path("/videos/out/renamed.html"))
    [section] = [a for t, a in parsed.tags if t == "section"]
    assert section["data-json-name"] == "a clip.summary.json"
    doc["outputs"]["json"] = None  # none written: the name beside the page
    _, parsed = page(doc, path=Path("/videos/out/renamed.html"))
    assert [a for t, a in parsed.tags if t == "section"][0]["data-json-name"] == "renamed.json"


def test_a_summary_that_kept_no_shot_has_a_page():
    doc = document()
    for shot in doc["shots"]:
        shot["selected"] = False
    doc["outputs"]["video"] = "/videos/out/a clip.summary.mp4"
    text, parsed = page(doc, [b"k"] * len(doc["shots"]))
    assert '<p class="sub">contrastive, 30.0% asked: 0 shots kept, 0:17.2 of 0:30.0</p>' in text
    assert "poster" not in parsed.all("video")[1] and parsed.all("figure")[0]["class"] == "shot"


def test_a_page_that_cannot_be_written_says_why_in_words(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError) as failed:
        report.write_report(document(), tmp_path / "file" / "a.summary.html", thumbnails=[])
    assert str(failed.value) == f"cannot write {tmp_path / 'file' / 'a.summary.html'}: Not a directory"


def test_without_matplotlib_the_plot_says_what_to_install(monkeypatch):
    from summarize.errors import UsageError

    def missing(name):
        raise ImportError(name)

    monkeypatch.setattr(report, "import_native", missing)
    with pytest.raises(UsageError) as failed:
        report.score_figure(document())
    assert str(failed.value) == "--plot needs matplotlib: pip install 'summarize[report]' (or: pip install matplotlib)"


def test_the_plot_is_the_same_whatever_matplotlibrc_says():
    """A user's matplotlibrc (another resolution, font size or file format) changes nothing:
    the PNG is 1000x280, the title 10 points and the legend 8, a PNG."""
    import matplotlib
    from PIL import Image

    doc = document()
    with matplotlib.rc_context({"figure.dpi": 50, "savefig.format": "svg", "font.size": 20,
                                "axes.titlesize": 20}):
        data = report.plot_png(doc)
        ax = report.score_figure(doc).axes[0]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and Image.open(io.BytesIO(data)).size == (1000, 280)
    assert ax._left_title.get_fontsize() == 10 and {t.get_fontsize() for t in ax.get_legend().get_texts()} == {8}


def test_the_plots_grey_bands_every_other_shot_not_kept_translucent_without_outlines():
    from matplotlib.colors import to_rgba

    doc = document()
    doc["shots"][1]["selected"] = doc["shots"][3]["selected"] = False  # odd shots not kept: grey
    doc["selection"]["budget"] = 0.75
    ax = report.score_figure(doc).axes[0]
    grey = [p for p in ax.patches if p.get_facecolor() == to_rgba("#868e96", 0.12)]
    assert len(grey) == 2 and len(ax.patches) == 2 + sum(s["selected"] for s in doc["shots"])
    assert all(p.get_linewidth() == 0 for p in ax.patches)
    assert ax.get_title(loc="left") == "a clip.mp4: contrastive, budget 75%"


def test_the_plot_is_built_from_the_documents_times_and_scores():
    """The curve's data are the samples' times and scores, and the end of the part summarized
    with the last score again (the last step drawn to there)."""
    for part in (None, (137, 613)):
        doc = document(part=part)
        ax = report.score_figure(doc).axes[0]
        [curve] = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
        end = report.span(doc)[1]
        assert list(curve.get_xdata()) == doc["samples"]["time"] + [end]
        assert list(curve.get_ydata()) == doc["samples"]["score"] + doc["samples"]["score"][-1:]


def test_frame_rates_as_people_write_them():
    assert [report.fps_text(f) for f in (24000 / 1001, 23.976, 23.975, 30000 / 1001, 29.969, 60000 / 1001,
                                         25.0, 12.5, 24.0, 30.0, 100.0, 29.95)] == [
        "23.976", "23.976", "23.976", "29.97", "29.97", "59.94", "25", "12.5", "24", "30", "100", "29.95"]
