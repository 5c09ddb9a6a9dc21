"""``summarize export SUMMARY.json``: the report, plot and edits of a summary on disk, with no
decoding: the very files the run wrote, or those of another length, chosen again from the
JSON's scores as ``summarize VIDEO --budget`` chooses them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from summarize._cli import main
from summarize.outputs.reselect import reselect
from tests.synthetic import write_video

ROOT = Path(__file__).resolve().parent.parent
SCENES = [(k % 8, s) for k, s in enumerate([3.3, 7.9, 2.2, 5.45, 0.7, 6.15, 2.8, 9.6, 1.35, 3.8])]
EXTRAS = ["report", "plot", "export"]
FORMATS = "edl,otio,fcp7xml,fcpx,chapters,csv"


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return done.value.code, out, err


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """A run with every extra that needs no copy of the source, and its files."""
    folder = tmp_path_factory.mktemp("export").resolve()
    video = write_video(folder / "clip.mp4", SCENES, width=160, height=120, fps=Fraction(30000, 1001), audio=True)
    out = folder / "out"
    with pytest.raises(SystemExit) as done:
        main([str(video.path), "-o", str(out), "--report", "--plot", "--export", FORMATS, "-q"])
    assert done.value.code == 0
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    return {"video": video, "out": out, "files": files, "json": out / "clip.summary.json"}


@pytest.fixture
def copy_of(original, tmp_path):
    """The run's JSON alone in a fresh folder (its source video where it was)."""
    shutil.copy(original["json"], tmp_path / "clip.summary.json")
    return tmp_path / "clip.summary.json"


@pytest.mark.slow
def test_export_writes_the_runs_extras_byte_for_byte(original, copy_of, capsys):
    code, out, err = run_cli(["export", copy_of, "--report", "--plot", "--export", FORMATS], capsys)
    assert code == 0, err
    written = {p.name: p.read_bytes() for p in copy_of.parent.iterdir() if p.name != "clip.summary.json"}
    expected = {name: data for name, data in original["files"].items() if not name.endswith((".json", ".mp4"))}
    assert sorted(written) == sorted(expected) and len(written) == 9
    # the report links the videos from where it is: the same page only beside the same files
    assert {n: d for n, d in written.items() if n != "clip.summary.html"} == {
        n: d for n, d in expected.items() if n != "clip.summary.html"}
    assert "Report" in out and "EDL" in out
    code, _, err = run_cli(["export", original["json"], "--report", "-y"], capsys)  # in place, over the run's page
    assert code == 0, err
    assert (original["out"] / "clip.summary.html").read_bytes() == original["files"]["clip.summary.html"]


@pytest.mark.slow
def test_existing_outputs_need_overwrite(original, copy_of, capsys):
    (copy_of.parent / "clip.summary.edl").write_text("mine")
    code, _, err = run_cli(["export", copy_of, "--export", "edl,chapters"], capsys)
    assert code == 1 and err.count("\n") == 1 and "clip.summary.edl already exists (use --overwrite" in err
    assert (copy_of.parent / "clip.summary.edl").read_text() == "mine"
    assert not (copy_of.parent / "clip.summary.chapters.vtt").exists()  # all or none
    code, _, err = run_cli(["export", copy_of, "--export", "edl,chapters", "-y", "-q"], capsys)
    assert code == 0 and err == ""
    assert (copy_of.parent / "clip.summary.edl").read_bytes() == original["files"]["clip.summary.edl"]


@pytest.mark.slow
@pytest.mark.parametrize("option, value", [("--budget", "0.3"), ("--budget", "0.05"), ("--duration", "0:09")])
def test_another_length_keeps_what_summarize_video_keeps(original, tmp_path, capsys, option, value):
    """The shots, the EDL and the chapters of `export --budget X` are those of a fresh
    `summarize VIDEO --budget X` run; the new JSON differs from the fresh run's only where the
    JSON's rounding reaches (a new piece's mean score, the sixth decimal)."""
    new = tmp_path / "new.summary.json"
    code, out, err = run_cli(["export", original["json"], option, value, "-o", new, "--export", "edl,chapters"],
                             capsys)
    assert code == 0, err
    assert "Kept" in out
    fresh = tmp_path / "fresh"
    code, _, err = run_cli([original["video"].path, "-o", fresh, "--no-video", "--export", "edl,chapters", option,
                            value, "-q"], capsys)
    assert code == 0, err
    mine, theirs = json.loads(new.read_text()), json.loads((fresh / "clip.summary.json").read_text())
    kept = [(s["start_frame"], s["end_frame"]) for s in mine["shots"] if s["selected"]]
    assert kept == [(s["start_frame"], s["end_frame"]) for s in theirs["shots"] if s["selected"]]

    def pieces(doc):
        keys = ("start_frame", "end_frame", "start", "end", "boundary", "split")
        return [tuple(s[k] for k in keys) for s in doc["shots"]]

    assert pieces(mine) == pieces(theirs)
    assert all(abs(a["score"] - b["score"]) <= 2e-6 for a, b in zip(mine["shots"], theirs["shots"]))
    assert mine["selection"] == theirs["selection"]
    assert mine["options"] == theirs["options"]  # the fingerprint of that length: batch sees it as such
    assert abs(mine["summary"]["duration"] - theirs["summary"]["duration"]) <= 2e-6
    assert mine["outputs"] == {"json": str(new), "video": None, "video_encoding": None}
    assert (tmp_path / "new.summary.edl").read_bytes() == (fresh / "clip.summary.edl").read_bytes()
    assert (tmp_path / "new.summary.chapters.vtt").read_bytes() == (fresh / "clip.summary.chapters.vtt").read_bytes()


