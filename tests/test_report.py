"""The report page, the plot and the exports for editors, on a generated video with known shots."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import opentimelineio as otio
import pytest

from summarize._cli import main
from summarize.outputs.exports import edit_rate, kept_ranges, parse_formats
from summarize.outputs.exports.chapters import ffmetadata
from summarize.outputs.exports.edl import text as edl_text
from summarize.errors import UsageError
from tests.synthetic import write_video

FPS = 25
# Five distinct scenes; a budget of 0.4 holds two whole shots, so nothing is split.
SCENES = [(0, 4.0), (1, 4.0), (2, 4.0), (3, 4.0), (4, 4.0)]


class _Page(HTMLParser):
    """The report's figures (shots), images, videos and their sources, SVG graphics."""

    def __init__(self):
        super().__init__()
        self.shots: list[dict] = []
        self.images: list[str] = []
        self.videos: list[dict] = []
        self.sources: list[str] = []
        self.svgs: list[dict] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.ids.add(attrs.get("id"))
        if tag == "figure":
            self.shots.append(attrs)
        elif tag == "img":
            self.images.append(attrs["src"])
        elif tag == "video":
            self.videos.append(attrs)
        elif tag == "source":
            self.sources.append(attrs["src"])
        elif tag == "svg":
            self.svgs.append(attrs)


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """``summarize VIDEO --report --plot --export ...`` on five known scenes."""
    folder = tmp_path_factory.mktemp("report")
    video = write_video(folder / "scenes.mp4", SCENES, fps=FPS, width=320, height=240)
    out = folder / "out"
    with pytest.raises(SystemExit) as exit_info:
        main([str(video.path), "-o", str(out), "--budget", "0.4", "--no-cache", "-q", "--report", "--plot",
              "--export", "edl,otio,fcpxml,chapters"])
    assert exit_info.value.code == 0
    document = json.loads((out / "scenes.summary.json").read_text())
    return video, out, document


def _expected_runs(document):
    """Kept shots merged where they touch, computed here independently of the exporter."""
    runs = []
    for shot in document["shots"]:
        if not shot["selected"]:
            continue
        if runs and runs[-1][1] == shot["start_frame"]:
            runs[-1][1] = shot["end_frame"]
        else:
            runs.append([shot["start_frame"], shot["end_frame"]])
    return [tuple(r) for r in runs]


@pytest.mark.slow
def test_shots_are_the_known_scenes(reported):
    video, _, document = reported
    starts = [s["start_frame"] for s in document["shots"]]
    assert starts == [0] + video.cut_frames  # KTS found the generated cuts, to the frame
    selected = [s["selected"] for s in document["shots"]]
    assert 0 < sum(selected) < len(selected)


