"""File names that are not UTF-8 (any bytes but / and NUL are a POSIX name): recorded exactly,
printed readably, and never the end of a run or of a batch."""

import base64
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from summarize.outputs import schema
from summarize.outputs.summary_json import source_path, summary_video_path
from summarize.paths import exact_bytes, from_record, shown, text_safe, url
from tests.synthetic import write_video

ROOT = Path(__file__).resolve().parent.parent
BAD = os.fsdecode(b"caf\xe9 \xff\xfe.mp4")  # Latin-1 e-acute and two bytes no encoding makes
SHOWN = "caf\\xe9 \\xff\\xfe.mp4"


def test_a_name_is_shown_as_text_and_kept_exactly():
    assert shown(BAD) == SHOWN and shown(Path("/x") / BAD) == "/x/" + SHOWN
    assert shown("café ok.mp4") == "café ok.mp4" and exact_bytes("café ok.mp4") is None  # UTF-8 names as they are
    raw = exact_bytes(BAD)
    assert base64.b64decode(raw) == b"caf\xe9 \xff\xfe.mp4"
    assert from_record(shown(BAD), raw) == BAD and from_record("plain.mp4", None) == "plain.mp4"
    assert url(f"sub/{BAD}") == "sub/caf%E9%20%FF%FE.mp4" and url("a#b.mp4") == "a%23b.mp4"
    assert text_safe({BAD: [BAD, 1, None]}) == {SHOWN: [SHOWN, 1, None]}
    json.dumps(text_safe({"x": BAD}), ensure_ascii=False).encode("utf-8")  # writable as UTF-8


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONIOENCODING", None)
    env["LC_ALL"] = env["LANG"] = "C.UTF-8"  # a UTF-8 terminal: stdout refuses what is not UTF-8
    env["PYTHONUTF8"] = "0"
    return env


def _run(*args):
    return subprocess.run([sys.executable, "-m", "summarize", *map(str, args)], capture_output=True, env=_env(),
                          timeout=600)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("names") / "clip.mp4", [(0, 2.0), (1, 2.0)], width=160, height=96,
                       fps=20).path


@pytest.mark.slow
def test_summarize_a_video_whose_name_is_not_utf8(clip, tmp_path):
    video = tmp_path / BAD
    video.write_bytes(clip.read_bytes())
    result = _run(video, "--report", "--no-cache")
    out, err = result.stdout.decode("utf-8"), result.stderr.decode("utf-8")  # both UTF-8 text
    assert result.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    assert f"Input          {SHOWN}" in out  # the table names the video readably
    document = json.loads((tmp_path / os.fsdecode(b"caf\xe9 \xff\xfe.summary.json")).read_bytes().decode("utf-8"))
    jsonschema.validate(document, schema())
    assert document["input"]["file_name"] == SHOWN and document["input"]["path"] == shown(video)
    assert source_path(document) == video and summary_video_path(document) == video.with_name(
        os.fsdecode(b"caf\xe9 \xff\xfe.summary.mp4"))
    assert summary_video_path(document).is_file()
    page_path = tmp_path / os.fsdecode(b"caf\xe9 \xff\xfe.summary.html")
    page = page_path.read_bytes().decode("utf-8")
    assert 'src="caf%E9%20%FF%FE.summary.mp4"' in page and SHOWN in page  # keyframes were read from the source
    # and a browser finds the summary video by that link
    from playwright.sync_api import sync_playwright

    from tests.test_report import _CHECK_PAGE, CHROMIUM_FLAGS, _chromium

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.goto(page_path.as_uri(), wait_until="load")
            video = page.evaluate(_CHECK_PAGE)["video"]
        finally:
            browser.close()
    assert video["error"] is None and video["ready"] >= 1
    assert video["duration"] == pytest.approx(document["summary"]["duration"], abs=0.1)


@pytest.mark.slow
def test_a_batch_records_such_names_and_reruns(clip, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / BAD).write_bytes(clip.read_bytes())
    (folder / "plain.mp4").write_bytes(clip.read_bytes())
    (folder / os.fsdecode(b"broken \xff.mp4")).write_bytes(b"not a video")
    first = _run("batch", folder, "--no-video", "--report", "--no-cache")
    err = first.stderr.decode("utf-8")
    assert first.returncode == 1 and "Traceback" not in err, err[-2000:]  # only the broken file failed
    assert "broken \\xff.mp4" in err
    with open(folder / "index.csv", newline="", encoding="utf-8") as fh:
        rows = {row["input"]: row for row in csv.DictReader(fh)}
    assert set(rows) == {"broken \\xff.mp4", SHOWN, "plain.mp4"}
    assert rows[SHOWN]["status"] == "ok" and rows["plain.mp4"]["status"] == "ok"
    assert rows["broken \\xff.mp4"]["status"] == "failed"
    assert from_record(SHOWN, rows[SHOWN]["input_bytes"]) == BAD and rows["plain.mp4"]["input_bytes"] == ""
    index = json.loads((folder / "index.json").read_bytes().decode("utf-8"))
    exact = {from_record(v["input"], v["input_bytes"]) for v in index["videos"]}
    assert exact == {BAD, "plain.mp4", os.fsdecode(b"broken \xff.mp4")}
    assert 'href="caf%E9%20%FF%FE.summary.html"' in (folder / "index.html").read_bytes().decode("utf-8")

    again = _run("batch", folder, "--no-video")  # a rerun goes through the same names
    assert again.returncode == 1 and "Traceback" not in again.stderr.decode("utf-8")
    with open(folder / "index.csv", newline="", encoding="utf-8") as fh:
        statuses = {row["input"]: row["status"] for row in csv.DictReader(fh)}
    assert statuses == {"broken \\xff.mp4": "failed", SHOWN: "skipped", "plain.mp4": "skipped"}
