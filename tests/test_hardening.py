"""Real-world media and faults: nothing wrong with exit 0, no traceback, nothing lost (issue 10).

Every damaged or odd file is generated here (see tests/damaged.py).
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

from summarize import Summarizer
from summarize.errors import InputError, OutputError
from summarize.outputs import atomic_outputs
from summarize.outputs.atomic import remove_stale_partials
from summarize.outputs.verify import ExpectedShot, check_summary_video, output_frame_times
from summarize.selection import select_shots
from tests import damaged
from tests.synthetic import write_video

ROOT = Path(__file__).resolve().parents[1]


def _partials(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if ".partial-" in p.name or ".replaced-" in p.name]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _decode_all(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


# 1. Tracebacks -------------------------------------------------------------------------------

def test_an_audio_stream_without_a_decoder_is_left_out(tmp_path, summarizer):
    source = damaged.undecodable_audio(tmp_path)
    result = summarizer.summarize(source, tmp_path / "out")
    assert result.document["input"]["has_audio"] is False
    with av.open(str(result.video_path)) as container:
        assert len(container.streams.video) == 1 and not container.streams.audio


@pytest.mark.slow
@pytest.mark.parametrize("box", [b"stsz", b"stco"])
def test_a_damaged_sample_table_is_one_line_not_a_traceback(tmp_path, box):
    source = damaged.damaged_sample_table(tmp_path, box)
    result = subprocess.run([sys.executable, "-m", "summarize", str(source), "-o", str(tmp_path / "out"), "-q",
                             "--no-cache"], capture_output=True, text=True, env=_env(), timeout=300)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "ERROR opening" not in result.stderr  # decord's own logging stays quiet
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_full_disk_while_writing_is_an_output_error_with_nothing_left(tmp_path, summarizer, monkeypatch,
                                                                       four_scene_video):
    import summarize.outputs.summary_json as summary_json
    import summarize.outputs.video as video_module

    analysis = summarizer.analyze(four_scene_video.path)
    out = tmp_path / "out"
    out.mkdir()

    real_open = video_module.av.open

    class FullDisk:
        """The muxer's close, where MP4 writes its index, fails as on a full disk."""

        def __init__(self, container):
            self._container = container

        def __getattr__(self, name):
            return getattr(self._container, name)

        def close(self):
            self._container.close()
            raise av.error.OSError(errno.ENOSPC, "No space left on device")

    def opening(path, mode="r", **kwargs):
        container = real_open(path, mode, **kwargs)
        return FullDisk(container) if mode == "w" else container

    monkeypatch.setattr(video_module.av, "open", opening)
    with pytest.raises(OutputError, match="No space left on device"):
        summarizer.write(analysis, out / "v.summary.json", out / "v.summary.mp4")
    assert list(out.iterdir()) == []
    monkeypatch.undo()

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(summary_json.Path, "write_text", full)
    with pytest.raises(OutputError, match=r"cannot write .*v\.summary\.json \(No space left on device\)"):
        summarizer.write(analysis, out / "v.summary.json", out / "v.summary.mp4")
    assert list(out.iterdir()) == []


# 2. Exit 0 with a wrong summary ---------------------------------------------------------------

def test_the_check_finds_a_summary_holding_other_frames(tmp_path):
    video = write_video(tmp_path / "v.mp4", [(0, 2.0), (1, 2.0)], width=64, height=48, fps=25, audio=False)
    shots = [ExpectedShot(frames=50, duration=2.0, last_start=1.96)]
    assert len(output_frame_times(video.path)) == 100
    assert check_summary_video(video.path, [ExpectedShot(100, 4.0, 3.96)]) is None
    assert "100 frames" in check_summary_video(video.path, shots)
    # The right number of frames, but the first shot should have been shorter.
    assert "shot 1 (source 0.000 s) has 75 frames instead of 50" in check_summary_video(
        video.path, [ExpectedShot(50, 3.0, 2.94), ExpectedShot(50, 1.0, 0.98)])
    # The right frames, shifted by more than a frame (a seek that landed elsewhere).
    assert "frames from" in check_summary_video(video.path, [ExpectedShot(100, 4.0, 3.8)])