@pytest.mark.slow
def test_report_holds_one_thumbnail_per_shot_and_marks_the_kept_ones(reported):
    video, out, document = reported
    page = _Page()
    page.feed((out / "scenes.summary.html").read_text())
    assert [int(s["data-shot"]) for s in page.shots] == [s["index"] for s in document["shots"]]
    marked = [s["data-selected"] == "true" for s in page.shots]
    assert marked == [s["selected"] for s in document["shots"]]
    assert [("kept" in s["class"].split()) for s in page.shots] == marked
    # One JPEG keyframe per shot, embedded, and a poster on each player: the page needs
    # nothing else but the videos, linked by their relative names.
    assert len(page.images) == len(document["shots"])
    assert all(src.startswith("data:image/jpeg;base64,") and len(src) > 1000 for src in page.images)
    assert page.sources == ["../scenes.mp4", "scenes.summary.mp4"]
    assert [v["id"] for v in page.videos] == ["source-video", "summary-video"]
    assert all(v["poster"].startswith("data:image/jpeg;base64,") for v in page.videos)
    # The curve and the timeline are drawn in the page (SVG): they read without JavaScript.
    assert [s["id"] for s in page.svgs] == ["timeline", "curve"]
    text = (out / "scenes.summary.html").read_text()
    assert text.count('<rect x=') > len(document["shots"])  # the shots' bands and the kept ones
    assert "http://" not in text and "https://" not in text
    assert str(out) not in text and str(video.path.parent) not in text  # no absolute path: pages are shared
    assert (out / "scenes.summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_edl_and_otio_read_back_to_the_frame(reported):
    _, out, document = reported
    expected = _expected_runs(document)
    assert expected and kept_ranges(document)[0].start_frame == expected[0][0]

    def frames(timeline):
        clips = timeline.video_tracks()[0].find_clips()
        return [(c.source_range.start_time.to_frames(), c.source_range.end_time_exclusive().to_frames())
                for c in clips]

    edl = otio.adapters.read_from_file(str(out / "scenes.summary.edl"), "cmx_3600", rate=FPS)
    assert frames(edl) == expected
    timeline = otio.adapters.read_from_file(str(out / "scenes.summary.otio"))
    assert frames(timeline) == expected
    assert timeline.video_tracks()[0].find_clips()[0].source_range.start_time.rate == FPS
    reference = timeline.video_tracks()[0].find_clips()[0].media_reference
    assert reference.target_url.endswith("/scenes.mp4")
    assert len(timeline.audio_tracks()) == 1 and frames(timeline) == expected
    fcp = otio.adapters.read_from_file(str(out / "scenes.summary.fcp.xml"), "fcp_xml")
    assert frames(fcp) == expected


@pytest.mark.slow
def test_chapters_match_the_kept_shots(reported):
    _, out, document = reported
    shots = {s["start_frame"]: s for s in document["shots"]}
    ends = {s["end_frame"]: s for s in document["shots"]}
    expected = [(round(shots[a]["start"] * 1000), round(ends[b]["end"] * 1000)) for a, b in _expected_runs(document)]

    def ms(stamp):
        h, m, s = stamp.split(":")
        return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)

    vtt = (out / "scenes.summary.chapters.vtt").read_text()
    assert vtt.startswith("WEBVTT\n")
    cues = re.findall(r"^(\S+) --> (\S+)$", vtt, flags=re.M)
    assert [(ms(a), ms(b)) for a, b in cues] == expected
    meta = (out / "scenes.summary.ffmetadata").read_text()
    assert meta.startswith(";FFMETADATA1\n")
    starts = [round(int(v) / 1000) for v in re.findall(r"^START=(\d+)$", meta, flags=re.M)]
    stops = [round(int(v) / 1000) for v in re.findall(r"^END=(\d+)$", meta, flags=re.M)]
    assert "TIMEBASE=1/1000000" in meta and list(zip(starts, stops)) == expected
    # Each kept range starts on a scene cut (multiples of 4 s here).
    assert all(a % 4000 == 0 for a, _ in expected)


def _document(avg_fps, shots, has_audio=False):
    return {"input": {"path": "/videos/a b.mov", "file_name": "a b.mov", "n_frames": shots[-1][1],
                      "duration": shots[-1][1] / avg_fps, "avg_fps": avg_fps, "has_audio": has_audio},
            "method": {"name": "contrastive"}, "selection": {"budget": 0.1},
            "shots": [{"index": i, "start_frame": a, "end_frame": b, "start": a / avg_fps, "end": b / avg_fps,
                       "score": 0.1 * (i + 1), "selected": sel} for i, (a, b, sel) in enumerate(shots)]}


def test_touching_kept_shots_are_one_event_and_ntsc_time_codes_drop_frames():
    # 29.97 fps, an hour in: drop-frame time code (';') and the frames exactly as given.
    document = _document(29.97003, [(0, 100, False), (100, 107892, True), (107892, 108000, True),
                                    (108000, 120000, False), (120000, 120300, True)])
    runs = kept_ranges(document)
    assert [(r.start_frame, r.end_frame, r.shots) for r in runs] == [(100, 108000, (1, 2)), (120000, 120300, (4,))]
    edl = edl_text(document)
    assert "00:00:03;10 01:00:03;18" in edl  # 100 and 108000 frames at 30000/1001, drop-frame
    timeline = otio.adapters.read_from_string(edl, "cmx_3600", rate=30000 / 1001)
    assert [(c.source_range.start_time.to_frames(), c.source_range.duration.to_frames())
            for c in timeline.find_clips()] == [(100, 107900), (120000, 300)]
    assert ffmetadata(document).count("[CHAPTER]") == 2


