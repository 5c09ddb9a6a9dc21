"""Batch runs: discovery, output planning, resume rules, the run index, stopping and resuming."""

import contextlib
import csv
import json
import os
import shutil
import threading

import pytest

from summarize import Summarizer
from summarize.batch import (COLUMNS, BatchProgress, check_outputs, find_videos, is_candidate, plan_outputs,
                             run_batch)
from summarize.errors import OutputError, UsageError
from tests.synthetic import write_video


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Three short videos with distinct scenes (made once, copied into each test's folder)."""
    folder = tmp_path_factory.mktemp("clips")
    return [write_video(folder / f"{name}.mp4", [(k, 2.0), (k + 1, 2.0)], width=160, height=96, fps=20).path
            for k, name in enumerate(["alpha", "beta", "gamma"])]


@pytest.fixture(scope="module")
def shared_summarizer():
    return Summarizer(cache=False, device="cpu")


def _folder(tmp_path, clips, names=("alpha", "beta", "gamma")):
    folder = tmp_path / "videos"
    folder.mkdir()
    for clip in clips:
        if clip.stem in names:
            shutil.copy(clip, folder / clip.name)
    return folder


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def _names(paths, root):
    return [p.relative_to(root).as_posix() for p in paths]


def test_videos_are_found_by_extension_in_any_case(tmp_path):
    for name in ["a.mp4", "b.MOV", "c.mkv", "d.WebM", "e.avi", "f.m4v", "notes.txt", "g.mp3", "mp4",
                 "h.summary.mp4", ".hidden.mp4", ".i.summary.partial-1a2b3c4d.mp4", "sub/j.mp4"]:
        _touch(tmp_path / name)
    (tmp_path / "dir.mp4").mkdir()  # a folder named like a video is no video
    _touch(tmp_path / "dir.mp4" / "k.mp4")
    assert _names(find_videos(tmp_path), tmp_path) == ["a.mp4", "b.MOV", "c.mkv", "d.WebM", "e.avi", "f.m4v"]
    assert _names(find_videos(tmp_path, recursive=True), tmp_path) == [
        "a.mp4", "b.MOV", "c.mkv", "d.WebM", "dir.mp4/k.mp4", "e.avi", "f.m4v", "sub/j.mp4"]
    assert _names(find_videos(tmp_path, recursive=True, pattern="*.MP4"), tmp_path) == [
        "a.mp4", "dir.mp4/k.mp4", "sub/j.mp4"]
    assert _names(find_videos(tmp_path, pattern="[bc].*"), tmp_path) == ["b.MOV", "c.mkv"]
    assert is_candidate("clip.MP4") and not is_candidate("clip.summary.MP4") and not is_candidate("clip")


def test_the_clips_of_split_are_not_taken_as_videos(tmp_path):
    """NAME-shot-NNN.mp4 beside NAME.summary.json (or NAME.json, with -o NAME.mp4) is a clip of
    `summarize --split`; the same name without such a JSON is a video like any other."""
    for name in ["talk.mp4", "talk.summary.mp4", "talk.summary.json", "talk-shot-001.mp4", "talk-shot-012.mp4",
                 "talk-shot-003.jpg", "short.mp4", "short.json", "short-shot-1000.mp4", "party-shot-001.mp4",
                 "sub/talk-shot-002.mp4", "talk-shot-01.mp4"]:
        _touch(tmp_path / name)
    assert _names(find_videos(tmp_path, recursive=True), tmp_path) == [
        "party-shot-001.mp4", "short.mp4", "sub/talk-shot-002.mp4", "talk-shot-01.mp4", "talk.mp4"]


def test_link_loops_end_and_unreadable_names_are_kept_for_the_index(tmp_path):
    _touch(tmp_path / "sub" / "a.mp4")
    os.symlink("..", tmp_path / "sub" / "up")  # a folder loop
    os.symlink("loop.mp4", tmp_path / "loop.mp4")  # a file loop: listed, to fail with its reason
    os.symlink("gone.mkv", tmp_path / "dangling.mkv")
    os.symlink(tmp_path / "sub", tmp_path / "linked")  # the same folder twice: listed once, by its real path
    found = find_videos(tmp_path, recursive=True)
    assert _names(found, tmp_path) == ["dangling.mkv", "loop.mp4", "sub/a.mp4"]


def test_output_folder_inside_the_input_is_not_searched(tmp_path):
    _touch(tmp_path / "a.mp4")
    _touch(tmp_path / "out" / "old.mp4")
    assert _names(find_videos(tmp_path, recursive=True, exclude=tmp_path / "out"), tmp_path) == ["a.mp4"]


def test_not_a_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such folder"):
        find_videos(tmp_path / "nope")
    with pytest.raises(UsageError, match=r"is not a folder; to summarize one video run: summarize"):
        find_videos(_touch(tmp_path / "a.mp4"))


def test_outputs_mirror_the_tree_and_same_stems_keep_apart(tmp_path):
    videos = [tmp_path / "a.mp4", tmp_path / "a.MOV", tmp_path / "b.mkv", tmp_path / "sub" / "a.mp4"]
    out = tmp_path / "out"
    items = plan_outputs(videos, tmp_path, out)
    assert [(i.name, i.json_path.relative_to(out).as_posix(), i.video_path.relative_to(out).as_posix())
            for i in items] == [
        ("a.mp4", "a.mp4.summary.json", "a.mp4.summary.mp4"),
        ("a.MOV", "a.MOV.summary.json", "a.MOV.summary.mp4"),
        ("b.mkv", "b.summary.json", "b.summary.mp4"),
        ("sub/a.mp4", "sub/a.summary.json", "sub/a.summary.mp4"),
    ]
    beside = plan_outputs(videos[2:], tmp_path, None, write_video=False)
    assert [(i.json_path, i.video_path) for i in beside] == [
        (tmp_path / "b.summary.json", None), (tmp_path / "sub" / "a.summary.json", None)]


def _index(folder):
    document = json.loads((folder / "index.json").read_text())
    with open(folder / "index.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == COLUMNS if rows else True
    assert [r["input"] for r in rows] == [v["input"] for v in document["videos"]]
    return document, rows


# The columns of a video's row that say what this run did with it, which a rerun changes: status
# and reason (skipped, up to date: where the first run said ok, ""), seconds (spent in this run:
# none on a skip) and finished (when this run recorded it). Every other column describes the
# video and its outputs, which a skip leaves as they were.
RERUN_COLUMNS = {"status", "reason", "seconds", "finished"}


def assert_resumed_index(first, resumed, skipped):
    """``resumed`` (index.json's document and index.csv's rows after a rerun) lists every
    video of ``first`` (an interrupted run's index lists fewer) with the same value in every
    column but RERUN_COLUMNS; ``skipped`` videos are skipped, up to date, in no time; the others
    listed were run again with the same outcome."""
    (document, rows), (again, again_rows) = first, resumed
    run_keys = ("started", "updated", "complete", "counts", "videos")
    assert {k: v for k, v in again.items() if k not in run_keys} == {
        k: v for k, v in document.items() if k not in run_keys}
    assert sorted(r["input"] for r in again["videos"] if r["status"] == "skipped") == sorted(skipped)
    for kind, before, after in (("json", document["videos"], again["videos"]), ("csv", rows, again_rows)):
        now = {r["input"]: r for r in after}
        assert [name for name in now if name in {r["input"] for r in before}] == [r["input"] for r in before], kind
        for old in before:
            new = now[old["input"]]
            assert list(new) == list(old), kind
            assert {k: v for k, v in new.items() if k not in RERUN_COLUMNS} == {
                k: v for k, v in old.items() if k not in RERUN_COLUMNS}, (kind, old["input"])
            assert new["finished"] >= old["finished"], (kind, old["input"])
            if old["input"] in skipped:
                assert (old["status"], new["status"], new["reason"]) == ("ok", "skipped", "up to date"), kind
                assert float(new["seconds"]) == 0, kind
            else:
                assert (new["status"], new["reason"]) == (old["status"], old["reason"]), (kind, old["input"])


@pytest.mark.slow
def test_a_run_summarizes_records_and_resumes(tmp_path, clips, shared_summarizer):
    folder = _folder(tmp_path, clips)
    (folder / "broken.mp4").write_text("not a video")
    out = tmp_path / "out"
    report = run_batch(folder, out, summarizer=shared_summarizer)
    assert (report.count("ok"), report.count("skipped"), report.count("failed")) == (3, 0, 1)
    document, rows = _index(out)
    assert document["complete"] is True and document["counts"] == {"ok": 3, "skipped": 0, "failed": 1, "pending": 0}
    assert document["options"]["fingerprint"] == shared_summarizer.options_fingerprint()
    by_name = {r["input"]: r for r in rows}
    assert list(by_name) == ["alpha.mp4", "beta.mp4", "broken.mp4", "gamma.mp4"]
    assert by_name["broken.mp4"]["status"] == "failed"
    assert by_name["broken.mp4"]["reason"].startswith("not a video file FFmpeg can read")
    assert by_name["broken.mp4"]["summary_json"] == ""
    for name in ("alpha", "beta", "gamma"):
        row = by_name[f"{name}.mp4"]
        assert (row["status"], row["reason"]) == ("ok", "")
        assert (row["summary_json"], row["summary_video"]) == (f"{name}.summary.json", f"{name}.summary.mp4")
        summary = json.loads((out / row["summary_json"]).read_text())
        assert float(row["duration"]) == summary["input"]["duration"] == pytest.approx(4.0)
        assert float(row["kept_seconds"]) == summary["summary"]["duration"] > 0
        assert (out / row["summary_video"]).is_file()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["index.csv", "index.json"] + [f"{n}.summary.{e}" for n in ("alpha", "beta", "gamma") for e in ("json", "mp4")])

    # A rerun skips what is done and retries what failed: its index is the first run's.
    again = run_batch(folder, out, summarizer=shared_summarizer)
    assert (again.count("ok"), again.count("skipped"), again.count("failed")) == (0, 3, 1)
    assert_resumed_index((document, rows), _index(out), skipped=["alpha.mp4", "beta.mp4", "gamma.mp4"])

    # A changed input, a missing video and --force redo; other options redo all.
    os.utime(folder / "alpha.mp4")
    (out / "beta.summary.mp4").unlink()
    again = run_batch(folder, out, summarizer=shared_summarizer)
    reasons = {e.input: (e.status, e.reason) for e in again.entries}
    assert reasons["alpha.mp4"] == ("ok", "redone: input changed since its summary")
    assert reasons["beta.mp4"] == ("ok", "redone: summary video missing")
    assert reasons["gamma.mp4"] == ("skipped", "up to date")
    forced = run_batch(folder, out, summarizer=shared_summarizer, force=True)
    assert {e.input: e.reason for e in forced.entries if e.status == "ok"} == {
        f"{n}.mp4": "redone: --force" for n in ("alpha", "beta", "gamma")}
    other = run_batch(folder, out, budget=0.3, cache=False, device="cpu")
    assert {e.reason for e in other.entries if e.status == "ok"} == {
        "redone: made with other options (budget 0.15 -> 0.3)"}


def test_check_outputs_explains_itself(tmp_path, clips, shared_summarizer):
    folder = _folder(tmp_path, clips, names=("alpha",))
    run_batch(folder, None, summarizer=shared_summarizer, write_video=False)  # beside the video
    (item,) = plan_outputs([folder / "alpha.mp4"], folder, None, write_video=False)
    options = {"fingerprint": shared_summarizer.options_fingerprint(), "values": shared_summarizer.output_options()}
    assert check_outputs(item, options).up_to_date
    with_video = plan_outputs([folder / "alpha.mp4"], folder, None)[0]
    assert check_outputs(with_video, options).reason == "summary video missing"
    document = json.loads(item.json_path.read_text())
    document["input"]["size_bytes"] += 1
    item.json_path.write_text(json.dumps(document))
    assert check_outputs(item, options).reason == "input changed since its summary"
    del document["options"]  # written before summaries recorded their options
    document["input"]["size_bytes"] -= 1
    item.json_path.write_text(json.dumps(document))
    assert check_outputs(item, options).reason == "made with other options (none recorded)"
    item.json_path.write_text("{")
    assert check_outputs(item, options).reason == "existing summary JSON unreadable"
    item.json_path.unlink()
    assert check_outputs(item, options).reason == "no summary yet"


def _partial_files(folder):
    return [p for p in folder.rglob("*") if ".partial-" in p.name or p.name.startswith(".summarize-")]


class _StopAfterFirst(BatchProgress):
    def __init__(self, stop=None, interrupt=False):
        self.stop, self.interrupt, self.finished = stop, interrupt, []

    def video_finished(self, worker, item, entry):  # called in the thread that called run_batch
        self.finished.append(item.name)
        if self.interrupt:
            raise KeyboardInterrupt
        self.stop.set()


@pytest.mark.parametrize("how", ["stop-event", "ctrl-c"])
def test_a_stopped_run_leaves_no_partial_outputs_and_a_rerun_continues(tmp_path, clips, shared_summarizer, how):
    folder = _folder(tmp_path, clips)
    out = tmp_path / "out"
    stop = threading.Event()
    listener = _StopAfterFirst(stop, interrupt=how == "ctrl-c")
    if how == "ctrl-c":
        with pytest.raises(KeyboardInterrupt):
            run_batch(folder, out, summarizer=shared_summarizer, jobs=2, progress=listener)
    else:
        report = run_batch(folder, out, summarizer=shared_summarizer, jobs=2, progress=listener, stop=stop)
        assert report.interrupted
    document, rows = _index(out)
    assert document["complete"] is False and _partial_files(out) == []
    done = [r["input"] for r in rows if r["status"] == "ok"]
    assert listener.finished[0] in done and document["counts"]["pending"] == 3 - len(rows)
    for name in done:  # what the index lists is complete
        assert (out / name.replace(".mp4", ".summary.json")).is_file()
    summaries = sorted(p.name for p in out.glob("*.summary.json"))
    assert summaries == sorted(n.replace(".mp4", ".summary.json") for n in done)

    report = run_batch(folder, out, summarizer=shared_summarizer)
    assert report.count("skipped") == len(done) and report.count("ok") == 3 - len(done)
    assert _index(out)[0]["complete"] is True


def test_a_video_whose_outputs_are_in_place_is_indexed_whatever_stop_arrives_after(tmp_path, clips,
                                                                                      shared_summarizer, monkeypatch):
    import summarize.pipeline as pipeline

    stop, real = threading.Event(), pipeline.atomic_outputs

    @contextlib.contextmanager
    def then_stop(*finals, **options):  # the stop arrives the instant the outputs are renamed into place
        with real(*finals, **options) as temps:
            yield temps
        assert all(path.is_file() for path in finals)
        stop.set()

    monkeypatch.setattr(pipeline, "atomic_outputs", then_stop)
    folder, out = _folder(tmp_path, clips), tmp_path / "out"
    report = run_batch(folder, out, summarizer=shared_summarizer, stop=stop)
    assert report.interrupted
    document, rows = _index(out)
    assert [(r["input"], r["status"]) for r in rows] == [("alpha.mp4", "ok")]
    assert document["complete"] is False and document["counts"]["pending"] == 2
    assert sorted(p.name for p in out.glob("*.summary.*")) == ["alpha.summary.json", "alpha.summary.mp4"]


def test_writing_reports_done_once_and_only_when_the_outputs_are_in_place(tmp_path, clips, shared_summarizer):
    heard = []

    def progress(stage, fraction):
        if stage == "writing":
            heard.append((fraction, (tmp_path / "alpha.summary.json").is_file()))

    shared_summarizer.summarize(clips[0], tmp_path, progress=progress)
    assert heard[-1] == (1.0, True) and len(heard) > 2
    assert all(fraction < 1.0 and not done for fraction, done in heard[:-1])


def test_an_unexpected_error_fails_one_video_and_is_kept_for_a_bug_report(tmp_path, clips, monkeypatch):
    folder = _folder(tmp_path, clips)
    analyze = Summarizer.analyze

    def buggy(self, path, progress):
        if path.name == "beta.mp4":
            raise ZeroDivisionError("division by zero")
        return analyze(self, path, progress)

    monkeypatch.setattr(Summarizer, "analyze", buggy)  # the class: jobs work on copies sharing the model
    report = run_batch(folder, tmp_path / "out", summarizer=Summarizer(cache=False, device="cpu"), jobs=2)
    assert [(e.input, e.status, e.reason) for e in report.index.ordered()] == [
        ("alpha.mp4", "ok", ""), ("beta.mp4", "failed", "internal error: ZeroDivisionError: division by zero"),
        ("gamma.mp4", "ok", "")]
    ((name, trace),) = report.internal_errors
    assert name == "beta.mp4" and "Traceback" in trace and "ZeroDivisionError" in trace


def test_someone_elses_index_is_never_overwritten(tmp_path, clips, shared_summarizer):
    folder = _folder(tmp_path, clips, names=("alpha",))
    (folder / "index.json").write_text('{"my": "catalogue"}')
    with pytest.raises(OutputError, match=r"index\.json exists and is not a summarize index; move it or choose"):
        run_batch(folder, None, summarizer=shared_summarizer)
    assert (folder / "index.json").read_text() == '{"my": "catalogue"}'
    assert not (folder / "alpha.summary.json").exists()


def test_two_jobs_give_the_same_summaries_as_one(tmp_path, clips, shared_summarizer):
    folder = _folder(tmp_path, clips)
    run_batch(folder, tmp_path / "one", summarizer=shared_summarizer, write_video=False)
    run_batch(folder, tmp_path / "two", summarizer=shared_summarizer, jobs=2, write_video=False)
    for name in ("alpha", "beta", "gamma"):
        one = json.loads((tmp_path / "one" / f"{name}.summary.json").read_text())
        two = json.loads((tmp_path / "two" / f"{name}.summary.json").read_text())
        # One thread or two sum in another order: scores agree to float precision, shots exactly.
        without_score = lambda shots: [{k: v for k, v in s.items() if k != "score"} for s in shots]  # noqa: E731
        assert without_score(one["shots"]) == without_score(two["shots"]) and one["summary"] == two["summary"]
        assert [s["score"] for s in two["shots"]] == pytest.approx([s["score"] for s in one["shots"]], abs=1e-4)
        assert two["samples"]["score"] == pytest.approx(one["samples"]["score"], abs=1e-4)


def test_with_jobs_the_largest_videos_go_first(tmp_path, clips, shared_summarizer):
    folder = _folder(tmp_path, clips)
    write_video(folder / "zeta.mp4", [(0, 6.0), (1, 6.0)], width=160, height=96, fps=20)  # the largest

    class Started(BatchProgress):
        order = []

        def video_started(self, worker, item):
            self.order.append(item.name)

    report = run_batch(folder, tmp_path / "out", summarizer=shared_summarizer, jobs=2, write_video=False,
                       progress=Started())
    assert "zeta.mp4" in Started.order[:2]  # taken first (two workers start at once)
    assert [e.input for e in report.index.ordered()] == ["alpha.mp4", "beta.mp4", "gamma.mp4", "zeta.mp4"]