def test_timestamps_restarting_mid_stream_give_the_frames_the_json_names(tmp_path, summarizer):
    source = damaged.concatenated_ts(tmp_path)
    result = summarizer.summarize(source, tmp_path / "out")
    doc = result.document
    assert doc["input"]["duration"] == pytest.approx(12.0, abs=0.05)  # both halves, one after the other
    kept = [s for s in doc["shots"] if s["selected"]]
    # The frames of the summary are the source frames the JSON names (decoded in order).
    source_frames = _decode_all(source)
    expected = np.concatenate([np.stack(source_frames[s["start_frame"]:s["end_frame"]]) for s in kept])
    written = np.stack(_decode_all(result.video_path))
    assert len(written) == len(expected)
    assert np.abs(written.astype(int).mean(axis=(1, 2, 3)) - expected.astype(int).mean(axis=(1, 2, 3))).max() < 4


def test_a_writer_that_lands_elsewhere_is_caught_and_rewritten_exactly(tmp_path, summarizer, monkeypatch,
                                                                      four_scene_video):
    import summarize.outputs.video as video_module

    real = video_module.Cutter.frames_between

    def late(self, start, stop):  # seeking that lands one second late (edit lists, VVC)
        return real(self, start + 1.0, stop + 1.0)

    monkeypatch.setattr(video_module.Cutter, "frames_between", late)
    result = summarizer.summarize(four_scene_video.path, tmp_path)
    assert check_summary_video(result.video_path, result.analysis.expected_shots()) is None

    def nothing(self, first, stop):
        return iter(())

    monkeypatch.setattr(video_module.Cutter, "frames_by_index", nothing)
    with pytest.raises(InputError, match="cannot write a faithful summary .* sequential decoding"):
        summarizer.summarize(four_scene_video.path, tmp_path / "again")
    assert not (tmp_path / "again").exists() or list((tmp_path / "again").iterdir()) == []


# 3. The budget is a fraction of the duration --------------------------------------------------

def test_budget_counts_seconds_on_a_variable_frame_rate_video(tmp_path, summarizer):
    source = damaged.vfr_60_then_1(tmp_path / "vfr.mp4")
    result = summarizer.summarize(source, tmp_path, write_video=False)
    duration = result.document["input"]["duration"]
    assert duration == pytest.approx(59.04, abs=0.1)
    kept = result.document["summary"]["duration"]
    assert 0.8 * 0.15 * duration <= kept <= 0.15 * duration + 1e-6  # was 38% when counted in frames
    assert result.document["selection"]["achieved"] == pytest.approx(kept / duration, abs=1e-6)


def test_a_batch_rerun_redoes_summaries_of_the_older_format(tmp_path, summarizer, monkeypatch, four_scene_video):
    import summarize.outputs.summary_json as summary_json
    from summarize.batch import run_batch
    from summarize.outputs import FORMAT_VERSION, schema

    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(four_scene_video.path.read_bytes())
    with monkeypatch.context() as old:  # a summary written before the budget counted seconds
        old.setattr(summary_json, "FORMAT_VERSION", 1)  # in the fingerprint and the document
        first = run_batch(folder, tmp_path / "out", summarizer=summarizer, write_video=False)
    assert first.count("ok") == 1
    assert json.loads((tmp_path / "out" / "a.summary.json").read_text())["format_version"] == 1
    again = run_batch(folder, tmp_path / "out", summarizer=summarizer, write_video=False)
    assert [(e.status, e.reason) for e in again.entries] == [
        ("ok", f"redone: made by another version (summary format 1, now {FORMAT_VERSION})")]
    document = json.loads((tmp_path / "out" / "a.summary.json").read_text())
    assert document["format_version"] == FORMAT_VERSION == schema()["properties"]["format_version"]["const"] >= 2
    assert run_batch(folder, tmp_path / "out", summarizer=summarizer, write_video=False).count("skipped") == 1


