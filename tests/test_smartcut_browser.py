"""A smart-cut summary (copied GOPs joined to re-encoded pieces under their own parameter
sets, AAC audio) plays in Chromium's <video> element to its end without a decode error."""

import pytest

from summarize.outputs.smartcut import write_cut_video
from tests.synthetic import write_video
from tests.test_report import CHROMIUM_FLAGS, _chromium

_PLAY = """async () => {
    const video = document.querySelector("video");
    const events = [];
    for (const name of ["error", "stalled", "ended", "loadedmetadata"]) {
        video.addEventListener(name, () => events.push(name));
    }
    if (video.readyState < 1) {
        await new Promise(done => { video.addEventListener("loadedmetadata", done);
                                    video.addEventListener("error", done); setTimeout(done, 15000); });
    }
    const duration = video.duration;
    // Every junction of the summary is crossed while playing (muted, so autoplay is allowed).
    video.muted = true;
    video.playbackRate = 4;
    let played = true;
    try { await video.play(); } catch (e) { played = String(e); }
    await new Promise(done => { video.addEventListener("ended", done); video.addEventListener("error", done);
                                setTimeout(done, 60000); });
    const quality = video.getVideoPlaybackQuality();
    return {duration, played, ended: video.ended, error: video.error && video.error.code,
            message: video.error && video.error.message, currentTime: video.currentTime, events,
            frames: quality.totalVideoFrames, corrupted: quality.corruptedVideoFrames,
            canPlay: video.canPlayType('video/mp4; codecs="avc1.64001f, mp4a.40.2"')};
}"""


@pytest.mark.slow
def test_exact_cut_summary_plays_to_the_end_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    chromium = _chromium()
    source = tmp_path / "src.mp4"  # High profile with B-frames, a keyframe every second, AAC
    write_video(source, [(0, 3.0), (1, 4.0), (2, 3.0), (3, 2.0)], fps=25, preset="veryfast", gop=25, audio=True)
    summary = tmp_path / "summary.mp4"
    stats = write_cut_video(source, [(0.52, 2.6), (3.0, 5.48), (7.2, 11.96)], summary, cut="exact")
    assert stats.cut == "exact" and stats.copied_frames > 0 and stats.reencoded_frames > 0
    page_path = tmp_path / "play.html"
    page_path.write_text(f'<!doctype html><video src="{summary.name}" preload="auto"></video>')
    problems = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium,
                                     args=[*CHROMIUM_FLAGS, "--autoplay-policy=no-user-gesture-required"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.goto(page_path.as_uri(), wait_until="load")
            result = page.evaluate(_PLAY)
        finally:
            browser.close()
    assert problems == []
    assert result["canPlay"] in ("probably", "maybe")
    assert result["error"] is None, result
    assert result["played"] is True and result["ended"], result
    assert result["duration"] == pytest.approx(stats.duration, abs=0.05)
    assert result["currentTime"] == pytest.approx(stats.duration, abs=0.05)
    assert result["corrupted"] == 0 and result["frames"] > 0.5 * stats.frames, result