def test_time_code_rates_and_format_names():
    assert edit_rate(29.97).fps == pytest.approx(30000 / 1001)
    assert edit_rate(25.0).fps == 25 and edit_rate(24.0).fps == 24 and edit_rate(59.94006).fps == pytest.approx(60000 / 1001)
    # No time code runs at 12.5 fps: edited at 25, two time-code frames a source frame.
    assert (edit_rate(12.5).fps, edit_rate(12.5).per_frame) == (25, 2)
    assert parse_formats("edl, OTIO,chapters,edl") == ["edl", "otio", "chapters"]
    with pytest.raises(UsageError, match="unknown --export format 'mp3'"):
        parse_formats("edl,mp3")


def test_unknown_export_format_is_a_usage_error_before_any_work(tmp_path, capsys):
    video = tmp_path / "missing-is-not-checked-first.mp4"
    with pytest.raises(SystemExit) as exit_info:
        main([str(video), "--export", "mp3"])
    assert exit_info.value.code == 2
    assert "unknown --export format 'mp3'" in capsys.readouterr().err


@pytest.mark.slow
def test_existing_report_is_kept_without_overwrite(reported, capsys):
    video, out, _ = reported
    before = (out / "scenes.summary.html").read_bytes()
    with pytest.raises(SystemExit) as exit_info:
        main([str(video.path), "-o", str(out), "--budget", "0.4", "-q", "--report"])
    assert exit_info.value.code == 1
    assert "scenes.summary" in capsys.readouterr().err
    assert (out / "scenes.summary.html").read_bytes() == before