def test_seconds_and_frames_pick_the_same_shots_at_a_constant_rate():
    rng = np.random.default_rng(0)
    cuts = np.sort(rng.choice(np.arange(1, 1000), 40, replace=False))
    bounds = np.stack([np.r_[0, cuts], np.r_[cuts, 1000]], axis=1)
    scores = rng.random(1000)
    frames = select_shots(bounds, scores, 0.15)
    seconds = select_shots(bounds, scores, 0.15, frame_durations=np.full(1000, 1 / 29.97))
    assert np.array_equal(frames.selected, seconds.selected) and frames.capacity == seconds.capacity


def test_a_single_frame_longer_than_the_budget_ends_the_splitting():
    durations = np.r_[np.full(10, 0.1), [1000.0]]
    selection = select_shots(np.array([[0, 10], [10, 11]]), np.ones(11), 0.15, frame_durations=durations)
    assert selection.selected.tolist()[-1] is False


# 5. Playable files refused --------------------------------------------------------------------

def test_a_decord_failure_after_opening_falls_back_to_pyav(tmp_path, monkeypatch):
    from summarize.decoding.decord_backend import DecordDecoder

    source = damaged.odd_size_vp9(tmp_path)

    def eagain(self, plan, batch_size):
        raise InputError("decoding failed at 0.0 s (Resource temporarily unavailable)")
        yield  # pragma: no cover

    monkeypatch.setattr(DecordDecoder, "iter_batches", eagain)
    # decord is no longer the default (PyAV is): the fallback is that of --decoder decord.
    result = Summarizer(cache=False, device="cpu", decoder="decord").summarize(source, tmp_path / "out")
    assert result.document["input"]["decoder"] == "pyav"
    assert "decord failed (decoding failed at 0.0 s" in result.document["input"]["decoder_note"]
    assert (result.document["input"]["width"], result.document["input"]["height"]) == (97, 61)


def test_a_file_decord_cannot_open_is_decoded_by_pyav_with_a_note(tmp_path):
    video = write_video(tmp_path / "phone.mp4", [(4, 1.0), (5, 1.0)], width=160, height=96, fps=10,
                        audio=False, rotation=90)
    document = Summarizer(cache=False, device="cpu", decoder="decord").summarize(
        video.path, tmp_path / "out", write_video=False).document
    assert document["input"]["decoder"] == "pyav"
    assert document["input"]["decoder_note"].startswith("decord failed (decord cannot scale rotated videos")
    assert (document["input"]["width"], document["input"]["height"]) == (96, 160)


def test_a_clip_shorter_than_the_sampling_interval_is_summarized(tmp_path, summarizer):
    source = damaged.short_clip(tmp_path, 0.3)
    result = summarizer.summarize(source, tmp_path / "out")
    assert result.document["sampling"]["n_samples"] >= 2
    assert result.document["sampling"]["fps"] > 2.0
    one = damaged.frames_at(tmp_path / "one.mp4", [0.0], [0])
    with pytest.raises(InputError, match="single video frame"):
        summarizer.summarize(one, tmp_path / "out")


# 6. Outputs all-or-nothing --------------------------------------------------------------------

def test_a_failed_rename_leaves_the_old_pair_intact(tmp_path, monkeypatch):
    video, document = tmp_path / "a.summary.mp4", tmp_path / "a.summary.json"
    video.write_text("old video")
    document.write_text("old json")
    real_replace = os.replace

    def failing(src, dst):
        if Path(dst) == document:
            raise OSError(errno.EIO, "Input/output error")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OutputError, match="a.summary.json"):
        with atomic_outputs(video, document) as (tmp_video, tmp_json):
            tmp_video.write_text("new video")
            tmp_json.write_text("new json")
    assert video.read_text() == "old video" and document.read_text() == "old json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.summary.json", "a.summary.mp4"]


