"""Output names and lengths as video tools have them: ``-o short.mp4`` or ``-o DIR/``, ``-y``,
``--split`` (a clip per kept shot), ``--save-images`` (a still per shot), ``--start``/``--end``."""

import json

import av
import numpy as np
import pytest

from summarize.errors import UsageError
from tests.test_cli import run_cli


def _document(path):
    return json.loads(path.read_text())


def _packets(path):
    """(video frame times, audio seconds) of an MP4, from its packets (no decoding)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        times = sorted(float(p.pts * video.time_base) for p in container.demux(video) if p.size and p.pts is not None)
    with av.open(str(path)) as container:
        audio = container.streams.audio[0] if container.streams.audio else None
        seconds = 0.0 if audio is None else sum(float(p.duration * audio.time_base) for p in container.demux(audio)
                                                if p.size and p.duration)
    return np.array(times), seconds


def test_which_names_are_files_and_which_folders(tmp_path):
    from summarize.paths import summary_paths

    video = tmp_path / "talk.mp4"
    (tmp_path / "existing.mp4").mkdir()
    assert summary_paths(video, None) == (tmp_path / "talk.summary.mp4", tmp_path / "talk.summary.json")
    assert summary_paths(video, tmp_path / "short.mp4") == (tmp_path / "short.mp4", tmp_path / "short.json")
    assert summary_paths(video, tmp_path / "Short.MOV") == (tmp_path / "Short.MOV", tmp_path / "Short.json")
    for folder in (f"{tmp_path}/new.mp4/", tmp_path / "existing.mp4", tmp_path / "out", f"{tmp_path}/out/"):
        assert summary_paths(video, folder)[1].name == "talk.summary.json", folder
    assert summary_paths(video, f"{tmp_path}/new.mp4/")[0] == tmp_path / "new.mp4" / "talk.summary.mp4"
    with pytest.raises(UsageError, match=r"the summary is an MP4 file; name it \.mp4"):
        summary_paths(video, tmp_path / "short.mkv")
    video.write_bytes(b"")
    with pytest.raises(UsageError, match="is the input video itself"):
        summary_paths(video, tmp_path / "." / "talk.mp4")


def test_times_as_seconds_or_clock():
    """--start/--end read times as --duration does (one parser), named in the error."""
    import typer

    from summarize._cli.options import parse_duration

    assert parse_duration("90", "--start") == 90.0
    assert parse_duration("90.25", "--start") == 90.25
    assert parse_duration("1:30", "--start") == 90.0
    assert parse_duration("1:30.5", "--start") == 90.5
    assert parse_duration("01:02:03.5", "--end") == 3723.5
    for bad in ("1:75", "1:60:00", "abc", "-3", "1:2:3:4"):
        with pytest.raises(typer.BadParameter) as error:
            parse_duration(bad, "--start")
        assert error.value.param_hint == "--start"


@pytest.mark.slow
def test_o_file_writes_that_file_and_its_json_beside_it(four_scene_video, tmp_path, capsys):
    target = tmp_path / "short.mp4"
    code, out, _ = run_cli([four_scene_video.path, "-o", target, "--report", "--export", "csv"], capsys)
    assert code == 0 and target.is_file() and not target.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.html", "short.json", "short.mp4", "short.shots.csv"]
    labels = [line.split("  ")[0] for line in out.splitlines()]
    assert "Report" in labels and "Shot list" in labels and "Export" not in labels  # labels of short.*, too
    document = _document(tmp_path / "short.json")
    assert document["outputs"]["video"] == str(target) and document["outputs"]["json"] == str(tmp_path / "short.json")
    times, _ = _packets(target)
    assert len(times) == sum(s["end_frame"] - s["start_frame"] for s in document["shots"] if s["selected"])

    before = target.stat().st_mtime_ns
    code, _, err = run_cli([four_scene_video.path, "-o", target, "--report"], capsys)
    assert code == 1 and "already exists (use --overwrite to replace it)" in err
    code, _, _ = run_cli([four_scene_video.path, "-o", target, "--report", "-y", "--budget", "0.3"], capsys)
    assert code == 0 and target.stat().st_mtime_ns != before and _document(tmp_path / "short.json")[
        "selection"]["budget"] == 0.3


@pytest.mark.slow
def test_o_folder_with_a_slash_or_existing(four_scene_video, tmp_path, capsys):
    # The same name is a file without the slash and a folder with it.
    code, _, _ = run_cli([four_scene_video.path, "-o", tmp_path / "a" / "out.mp4", "-q"], capsys)
    assert code == 0 and sorted(p.name for p in (tmp_path / "a").iterdir()) == ["out.json", "out.mp4"]
    code, _, _ = run_cli([four_scene_video.path, "-o", f"{tmp_path}/b/out.mp4/", "-q"], capsys)
    assert code == 0 and (tmp_path / "b" / "out.mp4" / "four_scenes.summary.mp4").is_file()
    (tmp_path / "existing.mov").mkdir()  # an existing folder needs no slash, whatever its name
    code, _, _ = run_cli([four_scene_video.path, "-o", tmp_path / "existing.mov", "-q", "--no-video"], capsys)
    assert code == 0 and [p.name for p in (tmp_path / "existing.mov").iterdir()] == ["four_scenes.summary.json"]


@pytest.mark.parametrize("args, message", [
    (["-o", "{tmp}/short.mkv"], r"-o .*short\.mkv: the summary is an MP4 file; name it \.mp4"),
    (["-o", "{video}"], r"is the input video itself"),
    (["-o", "{tmp}/short.mp4", "--no-video"], r"names the summary video, but --no-video writes none"),
    (["--start", "1:99"], r"--start.*'1:99': the minutes and seconds after a colon must be below 60"),
    (["--end", "soon"], r"--end.*'soon' is not a time"),
    (["--start", "10", "--end", "5"], r"--end must come after --start \(10 s\), got 5"),
    (["--start", "30"], r"--start 30 is not before the end of .*four_scenes\.mp4 \(24\.000 s\)"),
])
def test_wrong_names_and_times_are_one_line(four_scene_video, tmp_path, capsys, args, message):
    import re

    args = [a.format(tmp=tmp_path, video=four_scene_video.path) for a in args]
    code, _, err = run_cli([four_scene_video.path, *args, "-q"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and re.search(message, err), err
    assert not (tmp_path / "short.mp4").exists() and not (tmp_path / "short.mkv").exists()


@pytest.mark.slow
def test_split_writes_one_clip_per_kept_shot_with_its_frames_and_sound(four_scene_video, tmp_path, capsys):
    code, out, _ = run_cli([four_scene_video.path, "-o", tmp_path, "--split", "--budget", "0.5"], capsys)
    assert code == 0
    document = _document(tmp_path / "four_scenes.summary.json")
    kept = [s for s in document["shots"] if s["selected"]]
    clips = sorted(tmp_path.glob("four_scenes-shot-*.mp4"))
    assert len(kept) >= 2 and len(clips) == len(kept)
    assert [c["path"] for c in document["outputs"]["clips"]] == [str(p) for p in clips]
    for shot, clip in zip(kept, clips):
        assert clip.name == f"four_scenes-shot-{shot['index'] + 1:03d}.mp4"
        times, audio = _packets(clip)
        frames = shot["end_frame"] - shot["start_frame"]
        assert len(times) == frames and times[0] == pytest.approx(0, abs=1e-3)
        duration = shot["end"] - shot["start"]
        assert times[-1] + 1 / 25 == pytest.approx(duration, abs=1e-3)
        assert audio == pytest.approx(duration, abs=0.03)
        # It shows that shot: its first frame is the source's frame at the shot's start.
        with av.open(str(clip)) as container:
            first = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(float)
        with av.open(str(four_scene_video.path)) as container:
            source = [f for _, f in zip(range(shot["start_frame"] + 1), container.decode(video=0))][-1]
            expected = source.to_ndarray(format="rgb24").astype(float)
        assert np.abs(first - expected).mean() < 6
    assert f"Shot clips     {len(kept)} clips" in out


@pytest.mark.slow
def test_save_images_writes_the_middle_frame_of_every_shot(four_scene_video, tmp_path, capsys):
    from PIL import Image

    code, _, _ = run_cli([four_scene_video.path, "-o", tmp_path / "short.mp4", "--save-images", "-q"], capsys)
    assert code == 0
    document = _document(tmp_path / "short.json")
    images = sorted(tmp_path.glob("short-shot-*.jpg"))
    assert len(images) == len(document["shots"]) >= 4
    assert [i["path"] for i in document["outputs"]["images"]] == [str(p) for p in images]
    for shot, path in zip(document["shots"], images):
        with Image.open(path) as image:
            assert image.format == "JPEG" and image.size == (320, 240)
            middle = np.asarray(image, dtype=float)
        with av.open(str(four_scene_video.path)) as container:
            index = (shot["start_frame"] + shot["end_frame"] - 1) // 2
            frame = [f for _, f in zip(range(index + 1), container.decode(video=0))][-1]
        assert np.abs(middle - frame.to_ndarray(format="rgb24")).mean() < 6, path


@pytest.mark.slow
def test_start_end_summarize_that_range_in_the_file_s_times(four_scene_video, tmp_path, capsys):
    code, out, _ = run_cli([four_scene_video.path, "-o", tmp_path, "--start", "3", "--end", "0:20.5",
                            "--budget", "0.3"], capsys)
    assert code == 0
    document = _document(tmp_path / "four_scenes.summary.json")
    assert document["options"]["values"]["start"] == 3.0 and document["options"]["values"]["end"] == 20.5
    # Whole frames at 25 fps: from the frame on screen at 3 s to the last one starting before 20.5 s.
    assert document["sampling"]["range"] == {"start": 3.0, "end": 20.52, "start_frame": 75, "end_frame": 513}
    times = document["samples"]["time"]
    assert times[0] == 3.0 and all(3.0 <= t < 20.52 for t in times) and len(times) == 36
    assert all(75 <= f < 513 for f in document["samples"]["frame"])
    shots = document["shots"]
    assert shots[0]["start"] == 3.0 and shots[0]["start_frame"] == 75
    assert shots[-1]["end"] == 20.52 and shots[-1]["end_frame"] == 513
    kept = [s for s in shots if s["selected"]]
    assert kept and all(3.0 <= s["start"] < s["end"] <= 20.52 for s in kept)
    kept_seconds = sum(s["end"] - s["start"] for s in kept)
    assert document["selection"]["achieved"] == pytest.approx(kept_seconds / 17.52, abs=1e-6)
    assert 0.24 <= document["selection"]["achieved"] <= 0.3
    times, _ = _packets(tmp_path / "four_scenes.summary.mp4")
    assert len(times) == sum(s["end_frame"] - s["start_frame"] for s in kept)
    assert "Range          0:03.0 to 0:20.5 of the file" in out

    # The same range gives the same summary (its features come from the cache), another range another.
    code, _, _ = run_cli([four_scene_video.path, "-o", tmp_path / "again.mp4", "--start", "3", "--end", "20.5",
                          "--budget", "0.3", "-q"], capsys)
    again = _document(tmp_path / "again.json")
    assert again["run"]["feature_cache"] == "hit" and again["shots"] == document["shots"]
    code, _, _ = run_cli([four_scene_video.path, "-o", tmp_path / "whole.mp4", "--budget", "0.3", "-q"], capsys)
    whole = _document(tmp_path / "whole.json")
    assert "range" not in whole["sampling"] and "start" not in whole["options"]["values"]
    assert whole["options"]["fingerprint"] != document["options"]["fingerprint"]


@pytest.mark.slow
def test_start_end_with_either_rule_cuts_and_durations(four_scene_video, tmp_path):
    """A part of the file under both selection rules: shots start on the part's first frame and
    on the picture cuts inside it (6, 12 and 18 s: frames 150, 300, 450), the budget and
    --duration are of the part (a duration longer than it keeps all of it), and the JSON holds
    what the total rule needs to give the same shots (tests/test_total_selection.py)."""
    import jsonschema

    from summarize import Summarizer
    from summarize.outputs.summary_json import schema
    from tests.test_total_selection import rule_from_json

    summarizer = Summarizer(device="cpu", cache=False, start=3, end=20.5, budget=0.3)
    feats = summarizer.features(four_scene_video.path)
    assert feats.span == (75, 513) and feats.frame_indices.min() == 75 and feats.frame_indices.max() < 513
    span_seconds = 17.52
    for rule in ("total", "benchmark"):
        analysis = summarizer.with_options(selection=rule).analyze_features(feats)
        sel = analysis.selection
        assert sel.bounds[0, 0] == 75 and sel.bounds[-1, 1] == 513, rule
        assert (sel.bounds[1:, 0] == sel.bounds[:-1, 1]).all(), rule
        assert [b.frame for b in analysis.boundaries if b.kind == "cut"] == [150, 300, 450], rule
        assert analysis.boundary_kinds()[0] == "start"
        # The capacity is 30% of the part, not of the file (7.2 s).
        assert sel.capacity * sel.unit == pytest.approx(0.3 * span_seconds, abs=0.04), rule
        assert 0.2 * span_seconds <= analysis.kept_seconds <= 0.3 * span_seconds + 1e-6, rule
        whole = summarizer.with_options(selection=rule, duration=60.0).analyze_features(feats)
        assert whole.selection.selected.all() and whole.kept_seconds == pytest.approx(span_seconds), rule
        short = summarizer.with_options(selection=rule, duration=4.0).analyze_features(feats)
        assert 0 < short.kept_seconds <= 4.0, rule

        result = summarizer.with_options(selection=rule).write(analysis, tmp_path / f"{rule}.json", None)
        doc = result.document
        jsonschema.validate(json.loads((tmp_path / f"{rule}.json").read_text()), schema())
        assert doc["sampling"]["range"] == {"start": 3.0, "end": 20.52, "start_frame": 75, "end_frame": 513}
        assert doc["selection"]["achieved"] == pytest.approx(analysis.kept_seconds / span_seconds, abs=1e-6)
        assert [s["boundary"] for s in doc["shots"]][:1] == ["start"]
        if rule == "total":
            for options in ({"budget": 0.3}, {"budget": 0.1}, {"duration": 4.0}, {"duration": 60.0}):
                mine = rule_from_json(doc, budget=options.get("budget"), seconds=options.get("duration"))
                other = summarizer.with_options(**options).analyze_features(feats).selection
                assert mine == [(int(a), int(b)) for a, b in other.bounds[other.selected]], options


def test_output_names_are_checked_before_pytorch_loads(tmp_path):
    """Existing clips, images or extras under the names the run would write (-o FILE.mp4 rules
    included), a wrong -o and a wrong range are said before PyTorch is imported."""
    import subprocess
    import sys

    from tests.test_cli_startup import ROOT, _env, _imported

    video = tmp_path / "clip.mp4"
    video.write_bytes((ROOT / "examples" / "bigbuckbunny.mp4").read_bytes())
    (tmp_path / "clip-shot-004.jpg").write_bytes(b"")
    (tmp_path / "short.html").write_text("")
    cases = [
        (["--save-images"], 1, f"{tmp_path}/clip-shot-004.jpg already exists (use --overwrite to replace it)"),
        (["-o", str(tmp_path / "short.mp4"), "--report"], 1,
         f"{tmp_path}/short.html already exists (use --overwrite to replace it)"),
        (["-o", str(tmp_path / "short.mp4"), "--no-video"], 2,
         f"-o {tmp_path}/short.mp4 names the summary video, but --no-video writes none; give a folder"),
        (["--start", "10", "--end", "5"], 2, "--end must come after --start (10 s), got 5"),
    ]
    for args, code, line in cases:
        result = subprocess.run([sys.executable, "-X", "importtime", "-m", "summarize", str(video), *args],
                                capture_output=True, text=True, env=_env(), timeout=120)
        imported = _imported(result.stderr)
        assert "summarize._cli.app" in imported and "summarize.pipeline" not in imported, args
        assert not {name for name in imported if name.split(".")[0] == "torch"}, args
        errors = [e for e in result.stderr.splitlines() if not e.startswith("import time:")]
        assert result.returncode == code and len(errors) == 1 and errors[0].startswith(f"summarize: error: {line}"), \
            (args, result.stderr[-800:])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip-shot-004.jpg", "clip.mp4", "short.html"]


@pytest.mark.slow
def test_start_end_with_keyframe_sampling(four_scene_video):
    """--sampling keyframes samples the keyframes inside the part (the synthetic video has one
    every 250 frames: 0, 250, 500); a part with fewer than two is refused with the reason."""
    from summarize import Summarizer
    from summarize.errors import InputError

    summarizer = Summarizer(device="cpu", cache=False, sampling="keyframes", start=3, end=20.5)
    feats = summarizer.features(four_scene_video.path)
    assert feats.frame_indices.tolist() == [250, 500] and feats.span == (75, 513)
    assert feats.fps == pytest.approx(2 / 17.52)
    sel = summarizer.analyze_features(feats).selection
    assert sel.bounds[0, 0] == 75 and sel.bounds[-1, 1] == 513 and sel.selected.any()
    with pytest.raises(InputError, match=r"has 1 keyframe\(s\) to sample from 7\.000 s to 11\.000 s"):
        summarizer.with_options(start=7, end=11).features(four_scene_video.path)
