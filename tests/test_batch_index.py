"""The run index alone (``summarize.batch.index``): every column, both files, when they are
written and what they refuse, without running a video."""

import base64
import csv
import datetime as dt
import json
import os
import re

import pytest

import summarize.batch.index as index_module
from summarize._version import __version__
from summarize.batch.index import COLUMNS, EARLIER_COLUMNS, IndexEntry, RunIndex, now_iso
from summarize.errors import OutputError

LATIN1 = os.fsdecode(b"caf\xe9.mp4")  # a name that is not UTF-8 (surrogate-escaped)


def entry(name, status="ok", reason="", **values):
    fields = dict(duration=12.5, kept_seconds=2.25, summary_json=f"{name}.summary.json",
                  summary_video=f"{name}.summary.mp4", seconds=3.5, finished="2024-05-06T07:08:09+00:00")
    return IndexEntry(input=name, status=status, reason=reason, **{**fields, **values})


def run_index(folder, inputs=("a.mp4", "b.mp4", "c.mp4"), **kwargs):
    return RunIndex(folder, {"folder": "/videos", "options": {"budget": 0.15}}, list(inputs), **kwargs)


def read(folder):
    document = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    with open(folder / "index.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return document, rows


def test_the_columns_in_order():
    assert COLUMNS == ["input", "status", "reason", "duration", "kept_seconds", "summary_json", "summary_video",
                       "seconds", "finished", "input_bytes"]
    assert EARLIER_COLUMNS == COLUMNS[:-1]


def test_now_is_utc_to_the_second():
    text = now_iso()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", text)
    assert abs(dt.datetime.fromisoformat(text) - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(seconds=5)


def test_both_files_list_every_column_of_every_row_in_the_order_of_the_inputs(tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "now_iso", lambda: "2024-01-02T03:04:05+00:00")
    index = run_index(tmp_path, inputs=("a.mp4", LATIN1, "b.mp4", "c.mp4"))
    index.entries += [entry("b.mp4", "skipped", "up to date", seconds=0.0),
                      entry("stray.mp4", "failed", "gone", duration=None, kept_seconds=None, summary_json=None,
                            summary_video=None),
                      entry(LATIN1, reason="redone: --force"), entry("a.mp4")]
    index.write(complete=False)
    document, rows = read(tmp_path)
    assert document == {
        "format": "summarize.batch-index", "format_version": 1, "tool": {"name": "summarize", "version": __version__},
        "folder": "/videos", "options": {"budget": 0.15},
        "started": "2024-01-02T03:04:05+00:00", "updated": "2024-01-02T03:04:05+00:00", "complete": False,
        "counts": {"ok": 2, "skipped": 1, "failed": 1, "pending": 0},
        "videos": [
            {"input": "a.mp4", "status": "ok", "reason": "", "duration": 12.5, "kept_seconds": 2.25,
             "summary_json": "a.mp4.summary.json", "summary_video": "a.mp4.summary.mp4", "seconds": 3.5,
             "finished": "2024-05-06T07:08:09+00:00", "input_bytes": None},
            {"input": "caf\\xe9.mp4", "status": "ok", "reason": "redone: --force", "duration": 12.5,
             "kept_seconds": 2.25, "summary_json": "caf\\xe9.mp4.summary.json",
             "summary_video": "caf\\xe9.mp4.summary.mp4", "seconds": 3.5, "finished": "2024-05-06T07:08:09+00:00",
             "input_bytes": base64.b64encode(b"caf\xe9.mp4").decode()},
            {"input": "b.mp4", "status": "skipped", "reason": "up to date", "duration": 12.5, "kept_seconds": 2.25,
             "summary_json": "b.mp4.summary.json", "summary_video": "b.mp4.summary.mp4", "seconds": 0.0,
             "finished": "2024-05-06T07:08:09+00:00", "input_bytes": None},
            {"input": "stray.mp4", "status": "failed", "reason": "gone", "duration": None, "kept_seconds": None,
             "summary_json": None, "summary_video": None, "seconds": 3.5, "finished": "2024-05-06T07:08:09+00:00",
             "input_bytes": None},  # not among the inputs: listed last
        ]}
    assert rows == [COLUMNS] + [["" if v is None else str(v) for v in row.values()] for row in document["videos"]]
    text = (tmp_path / "index.json").read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.startswith('{\n  "format": ')  # indented, one newline at the end
    assert b"\r" not in (tmp_path / "index.csv").read_bytes()  # \n line ends
    index.write(complete=True)
    assert read(tmp_path)[0]["complete"] is True


def test_non_ascii_text_is_written_as_utf8(tmp_path):
    index = RunIndex(tmp_path, {"folder": "/vidéos"}, ["été.mp4"])
    index.entries.append(entry("été.mp4", reason="redone: input changed"))
    index.write()
    raw = (tmp_path / "index.json").read_bytes()
    assert "/vidéos".encode() in raw and "été.mp4".encode() in raw  # UTF-8, not \u escapes
    assert "été.mp4".encode() in (tmp_path / "index.csv").read_bytes()
    document, rows = read(tmp_path)
    assert document["videos"][0]["input_bytes"] is None and rows[1][-1] == ""


def test_counts_and_pending(tmp_path):
    index = run_index(tmp_path)
    assert index.total == 3 and index.counts() == {"ok": 0, "skipped": 0, "failed": 0, "pending": 3}
    index.entries += [entry("a.mp4", "failed"), entry("c.mp4", "skipped")]
    assert index.counts() == {"ok": 0, "skipped": 1, "failed": 1, "pending": 1}
    assert [e.input for e in index.ordered()] == ["a.mp4", "c.mp4"]


def test_paths_are_relative_to_the_index_folder_when_inside_it(tmp_path, monkeypatch):
    index = run_index(tmp_path / "out")
    assert (index.json_path, index.csv_path) == (tmp_path / "out" / "index.json", tmp_path / "out" / "index.csv")
    assert index.relative(tmp_path / "out" / "sub" / "a.summary.json") == "sub/a.summary.json"
    assert index.relative(tmp_path / "elsewhere" / "a.summary.json") == str(tmp_path / "elsewhere" / "a.summary.json")
    assert index.relative(None) is None
    monkeypatch.chdir(tmp_path)  # relative paths are taken from the current folder (restored after the test)
    from pathlib import Path

    assert RunIndex.relative_to(Path("out/x.json"), Path("out")) == "x.json"
    assert RunIndex.relative_to(Path("x.json"), tmp_path / "out") == str(tmp_path / "x.json")


def test_the_index_is_rewritten_at_most_every_min_interval_and_always_at_the_end(tmp_path, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(index_module.time, "monotonic", lambda: clock[0])
    writes = []
    index = run_index(tmp_path)  # by default: 2 s
    real_write = index.write
    monkeypatch.setattr(index, "write",
                        lambda *args, **kwargs: writes.append(len(index.entries)) or real_write(*args, **kwargs))
    index.add(entry("a.mp4"))  # the first video: written at once
    clock[0] += 1.9
    index.add(entry("b.mp4"))  # too soon
    clock[0] += 0.1
    index.add(entry("c.mp4"))  # 2 s after the last write
    assert writes == [1, 3]
    document = read(tmp_path)[0]
    assert [v["input"] for v in document["videos"]] == ["a.mp4", "b.mp4", "c.mp4"]
    assert document["complete"] is False  # only the run says when it is complete


def test_a_full_disk_does_not_stop_the_run_and_waits_the_interval_to_try_again(tmp_path, monkeypatch):
    clock = [50.0]
    monkeypatch.setattr(index_module.time, "monotonic", lambda: clock[0])
    tries = []

    def full(complete=False):
        tries.append(clock[0])
        raise OutputError("cannot write the run index: No space left on device")

    index = run_index(tmp_path, min_interval=2.0)
    monkeypatch.setattr(index, "write", full)
    index.add(entry("a.mp4"))
    clock[0] += 1.0
    index.add(entry("b.mp4"))  # within the interval of the failed try: not tried
    clock[0] += 1.0
    index.add(entry("c.mp4"))
    assert tries == [50.0, 52.0] and len(index.entries) == 3


def test_a_failed_write_is_tried_again_after_a_wait_then_reported_in_one_line(tmp_path, monkeypatch):
    waits, failures = [], []
    monkeypatch.setattr(index_module.time, "sleep", waits.append)
    real = index_module.atomic_output

    def flaky(path):
        if failures:
            raise failures.pop(0)
        return real(path)

    monkeypatch.setattr(index_module, "atomic_output", flaky)
    index = run_index(tmp_path)
    index.entries.append(entry("a.mp4"))
    failures[:] = [OSError(28, "No space left on device"), OSError(28, "No space left on device")]
    index.write()  # the CSV on its third try, the JSON on its first
    assert waits == [0.5, 1.0] and read(tmp_path)[1][1][0] == "a.mp4"
    waits.clear()
    failures[:] = [OSError(28, "No space left on device")] * 3
    with pytest.raises(OutputError, match=rf"^cannot write the run index {re.escape(str(index.csv_path))}: "
                                          r"No space left on device$"):
        index.write()
    assert waits == [0.5, 1.0]  # no wait after the last try
    failures[:] = [OutputError("x is a folder")] * 3
    with pytest.raises(OutputError, match=rf"^cannot write the run index {re.escape(str(index.csv_path))}: "
                                          r"x is a folder$"):
        index.write()
    failures[:] = [OSError("no errno")] * 3
    with pytest.raises(OutputError, match=r"index\.csv: no errno$"):
        index.write()
    # The JSON fails after the CSV is written.
    calls = []

    def json_fails(path):
        calls.append(path.name)
        if path.name == "index.json":
            raise OSError(5, "Input/output error")
        return real(path)

    monkeypatch.setattr(index_module, "atomic_output", json_fails)
    with pytest.raises(OutputError, match=r"index\.json: Input/output error$"):
        index.write()
    assert calls == ["index.csv", "index.json", "index.json", "index.json"]


def test_a_successful_write_restarts_the_interval(tmp_path, monkeypatch):
    clock = [10.0]
    monkeypatch.setattr(index_module.time, "monotonic", lambda: clock[0])
    index = run_index(tmp_path, min_interval=2.0)
    index.write()
    clock[0] += 1.0
    index.add(entry("a.mp4"))  # 1 s after the write: not written
    assert read(tmp_path)[0]["videos"] == []


def test_only_an_index_this_tool_wrote_is_replaced(tmp_path):
    index = run_index(tmp_path)
    index.check_replaceable()  # nothing there yet
    index.write()
    index.check_replaceable()  # its own
    (tmp_path / "index.csv").write_text(",".join(EARLIER_COLUMNS) + "\n", encoding="utf-8")
    index.check_replaceable()  # one written before input_bytes
    foreign_json = ['{"format": "other"}', "[1, 2]", "{", "\xff"]
    for text in foreign_json:
        (tmp_path / "index.json").write_text(text, encoding="latin-1")
        with pytest.raises(OutputError, match=rf"^{re.escape(str(index.json_path))} exists and is not a summarize "
                                              r"index; move it or choose another folder with -o$"):
            index.check_replaceable()
    index.write()
    for content in (b"name,size\n", b"", b"input,status\n", b"\xff\xfe", "\0".encode()):
        (tmp_path / "index.csv").write_bytes(content)
        with pytest.raises(OutputError, match=rf"^{re.escape(str(index.csv_path))} exists and is not a summarize "
                                              r"index; move it or choose another folder with -o$"):
            index.check_replaceable()
    (tmp_path / "index.csv").unlink()
    (tmp_path / "index.csv").mkdir()  # cannot be read
    with pytest.raises(OutputError, match="index.csv exists and is not a summarize index"):
        index.check_replaceable()
    (tmp_path / "index.csv").rmdir()
    (tmp_path / "index.json").unlink()
    (tmp_path / "index.json").mkdir()
    with pytest.raises(OutputError, match="index.json exists and is not a summarize index"):
        index.check_replaceable()


def test_the_index_is_utf8_and_read_back_whatever_the_locale(tmp_path, legacy_locale):
    index = RunIndex(tmp_path, {"folder": "/vidéos"}, ["été.mp4"])
    index.entries.append(entry("été.mp4"))
    index.write()
    assert json.loads((tmp_path / "index.json").read_bytes().decode("utf-8"))["folder"] == "/vidéos"
    assert "été.mp4".encode() in (tmp_path / "index.csv").read_bytes()
    index.check_replaceable()  # its own index, read as UTF-8
