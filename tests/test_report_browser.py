"""The report page in Chromium (Playwright): clicking a shot plays the source from its start,
the length control keeps the shots the command line keeps, and the files it offers are
those ``summarize export`` and ``summarize VIDEO --export`` write for that length.

One video, one run, one page load for the whole module (the tests share the page)."""

from __future__ import annotations

import hashlib
import math
import json
import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from summarize._cli import main
from tests.test_report import CHROMIUM_FLAGS, _chromium
from tests.test_report_drawing import touching_runs
from tests.synthetic import write_video

pytestmark = pytest.mark.slow

# Ten scenes at 29.97 fps (drop-frame time code), 43 s, with sound: long shots are cut into
# pieces, and the budgets below keep different pieces.
SCENES = [(k % 8, s) for k, s in enumerate([3.3, 7.9, 2.2, 5.45, 0.7, 6.15, 2.8, 9.6, 1.35, 3.8])]
# (radio, value typed, the CLI's option, its value)
LENGTHS = [("fraction", "0.05", "--budget", "0.05"), ("fraction", "0.3", "--budget", "0.3"),
           ("fraction", "0.6", "--budget", "0.6"), ("seconds", "4", "--duration", "4")]


def _cli(*args) -> None:
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args])
    assert done.value.code == 0


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The run with its report, and for each length: the library's kept pieces, a fresh run's
    EDL and chapters, and ``summarize export --budget`` (JSON, EDL, OTIO, chapters)."""
    from summarize import Summarizer

    folder = tmp_path_factory.mktemp("report-page").resolve()
    video = write_video(folder / "clip one.mp4", SCENES, width=160, height=120, fps=Fraction(30000, 1001), audio=True)
    out = folder / "out"
    _cli(video.path, "-o", out, "--report", "--export", "edl,otio,chapters", "-q")
    summarizer = Summarizer(device="cpu")
    features = summarizer.features(video.path)  # from the run's cache
    lengths = {}
    for _, typed, option, value in LENGTHS:
        asked = {"budget": float(value)} if option == "--budget" else {"duration": float(value)}
        selection = summarizer.with_options(**asked).analyze_features(features).selection
        fresh = folder / f"fresh{option}{value}"
        _cli(video.path, "-o", fresh, "--no-video", "--export", "edl,chapters", option, value, "-q")
        tag = f"b{round(float(value) * 100, 4):g}" if option == "--budget" else f"d{value}s"
        new_json = out / f"clip one.{tag}.summary.json"
        _cli("export", out / "clip one.summary.json", option, value, "-o", new_json, "--export",
             "edl,otio,chapters", "-q")
        lengths[typed] = {"pieces": [(int(a), int(b)) for a, b in selection.bounds[selection.selected]],
                          "fresh": fresh / "clip one.summary", "exported": new_json.with_suffix("")}
    return {"video": video, "out": out, "page": out / "clip one.summary.html", "lengths": lengths,
            "document": json.loads((out / "clip one.summary.json").read_text())}


@pytest.fixture(scope="module")
def page(made):
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
            tab = context.new_page()
            tab.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                   if m.type in ("error", "warning") else None)
            tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            tab.on("requestfailed", lambda r: None if r.resource_type == "media" else
                   problems.append(f"failed request: {r.url} ({r.failure})"))
            tab.goto(made["page"].as_uri(), wait_until="load")
            tab.wait_for_function("() => window.summarizeReport && window.summarizeReport.selfCheck !== null")
            tab.problems = problems
            yield tab
        finally:
            browser.close()


def test_the_page_loads_clean_and_keeps_the_runs_shots(page, made):
    assert page.problems == []
    assert page.evaluate("window.summarizeReport.selfCheck") is True  # the page's rule, at the run's length
    text = page.inner_text("main")
    assert "29.97 fps" in text and "decode_and_features_wall" not in text and "decode_wait" not in text
    cached = made["document"]["run"]["feature_cache"] == "hit"  # another module may have run this video first
    assert ("features from the cache" if cached else "decoding and features") in text
    html = made["page"].read_text()
    assert str(made["out"].parent) not in html  # no absolute path: the page can be shared
    assert "http://" not in html and "https://" not in html
    poster = page.get_attribute("#source-video", "poster")
    assert poster.startswith("data:image/jpeg;base64,") and len(poster) > 2000
    src = page.evaluate("document.querySelector('#source-video source').src")
    assert src == made["video"].path.as_uri()  # the source, by its relative link


def test_clicking_a_shot_plays_the_source_from_its_start(page, made):
    shots = made["document"]["shots"]
    for shot in (shots[3], shots[-1], shots[0]):
        at = page.evaluate("""(i) => { const card = document.querySelectorAll('figure.shot')[i]; card.click();
                                       return document.getElementById('source-video').currentTime; }""", shot["index"])
        assert at == shot["start"]
    shot = shots[len(shots) // 2]
    page.click(f'figure.shot[data-shot="{shot["index"]}"]')  # as a person clicks: it plays from there
    page.wait_for_function("() => !document.getElementById('source-video').paused")
    now = page.evaluate("document.getElementById('source-video').currentTime")
    assert shot["start"] <= now < shot["start"] + 1.0
    page.evaluate("document.getElementById('source-video').pause()")


def test_clicking_the_curve_plays_the_source_from_that_moment(page, made):
    duration = made["document"]["input"]["duration"]
    page.locator("#curve").scroll_into_view_if_needed()
    for target in (20.0, 31.5):
        x, y = page.evaluate("""(t) => { const svg = document.getElementById('curve');
            const left = +svg.dataset.left, right = +svg.dataset.right;
            const p = svg.createSVGPoint(); p.x = left + (right - left) * t / +svg.dataset.duration; p.y = 100;
            const q = p.matrixTransform(svg.getScreenCTM()); return [q.x, q.y]; }""", target)
        page.mouse.click(x, y)
        now = page.evaluate("document.getElementById('source-video').currentTime")
        assert target - 0.1 < now < target + 1.0, (target, now, duration)
    page.evaluate("document.getElementById('source-video').pause()")


_DRAWN = """() => {
    const svg = (id) => { const e = document.getElementById(id); return Object.fromEntries(
        ['left', 'right', 'top', 'bottom', 'start', 'duration'].map(k => [k, Number(e.dataset[k])])); };
    const boxes = (id) => [...document.getElementById(id).querySelectorAll('rect')].map(r => {
        const b = r.getBBox(); return [b.x, b.x + b.width]; });
    // the curve's height in the middle of each sample's step, where its drawn stroke is
    const data = JSON.parse(document.getElementById('summary-data').textContent);
    const curve = svg('curve');
    const path = document.querySelector('#curve path.score');
    const times = data.samples.time;
    const x = (t) => curve.left + (curve.right - curve.left) * (t - curve.start) / curve.duration;
    const heights = times.map((t, i) => {
        const mid = x((t + (i + 1 < times.length ? times[i + 1] : curve.start + curve.duration)) / 2);
        const hits = [];
        for (let y = curve.top - 2; y <= curve.bottom + 2; y += 0.1) {
            if (path.isPointInStroke(new DOMPoint(mid, y))) hits.push(y);
        }
        return hits.length ? (hits[0] + hits[hits.length - 1]) / 2 : null;
    });
    return {data, curve, timeline: svg('timeline'), heights, kept: boxes('kept-bands'),
            timelineKept: boxes('timeline-kept')};
}"""


def _seconds(boxes: list, axes: dict) -> list[tuple[float, float]]:
    return [tuple(axes["start"] + (x - axes["left"]) / (axes["right"] - axes["left"]) * axes["duration"] for x in box)
            for box in boxes]


def _close(got: list, want: list, tol: float) -> bool:
    return len(got) == len(want) and all(abs(a - b) <= tol for g, w in zip(got, want) for a, b in zip(g, w))


@pytest.mark.parametrize("budget", [None, 0.6])
def test_what_the_page_draws_is_its_data_and_the_runs_json(page, made, budget):
    """In Chromium, after its script ran: the page's embedded data is the run's JSON (less its
    paths); its curve's stroke passes, in the middle of each sample's step, at a height that is
    that sample's score on one scale; the kept bands its script draws on the curve and the
    timeline lie at the kept shots' times (at the run's length, and at another one)."""
    from summarize.outputs.reselect import reselect

    document = made["document"]
    if budget is None:
        page.click("#budget-reset")
        page.wait_for_function("(v) => window.summarizeReport.state.value === v", arg=0.15)
    else:
        _set_length(page, "fraction", str(budget))
    drawn = page.evaluate(_DRAWN)
    want = json.loads(json.dumps(document))
    for key in ("path", "path_bytes"):
        want["input"].pop(key, None)
    want["outputs"] = {"video_encoding": document["outputs"]["video_encoding"]}
    assert drawn["data"] == want
    scores = np.array(document["samples"]["score"])
    heights = np.array(drawn["heights"], dtype=float)
    assert not np.isnan(heights).any()
    bottom = drawn["curve"]["bottom"]
    factor = float(np.dot(bottom - heights, scores) / np.dot(scores, scores))
    assert factor > 0 and np.abs(bottom - heights - factor * scores).max() < 0.6, (heights, scores)
    assert len(set(np.round(scores, 3))) > 5  # scores that tell a moved curve apart
    kept = touching_runs(document if budget is None else reselect(document, budget=budget))
    second = drawn["curve"]["duration"] / (drawn["curve"]["right"] - drawn["curve"]["left"])  # one SVG unit
    assert _close(_seconds(drawn["kept"], drawn["curve"]), kept, 0.02 * second), (drawn["kept"], kept)
    assert _close(_seconds(drawn["timelineKept"], drawn["timeline"]), kept, 0.02 * second)
    assert drawn["timeline"]["duration"] == document["input"]["duration"]


def _set_length(page, unit: str, typed: str) -> None:
    page.check(f"input[name=budget-unit][value={unit}]")
    page.fill("#budget-value", typed)
    page.wait_for_function("(v) => window.summarizeReport.state.value === v", arg=float(typed))


@pytest.mark.parametrize("unit, typed", [(u, t) for u, t, _, _ in LENGTHS])
def test_another_length_keeps_the_command_lines_shots(page, made, unit, typed):
    _set_length(page, unit, typed)
    pieces = page.evaluate("""() => [...document.querySelectorAll('#kept-list li')]
        .flatMap(li => li.dataset.pieces.split(' ').map(p => p.split('-').map(Number)))""")
    assert [tuple(p) for p in pieces] == made["lengths"][typed]["pieces"]
    assert f"--{'budget' if unit == 'fraction' else 'duration'} {typed}" in page.inner_text("#command")


def _download(page, link: str) -> bytes:
    """The file a click on ``link`` downloads (clicks 0.6 s apart: headless Chromium drops some
    downloads clicked in quicker succession)."""
    page.wait_for_timeout(600)
    with page.expect_download() as info:
        page.click(link)
    assert info.value.suggested_filename == page.get_attribute(link, "download")
    return Path(info.value.path()).read_bytes()


def _offered(page, link: str) -> bytes:
    """What ``link`` offers, read from the page (as its download holds it)."""
    return bytes(page.evaluate("""(selector) => fetch(document.querySelector(selector).href)
        .then(r => r.arrayBuffer()).then(b => [...new Uint8Array(b)])""", link))


@pytest.mark.parametrize("unit, typed", [(u, t) for u, t, _, _ in LENGTHS])
def test_the_downloads_are_what_the_command_line_writes(page, made, unit, typed):
    _set_length(page, unit, typed)
    fresh, exported = made["lengths"][typed]["fresh"], made["lengths"][typed]["exported"]
    edl = _download(page, "#download-edl")
    assert edl == Path(f"{fresh}.edl").read_bytes() == Path(f"{exported}.edl").read_bytes()
    vtt = _download(page, "#download-vtt")
    assert vtt == Path(f"{exported}.chapters.vtt").read_bytes()
    assert vtt.count(b" --> ") == Path(f"{fresh}.chapters.vtt").read_bytes().count(b" --> ")
    assert _offered(page, "#download-ffmetadata") == Path(f"{exported}.ffmetadata").read_bytes()
    timeline = _offered(page, "#download-otio")
    assert json.loads(timeline) == json.loads(Path(f"{exported}.otio").read_bytes())
    assert otio.adapters.read_from_string(timeline.decode(), "otio_json").video_tracks()  # OpenTimelineIO reads it
    assert json.loads(_offered(page, "#download-json")) == json.loads(Path(f"{exported}.json").read_bytes())
    # the names are those summarize export gives them beside the new JSON
    assert page.get_attribute("#download-json", "download") == Path(f"{exported}.json").name
    assert page.get_attribute("#download-otio", "download") == Path(f"{exported}.otio").name


def test_the_runs_own_length_downloads_the_runs_files(page, made):
    page.click("#budget-reset")
    page.wait_for_function("(v) => window.summarizeReport.state.value === v", arg=0.15)
    name = made["out"] / "clip one.summary"
    assert _download(page, "#download-edl") == Path(f"{name}.edl").read_bytes()
    assert _download(page, "#download-vtt") == Path(f"{name}.chapters.vtt").read_bytes()
    assert json.loads(_offered(page, "#download-otio")) == json.loads(Path(f"{name}.otio").read_bytes())


def test_preview_plays_the_kept_shots_and_skips_the_rest(page, made):
    """From the end of the first kept run the preview jumps to the start of the next."""
    page.click("#budget-reset")
    runs = [(a, b) for a, b in page.evaluate("""() => [...document.querySelectorAll('#kept-list li')]
        .map(li => [+li.dataset.start, +li.dataset.end])""")]
    assert len(runs) >= 2
    page.click("#preview")
    page.wait_for_function("() => !document.getElementById('source-video').paused")
    seen = page.evaluate("""(end) => new Promise(done => { const v = document.getElementById('source-video');
        v.currentTime = end - 0.2; const times = []; const t0 = performance.now();
        (function look() { times.push(v.currentTime);
          if (performance.now() - t0 < 1500) requestAnimationFrame(look); else done(times); })(); })""", runs[0][1])
    page.click("#preview")  # stops it
    assert page.evaluate("document.getElementById('source-video').paused")
    assert any(runs[1][0] <= t <= runs[1][0] + 1.5 for t in seen), (seen, runs)  # it jumped
    # and played nothing between the two runs (beyond a frame's overshoot)
    assert not [t for t in seen if runs[0][1] + 0.1 < t < runs[1][0] - 0.01], (seen, runs)


def test_time_codes_are_opentimelineios(page):
    rates = [24000 / 1001, 24.0, 25.0, 30000 / 1001, 30.0, 48.0, 50.0, 60000 / 1001, 60.0]
    rng = random.Random(7)
    values = sorted({*range(0, 3000, 7), *(rng.randrange(0, 24 * 3600 * 60) for _ in range(400)),
                     *(k * 17982 + d for k in range(1, 12) for d in (-2, -1, 0, 1, 2, 3)),
                     *(k * 1798 + d for k in range(1, 40) for d in (-1, 0, 1, 2))})
    mine = page.evaluate("([rates, values]) => rates.map(r => values.map(v => window.summarizeReport.timecode(v, r)))",
                         [rates, values])
    for rate, row in zip(rates, mine):
        theirs = [otio.opentime.to_timecode(otio.opentime.RationalTime(v, rate), rate) for v in values]
        assert row == theirs, rate


def test_numbers_are_written_as_python_writes_them(page):
    rng = random.Random(3)
    floats = [0.125, 0.375, 2.675, 1.0005, 0.0015, 0.5, 1.5, 2.5, -0.125, 1e-06, 1e-05, 0.0001, 1e16, 1e15, 123.0,
              29.97002997002997, 12.3456785, 0.1 + 0.2] + [round(rng.uniform(0, 5000), 6) for _ in range(300)]
    got = page.evaluate("""(xs) => { const r = window.summarizeReport;
        return xs.map(x => [r.pyFixed(x, 2), r.pyFixed(x, 6), r.pyFloatRepr(x), r.milliseconds(Math.abs(x))]); }""",
                        floats)
    from summarize.outputs.exports.kept import milliseconds
    from summarize.outputs.report import _clock

    seconds = [0, 0.04, 0.05, 0.25, 4.48, 59.94, 59.95, 59.96, 119.99, 3599.96, 3725.25] + floats[18:]
    assert page.evaluate("(xs) => xs.map(x => window.summarizeReport.clockText(x))", seconds) == [
        _clock(x) for x in seconds]

    assert got == [[f"{x:.2f}", f"{x:.6f}", repr(x), milliseconds(abs(x))] for x in floats]
    texts = ["", "abc", "summarize é ☃ 😀", "x" * 200]
    assert page.evaluate("(ts) => ts.map(t => window.summarizeReport.sha256Hex(t))", texts) == [
        hashlib.sha256(t.encode()).hexdigest() for t in texts]
    fractions = [119.88, 1000.0, 240.0, 90.0, 143.856]
    assert page.evaluate("(xs) => xs.map(x => window.summarizeReport.limitDenominator(x, 1001))", fractions) == [
        [Fraction(x).limit_denominator(1001).numerator, Fraction(x).limit_denominator(1001).denominator]
        for x in fractions]


def _variant(document: dict, seed: int, scores: str, warp: bool) -> dict:
    """The run's document with other scores (random of six decimals; flat; three levels, so
    that the rule's tie-breaks decide) and, with ``warp``, times that run unevenly (a variable
    frame rate: t + 0.4 sin t)."""
    rng = random.Random(seed)
    doc = json.loads(json.dumps(document))
    draw = {"random": lambda: round(rng.random() ** 3, 6), "flat": lambda: 0.5,
            "levels": lambda: rng.choice([0.1, 0.2, 0.3])}[scores]
    doc["samples"]["score"] = [draw() for _ in doc["samples"]["score"]]
    if warp:
        def moved(t):
            return round(t + 0.4 * math.sin(t), 6)

        doc["samples"]["frame_time"] = [moved(t) for t in doc["samples"]["frame_time"]]
        for shot in doc["shots"]:
            shot["start"], shot["end"] = moved(shot["start"]), moved(shot["end"])
        doc["input"]["duration"] = doc["shots"][-1]["end"]
    return doc


ASKED = [("fraction", v) for v in (0.001, 0.004, 0.02, 0.1, 0.37, 0.85, 1.0)] + [
    ("seconds", v) for v in (0.05, 0.3, 2.5, 11.0, 100.0)]


@pytest.mark.parametrize("seed, scores, warp", [(1, "random", False), (2, "random", True), (3, "flat", False),
                                                (4, "levels", False), (5, "levels", True)])
def test_the_page_chooses_as_python_does_for_any_scores_and_length(page, made, seed, scores, warp):
    """reselect.py and the page's script on other documents (other scores; uneven frame times)
    at lengths from one frame (nothing fits: step 6) to all of it: the same document."""
    from summarize.outputs.report import report_html
    from summarize.outputs.reselect import reselect

    doc = _variant(made["document"], seed, scores, warp)
    path = made["out"] / f"variant-{seed}.summary.html"  # beside the run's, as its page
    path.write_text(report_html(doc, path, thumbnails=[], poster_image=b""))
    page.goto(path.as_uri(), wait_until="load")
    mine = page.evaluate("""(asked) => asked.map(([unit, value]) => {
        window.summarizeReport.setBudget(unit, value); return window.summarizeReport.document(); })""", ASKED)
    for (unit, value), got in zip(ASKED, mine):
        want = reselect(doc, **{"budget" if unit == "fraction" else "duration": value})
        for d in (got, want):
            d["input"].pop("path", None)
            d.pop("outputs")
        assert got == want, (unit, value)
    page.goto(made["page"].as_uri(), wait_until="load")


def test_a_benchmark_summary_offers_its_own_shots_and_says_why_not_others(page, made):
    from summarize.outputs.report import report_html

    doc = json.loads(json.dumps(made["document"]))
    doc["selection"]["rule"] = "benchmark"
    path = made["out"] / "benchmark.summary.html"
    path.write_text(report_html(doc, path, thumbnails=[], poster_image=b""))
    page.goto(path.as_uri(), wait_until="load")
    try:
        assert page.is_visible("#budget-note")
        assert page.is_disabled("#budget-range") and page.is_disabled("#budget-value")
        name = made["out"] / "clip one.summary"
        assert _offered(page, "#download-edl") == Path(f"{name}.edl").read_bytes()
        assert _offered(page, "#download-vtt") == Path(f"{name}.chapters.vtt").read_bytes()
        assert page.get_attribute("#download-json", "href") is None
        assert page.inner_text("#command").startswith("summarize export 'clip one.summary.json' --export")
    finally:
        page.goto(made["page"].as_uri(), wait_until="load")