@pytest.mark.slow
def test_batch_report_writes_an_index_page(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    write_video(folder / "a.mp4", SCENES[:3], fps=FPS)
    (folder / "b.mp4").write_text("not a video")
    with pytest.raises(SystemExit) as exit_info:
        main(["batch", str(folder), "-o", str(tmp_path / "out"), "--no-video", "--no-cache", "-q", "--report",
              "--export", "chapters"])
    assert exit_info.value.code == 1  # b.mp4 failed
    out = tmp_path / "out"
    assert (out / "a.summary.html").is_file() and (out / "a.summary.chapters.vtt").is_file()
    index = (out / "index.html").read_text()
    rows = re.findall(r'<tr data-status="(\w+)">(.*?)</tr>', index, flags=re.S)
    assert [status for status, _ in rows] == ["ok", "failed"]
    assert 'href="a.summary.html"' in rows[0][1] and "data:image/jpeg;base64," in rows[0][1]
    assert "not a video file" in rows[1][1] and "<img" not in rows[1][1]


CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    """Debian's Chromium (``apt-get install chromium``; `.ci/run` installs it). Missing, the
    test fails rather than skips (no skip may hide a failure: see tests/conftest.py)."""
    import os
    import shutil

    path = os.environ.get("SUMMARIZE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("no Chromium for the browser test: apt-get install chromium (or set SUMMARIZE_CHROMIUM)")
    return path


_CHECK_PAGE = """async () => {
    const images = [...document.images];
    const decoded = await Promise.all(images.map(i => i.decode().then(() => true, () => false)));
    const video = document.getElementById("summary-video");
    if (video && video.readyState < 1) {
        await new Promise(done => {
            video.addEventListener("loadedmetadata", done); video.addEventListener("error", done);
            setTimeout(done, 15000);
        });
    }
    return {
        images: images.map((img, k) => ({decoded: decoded[k], width: img.naturalWidth, alt: img.alt})),
        curve: document.getElementById("curve").getBoundingClientRect().width,
        video: video && {ready: video.readyState, duration: video.duration, error: video.error && video.error.code,
                         src: video.currentSrc, canPlay: video.canPlayType('video/mp4; codecs="avc1.64001f"')},
        kept: document.querySelectorAll("figure.shot.kept").length,
        shots: document.querySelectorAll("figure.shot").length,
    };
}"""


@pytest.mark.slow
def test_report_in_a_real_browser(reported, tmp_path_factory, capsys):
    """Chromium loads the page from file://: no console errors, every image decodes, the video plays."""
    from playwright.sync_api import sync_playwright

    chromium = _chromium()
    _, out, document = reported
    page_path = out / "scenes.summary.html"
    screenshot = tmp_path_factory.getbasetemp() / "report-screenshot.png"
    problems = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            # The media loader aborts its request once it has what preload="metadata" asks for.
            page.on("requestfailed", lambda r: None if r.resource_type == "media" and r.failure == "net::ERR_ABORTED"
                    else problems.append(f"failed request: {r.url} ({r.failure})"))
            page.goto(page_path.as_uri(), wait_until="load")
            result = page.evaluate(_CHECK_PAGE)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert problems == []
    images = result["images"]
    assert len(images) == len(document["shots"])
    assert all(img["decoded"] and img["width"] > 0 for img in images), images
    assert result["curve"] >= 800
    assert result["shots"] == len(document["shots"])
    assert result["kept"] == sum(s["selected"] for s in document["shots"])
    video = result["video"]
    assert video["canPlay"] in ("probably", "maybe") and video["error"] is None
    assert video["src"] == (out / "scenes.summary.mp4").as_uri()
    assert video["ready"] >= 1 and video["duration"] == pytest.approx(document["summary"]["duration"], abs=0.1)
    assert screenshot.stat().st_size > 10_000
    with capsys.disabled():
        print(f"\nreport screenshot: {screenshot}")


def test_rates_and_times_read_as_people_write_them():
    from summarize.outputs.report import fps_text, timings_text

    assert [fps_text(r) for r in (29.97003, 30000 / 1001, 23.976024, 59.94006, 25.0, 12.5, 29.5, 1000.0)] == [
        "29.97", "29.97", "23.976", "59.94", "25", "12.5", "29.5", "1000"]
    run = {"feature_cache": "miss", "timings": {"decode": 0.76, "features": 5.2, "decode_wait": 0.01,
                                                "decode_features_overlap": 0.75, "decode_and_features_wall": 19.93,
                                                "scoring": 0.003, "boundaries": 0.87, "segmentation": 0.89,
                                                "selection": 0.002, "writing": 0.12, "total": 21.4}}
    assert timings_text(run) == ("decoding and features 19.9 s, scoring under 0.1 s, shots and cut frames 0.9 s, "
                                 "choosing shots under 0.1 s, writing 0.1 s; 21.4 s in all")
    cached = {"feature_cache": "hit", "timings": {"scoring": 0.2, "segmentation": 1.0, "selection": 0.0,
                                                  "writing": 2.0, "total": 3.3}}
    assert timings_text(cached).startswith("features from the cache, scoring 0.2 s")


@pytest.mark.slow
def test_the_page_reads_without_javascript_and_says_what_needs_it(reported):
    """What the script adds (the length control) is hidden until it runs; the rest is HTML."""
    from summarize.outputs.report import report_html

    _, out, document = reported
    page = _Page()
    page.feed((out / "scenes.summary.html").read_text())
    assert {"budget", "kept-bands", "split-edges", "timeline-kept", "numbers", "contact-sheet"} <= page.ids
    text = (out / "scenes.summary.html").read_text()
    assert '<section id="budget" class="panel" hidden data-rule="total"' in text
    assert "<noscript>" in text and "need JavaScript" in text
    # A benchmark summary: the control says why it cannot choose again; without keyframes (no
    # source), the cards say so.
    benchmark = json.loads(json.dumps(document))
    benchmark["selection"]["rule"] = "benchmark"
    text = report_html(benchmark, out / "b.summary.html", thumbnails=[], poster_image=b"")
    assert 'data-rule="benchmark"' in text and "--selection benchmark --budget X" in text
    assert text.count("no keyframe") == len(document["shots"]) and "data:image/jpeg" not in text