def test_two_concurrent_runs_on_the_same_outputs_one_wins_none_is_lost(tmp_path, summarizer, four_scene_video):
    analysis = summarizer.analyze(four_scene_video.path)
    start = threading.Barrier(2)
    outcomes = []

    def run():
        start.wait()
        try:
            summarizer.write(analysis, tmp_path / "v.summary.json", tmp_path / "v.summary.mp4", overwrite=False)
            outcomes.append("ok")
        except OutputError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1, outcomes
    assert "v.summary.mp4 already exists" in [o for o in outcomes if o != "ok"][0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.summary.json", "v.summary.mp4"]


# 7. Input changed while reading ---------------------------------------------------------------

def test_a_file_truncated_while_its_summary_is_written_fails(tmp_path, summarizer):
    source = write_video(tmp_path / "v.mp4", [(0, 3.0), (1, 3.0), (2, 3.0)], width=96, height=64).path
    size = source.stat().st_size

    def truncate_while_writing(stage, fraction):
        if stage == "writing" and source.stat().st_size == size:
            with open(source, "r+b") as fh:
                fh.truncate(size // 2)

    with pytest.raises(InputError, match="while it was being summarized"):
        summarizer.summarize(source, tmp_path / "out", progress=truncate_while_writing)
    assert list((tmp_path / "out").iterdir()) == []


# 8. Leftovers and signals ---------------------------------------------------------------------

@pytest.mark.slow
def test_sigterm_leaves_no_partial_files_and_the_next_run_removes_a_killed_runs(tmp_path, four_scene_video):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".four_scenes.summary.partial-{dead.pid}-0123abcd.mp4"
    stale.write_text("left by a SIGKILLed run")
    mine = tmp_path / f".four_scenes.summary.partial-{os.getpid()}-0123abcd.mp4"
    mine.write_text("a run still going")
    out = tmp_path / "out"
    out.mkdir()
    for path in (stale, mine):
        path.rename(out / path.name)
    stale, mine = out / stale.name, out / mine.name
    command = [sys.executable, "-m", "summarize", str(four_scene_video.path), "-o", str(out), "--no-cache",
               "--budget", "0.5"]
    process = subprocess.Popen(command, env=_env(), stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    # SIGTERM while the summary is being written (its partial files exist).
    while time.time() < deadline and process.poll() is None and not any(
            f"partial-{process.pid}-" in p.name for p in out.iterdir()):
        time.sleep(0.005)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    if process.returncode == 0:
        pytest.skip("the run finished before SIGTERM arrived (a very fast machine)")
    assert process.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert not (out / "four_scenes.summary.json").exists() and not (out / "four_scenes.summary.mp4").exists()
    # The interrupted run removed its own partial files and, before writing, the leftover
    # of the dead process, never a live process's.
    assert [p.name for p in _partials(out)] == [mine.name]
    assert remove_stale_partials(out / "four_scenes.summary.mp4") == []


def test_stale_partials_of_dead_processes_are_removed_by_the_next_write(tmp_path, summarizer, four_scene_video):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = [tmp_path / f".four_scenes.summary.partial-{dead.pid}-0123abcd.mp4",
             tmp_path / f".four_scenes.summary.partial-{dead.pid}-4567cdef.json"]
    for path in stale:
        path.write_text("left by a SIGKILLed run")
    other = tmp_path / f".other.summary.partial-{dead.pid}-0123abcd.mp4"
    other.write_text("another output's")
    summarizer.summarize(four_scene_video.path, tmp_path)
    assert not any(p.exists() for p in stale) and other.exists()


# 10. Cost follows the content -----------------------------------------------------------------

def count_encodings(summarizer, monkeypatch) -> list[int]:
    """The sizes of the batches the summarizer's backbone encodes from now on."""
    encoded: list[int] = []
    real = type(summarizer.backbone).encode

    def counting(self, frames):
        encoded.append(len(frames))
        return real(self, frames)

    monkeypatch.setattr(type(summarizer.backbone), "encode", counting)
    return encoded


def test_samples_showing_one_frame_are_encoded_once(tmp_path, summarizer, monkeypatch):
    source = damaged.long_gap(tmp_path / "gap.mp4", frames=50, gap=1800.0)
    encoded = count_encodings(summarizer, monkeypatch)
    feats = summarizer.features(source)
    # 3602 samples over 30 minutes show 5 source frames (0, 12 and 24, then 25 and 37 after
    # the gap), of two still pictures: identical decoded frames are encoded once too.
    assert feats.n_samples == 3602 and len(np.unique(feats.frame_indices)) == 5
    assert 2 <= sum(encoded) <= 5
    assert np.array_equal(feats.features[100], feats.features[25])  # one frame, one feature


@pytest.mark.slow
def test_an_hour_at_one_fps_encodes_each_distinct_frame_once(tmp_path, summarizer, monkeypatch):
    # The time target (under 60 s on a 2-core CPU) is a benchmark's to measure, not a timed
    # test's (see GUIDE); here: 7,200 samples of 3,600 frames never cost 7,200 encodings.
    source = damaged.one_fps_hour(tmp_path / "hour.mp4")
    encoded = count_encodings(summarizer, monkeypatch)
    result = summarizer.summarize(source, tmp_path, write_video=False)
    # 7,199 or 7,200 samples (the last frame's duration is the decoder's guess) of 3,600 frames.
    assert result.document["sampling"]["n_samples"] in (7199, 7200)
    assert len(np.unique(result.analysis.features.frame_indices)) == 3600
    assert 60 <= sum(encoded) <= 3600  # 60 still scenes of a minute each


# 11. Odd names --------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_file_name_starting_with_a_dash_works_after_double_dash(tmp_path, four_scene_video):
    dashed = tmp_path / "-x.mp4"
    dashed.write_bytes(four_scene_video.path.read_bytes())
    result = subprocess.run([sys.executable, "-m", "summarize", "--no-video", "-q", "--no-cache", "--", "-x.mp4"],
                            cwd=tmp_path, capture_output=True, text=True, env=_env(), timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "-x.summary.json").is_file()


# 9. Batch under faults ------------------------------------------------------------------------

@pytest.mark.slow
def test_batch_on_a_full_output_disk_records_output_errors_and_prints_its_table(tmp_path, monkeypatch, capsys,
                                                                                four_scene_video):
    import summarize.batch.index as index_module
    import summarize.outputs.summary_json as summary_json
    from summarize._cli import main

    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4"):
        (folder / name).write_bytes(four_scene_video.path.read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    real_write_text = Path.write_text

    def full(self, *args, **kwargs):
        if self.parent == out:  # every file under the output folder: summaries and the index
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(index_module, "WRITE_ATTEMPTS", 2)
    monkeypatch.setattr(summary_json.Path, "write_text", full)
    with pytest.raises(SystemExit) as exit_info:
        main(["batch", str(folder), "-o", str(out), "--no-video", "--no-cache"])
    captured = capsys.readouterr()
    assert exit_info.value.code == 1
    assert "Summarized" in captured.out and "Failed" in captured.out  # the final table is printed
    assert captured.err.count("No space left on device") >= 3  # two videos and the index
    assert "internal error" not in captured.err and "Traceback" not in captured.err
    assert "cannot write the run index" in captured.err.splitlines()[-1]
    assert _partials(out) == [] and not list(out.glob("*.summary.json"))


def test_batch_lists_an_unreadable_sub_folder(tmp_path, monkeypatch, capsys, four_scene_video):
    from summarize._cli import main

    folder = tmp_path / "videos"
    (folder / "locked").mkdir(parents=True)
    (folder / "locked" / "c.mp4").write_bytes(b"unseen")
    (folder / "a.mp4").write_bytes(four_scene_video.path.read_bytes())
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path).name == "locked":  # chmod 000 does not stop root, so the refusal is simulated
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(SystemExit) as exit_info:
        main(["batch", str(folder), "-r", "--no-video", "--no-cache"])
    captured = capsys.readouterr()
    assert exit_info.value.code == 1
    assert "Unreadable folders" in captured.out and "locked/" in captured.out
    rows = {r["input"]: r for r in json.loads((folder / "index.json").read_text())["videos"]}
    assert rows["a.mp4"]["status"] == "ok"
    assert rows["locked/"] == {**rows["locked/"], "status": "failed",
                               "reason": "folder cannot be read: Permission denied"}


# 4. Damaged input: an error naming the time by default, --salvage on request ------------------

def _damaged_packet_times(path: Path, start: int, stop: int) -> list[float]:
    """Times of the video packets whose bytes lie in [start, stop) of ``path``."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        first, times = None, []
        for packet in container.demux(stream):
            if packet.pts is None or packet.pos is None:
                continue
            first = packet.pts if first is None else first
            if packet.pos < stop and packet.pos + packet.size > start:
                times.append(float((packet.pts - first) * stream.time_base))
    assert times, "no video packet in the damaged bytes"
    return times


def test_mid_file_bit_rot_is_an_error_at_the_right_time_and_salvage_summarizes_the_rest(tmp_path):
    clean = write_video(tmp_path / "clean.mp4", [(k, 2.0) for k in range(4)], width=96, height=64).path
    size = clean.stat().st_size
    rotten = damaged.bit_rot(clean, tmp_path / "rotten.mp4", at=0.6, length=2000, seed=6)
    start = int(size * 0.6)
    hit = _damaged_packet_times(clean, start, start + 2000)
    assert 3.0 < min(hit) < 6.5  # damage at 60% of the bytes, not at 0.0 s
    with pytest.raises(InputError) as info:
        Summarizer(cache=False, device="cpu").summarize(rotten, tmp_path / "out")
    message = str(info.value)
    # The time named is that of the damaged packets, or a few frames later: frame-threaded
    # decoders report an error some packets after the one that caused it.
    when = float(re.search(r"is damaged at ([0-9.]+) s of 8\.00 s", message).group(1))
    assert min(hit) - 0.005 <= when <= max(hit) + 0.4, (when, hit)
    assert "--salvage" in message
    assert list((tmp_path / "out").iterdir()) == []

    result = Summarizer(cache=False, device="cpu", salvage=True).summarize(rotten, tmp_path / "out")
    damaged_ranges = result.document["input"]["damaged"]
    assert damaged_ranges and min(hit) - 0.005 <= damaged_ranges[0][0] <= max(hit) + 0.4
    assert all(a < b <= 8.0 for a, b in damaged_ranges) and result.document["input"]["missing"] == []
    assert result.document["options"]["values"]["salvage"] is True


def test_salvage_records_the_missing_end_of_a_truncated_file(tmp_path):
    clean = write_video(tmp_path / "clean.mkv", [(k, 2.0) for k in range(4)], width=96, height=64).path
    cut = damaged.truncated(clean, tmp_path / "cut.mkv", 0.6)
    with pytest.raises(InputError, match="is truncated: it declares 8.0 s"):
        Summarizer(cache=False, device="cpu").summarize(cut, tmp_path / "out")
    result = Summarizer(cache=False, device="cpu", salvage=True).summarize(cut, tmp_path / "out")
    (start, end), = result.document["input"]["missing"]
    assert 3.0 < start < 6.0 and end == pytest.approx(8.0, abs=0.05)
    assert result.document["input"]["duration"] == pytest.approx(start, abs=0.1)


def test_salvage_conceals_damaged_frames_inside_a_kept_shot_and_says_where(tmp_path):
    clean = write_video(tmp_path / "clean.mp4", [(k, 2.0) for k in range(4)], width=96, height=64).path
    rotten = damaged.bit_rot(clean, tmp_path / "rotten.mp4", at=0.6, length=2000, seed=6)
    result = Summarizer(cache=False, device="cpu", salvage=True, budget=1.0).summarize(rotten, tmp_path / "out")
    document = result.document
    (lost_start, lost_end), = document["input"]["damaged"]
    concealed = document["outputs"]["video_encoding"]["concealed"]
    # Every concealed frame lies in the damaged range, and the damaged frames were kept.
    assert concealed and all(lost_start - 0.005 <= a < b <= lost_end + 0.005 for a, b in concealed)
    times = output_frame_times(result.video_path)
    assert len(times) == 200 and np.allclose(times, np.arange(200) / 25, atol=1e-3)  # every frame, in place
    frames = _decode_all(result.video_path)
    first, last = (int(round(t * 25)) for t in concealed[0])
    before = frames[first - 1].astype(np.int16)
    for number in range(first, last):  # shown as the last frame that decoded
        assert np.abs(frames[number].astype(np.int16) - before).mean() < 1.0, number
    assert np.abs(frames[last + 1].astype(np.int16) - before).mean() > 3.0  # the picture moves on after
    assert check_summary_video(result.video_path, result.analysis.expected_shots()) is None