def test_the_rule_from_the_json_is_the_rule_at_the_runs_own_length(original):
    document = json.loads(original["json"].read_text())
    again = reselect(document, budget=document["options"]["values"]["budget"])
    assert again["shots"] == document["shots"] and again["selection"] == document["selection"]
    assert again["options"] == document["options"] and again["summary"] == document["summary"]


@pytest.mark.slow
def test_a_missing_source_costs_the_keyframes_only(original, copy_of, tmp_path, capsys):
    document = json.loads(copy_of.read_text())
    document["input"]["path"] = str(tmp_path / "gone.mp4")
    copy_of.write_text(json.dumps(document))
    code, _, err = run_cli(["export", copy_of, "--report", "--export", "edl,csv"], capsys)
    assert code == 0
    assert err.startswith("summarize: note: the source video ") and err.count("\n") == 1
    assert "gone.mp4 is missing: the report has no keyframes" in err
    page = (copy_of.parent / "clip.summary.html").read_text()
    assert "no keyframe" in page and "data:image/jpeg" not in page
    code, _, err = run_cli(["export", copy_of, "--export", "chapters-mkv"], capsys)
    assert code == 1 and err.count("\n") == 1
    assert "gone.mp4 is missing: --export chapters-mkv copies it" in err


BAD = {
    # name: (arguments after "export", exit code, part of the one line)
    "missing": (["{MISSING}", "--export", "edl"], 2, "no such file: {MISSING}"),
    "folder": (["{FOLDER}", "--export", "edl"], 2, "is a folder: give a summary JSON"),
    "not json": (["{TEXT}", "--export", "edl"], 1, "is not a summary JSON (Expecting value"),
    "other json": (["{OTHER}", "--export", "edl"], 1, "is not a summary JSON (NAME.summary.json written by summarize)"),
    "old format": (["{OLD}", "--export", "edl"], 1, "is a summary of format version 2; this summarize reads version 3"),
    "nothing": (["{JSON}"], 2, "nothing to write: ask for --report, --plot, --export FORMATS or -o"),
    "budget": (["{JSON}", "--budget", "0", "--export", "edl"], 2, "0.0 is not in (0, 1]"),
    "both": (["{JSON}", "--budget", "0.2", "--duration", "5", "--export", "edl"], 2, "give the summary's length once"),
    "duration": (["{JSON}", "--duration", "soon", "--export", "edl"], 2, "'soon' is not a time"),
    "format": (["{JSON}", "--export", "pdf"], 2, "unknown --export format 'pdf'"),
    "output": (["{JSON}", "-o", "{NEW.txt}"], 2, "is neither a .json file nor a folder"),
    "benchmark": (["{BENCH}", "--budget", "0.2", "--export", "edl"], 1,
                  "cannot choose shots again from this summary: it was made with --selection benchmark"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_errors_are_one_line_with_the_documented_exit_code(tmp_path, capsys, case):
    document = {"format": "summarize.summary", "format_version": 3, "selection": {"rule": "benchmark"}}
    files = {"{MISSING}": tmp_path / "missing.summary.json", "{FOLDER}": tmp_path, "{TEXT}": tmp_path / "text.json",
             "{OTHER}": tmp_path / "other.json", "{OLD}": tmp_path / "old.json", "{JSON}": tmp_path / "a.summary.json",
             "{NEW.txt}": tmp_path / "new.txt", "{BENCH}": tmp_path / "bench.summary.json"}
    files["{TEXT}"].write_text("not json")
    files["{OTHER}"].write_text('{"videos": []}')
    files["{OLD}"].write_text(json.dumps({**document, "format_version": 2}))
    files["{JSON}"].write_text(json.dumps({**document, "selection": {"rule": "total"}}))
    files["{BENCH}"].write_text(json.dumps(document))
    args, code, line = BAD[case]
    got, _, err = run_cli(["export", *(str(files.get(a, a)) for a in args)], capsys)
    for name, path in files.items():
        line = line.replace(name, str(path))
    assert (got, err.count("\n")) == (code, 1), err
    assert err.startswith("summarize: error: ") and line in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["text.json", "other.json", "old.json", "a.summary.json", "bench.summary.json"])  # nothing written


@pytest.mark.slow
def test_export_loads_no_network_and_decodes_nothing(original, copy_of, capsys, monkeypatch):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "summarize", "export", str(copy_of),
                             "--budget", "0.2", "--export", "edl,otio,chapters,csv", "-q"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert "summarize.outputs.reselect" in imported
    assert not {name for name in imported if name.split(".")[0] in ("torch", "torchvision")}

    import summarize.decoding

    def no_decoding(*args, **kwargs):
        raise AssertionError("export decoded the video")

    monkeypatch.setattr(summarize.decoding, "open_video", no_decoding)
    code, _, err = run_cli(["export", copy_of, "--duration", "7", "-o", f"{copy_of.parent / 'seven'}/", "--plot",
                            "--export", "edl,otio,chapters,csv"], capsys)
    assert code == 0, err
    assert (copy_of.parent / "seven" / "clip.summary.json").is_file()
    assert len(list((copy_of.parent / "seven").iterdir())) == 7  # JSON, plot, EDL, OTIO, 2 chapters, CSV
