"""Outputs appear whole or not at all: temporary names, renames as one unit, leftovers of
killed runs, claiming a name without --overwrite, the writable-folder probe (fast, no video)."""

import errno
import os
import re
import subprocess
import sys

import pytest

from summarize.errors import OutputError
from summarize.outputs import atomic
from summarize.outputs.atomic import (atomic_output, atomic_outputs, ensure_writable_dir, remove_stale_partials,
                                      temporary_sibling)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def live_child():
    """A process of ours that is alive while the test runs (not pid 1: a probe must not disturb it)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child
    child.kill()
    child.wait()


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_temporary_name_is_hidden_beside_the_output_keeps_its_suffix_and_names_its_process(tmp_path):
    final = tmp_path / "clip.summary.mp4"
    tmp = temporary_sibling(final)
    assert tmp.parent == tmp_path
    assert re.fullmatch(rf"\.clip\.summary\.partial-{os.getpid()}-[0-9a-f]{{8}}\.mp4", tmp.name), tmp.name
    assert re.fullmatch(rf"\.clip\.summary\.replaced-{os.getpid()}-[0-9a-f]{{8}}\.mp4",
                        temporary_sibling(final, "replaced").name)
    assert temporary_sibling(final) != tmp  # two writers in one process never share a name


def test_only_leftovers_of_dead_processes_for_that_output_are_removed(tmp_path, live_child):
    final, dead, live_pid = tmp_path / "clip.mp4", _dead_pid(), live_child.pid
    leftovers = [tmp_path / f".clip.partial-{dead}-0123abcd.mp4", tmp_path / f".clip.replaced-{dead}-89abcdef.mp4"]
    kept = [tmp_path / f".clip.partial-{os.getpid()}-0123abcd.mp4",  # this run's own
            tmp_path / f".clip.partial-{live_pid}-0123abcd.mp4",  # another live run's
            tmp_path / f".clip.partial-{dead}-0123abcd.mkv",  # another output's
            tmp_path / f".clip.partial-{dead}-0123abc.mp4",  # not a name we write
            tmp_path / f".clip.other-{dead}-0123abcd.mp4",
            tmp_path / f".clip2.partial-{dead}-0123abcd.mp4",
            tmp_path / f".x.clip.partial-{dead}-0123abcd.mp4"]
    for path in leftovers + kept:
        path.write_bytes(b"x")
    assert sorted(remove_stale_partials(final)) == sorted(leftovers)
    assert _files(tmp_path) == sorted(p.name for p in kept)
    assert remove_stale_partials(tmp_path / "missing" / "clip.mp4") == []


def test_a_stem_with_glob_characters_matches_only_itself(tmp_path):
    dead = _dead_pid()
    mine, other = tmp_path / f".a[1].partial-{dead}-0123abcd.mp4", tmp_path / f".a1.partial-{dead}-0123abcd.mp4"
    mine.write_bytes(b"x")
    other.write_bytes(b"x")
    assert remove_stale_partials(tmp_path / "a[1].mp4") == [mine]
    assert other.exists()


def test_a_leftover_that_cannot_be_removed_is_left_without_failing(tmp_path):
    stuck = tmp_path / f".clip.partial-{_dead_pid()}-0123abcd.mp4"
    stuck.mkdir()  # unlink() fails on it
    assert remove_stale_partials(tmp_path / "clip.mp4") == [] and stuck.is_dir()


def test_probing_a_process_leaves_it_running_and_another_users_counts_as_alive(live_child, monkeypatch):
    assert atomic._alive(os.getpid()) and atomic._alive(live_child.pid) and not atomic._alive(_dead_pid())
    with pytest.raises(subprocess.TimeoutExpired):  # still running: the probe sent no signal (SIGHUP would end it)
        live_child.wait(timeout=1.0)

    def refused(pid, signal):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(atomic.os, "kill", refused)
    assert atomic._alive(12345)


def test_outputs_replace_the_old_ones_in_the_order_given_and_leave_nothing_else(tmp_path, monkeypatch):
    video, document = tmp_path / "a.mp4", tmp_path / "a.json"
    video.write_bytes(b"old video")
    stale = tmp_path / f".a.partial-{_dead_pid()}-0123abcd.json"
    stale.write_bytes(b"killed run")
    renamed, replace = [], os.replace
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (renamed.append(os.fspath(b)), replace(a, b)))
    with atomic_outputs(video, document) as temps:
        assert not stale.exists()  # a killed run's leftovers go first
        assert [t.suffix for t in temps] == [".mp4", ".json"] and all(t.parent == tmp_path for t in temps)
        temps[0].write_bytes(b"new video")
        temps[1].write_bytes(b"new json")
        assert video.read_bytes() == b"old video" and not document.exists()
    assert renamed == [os.fspath(video), os.fspath(document)]
    assert (video.read_bytes(), document.read_bytes()) == (b"new video", b"new json")
    assert _files(tmp_path) == ["a.json", "a.mp4"]


def test_a_failure_while_writing_touches_no_output(tmp_path):
    video, document = tmp_path / "a.mp4", tmp_path / "a.json"
    video.write_bytes(b"old video")
    with pytest.raises(KeyboardInterrupt):
        with atomic_outputs(video, document) as temps:
            for tmp in temps:
                tmp.write_bytes(b"half")
            raise KeyboardInterrupt
    assert _files(tmp_path) == ["a.mp4"] and video.read_bytes() == b"old video"


@pytest.mark.parametrize("had_old", [True, False])
def test_a_rename_failing_half_way_puts_the_old_pair_back(tmp_path, monkeypatch, had_old):
    video, document = tmp_path / "a.mp4", tmp_path / "a.json"
    if had_old:
        video.write_bytes(b"old video")
        document.write_bytes(b"old json")
    replace = os.replace

    def second_fails(a, b):
        if os.fspath(b) == os.fspath(document):
            raise OSError(errno.ENOSPC, "No space left on device")
        replace(a, b)

    monkeypatch.setattr(atomic.os, "replace", second_fails)
    with pytest.raises(OutputError) as caught:
        with atomic_outputs(video, document) as temps:
            for tmp in temps:
                tmp.write_bytes(b"new")
    assert str(caught.value) == f"cannot write {document}: No space left on device"
    if had_old:
        assert _files(tmp_path) == ["a.json", "a.mp4"]
        assert (video.read_bytes(), document.read_bytes()) == (b"old video", b"old json")
    else:
        assert _files(tmp_path) == []


def _old_file_where_links_fail(tmp_path, monkeypatch, code: int, reason: str):
    final = tmp_path / "a.json"
    final.write_bytes(b"old")

    def failing_link(src, dst):
        raise OSError(code, reason)

    monkeypatch.setattr(atomic.os, "link", failing_link)
    return final


def test_replacing_works_on_a_file_system_without_hard_links(tmp_path, monkeypatch):
    final = _old_file_where_links_fail(tmp_path, monkeypatch, errno.EPERM, "Operation not permitted")
    with atomic_output(final) as tmp:
        tmp.write_bytes(b"new")
    assert final.read_bytes() == b"new" and _files(tmp_path) == ["a.json"]


def test_an_unexpected_link_error_is_an_output_error_and_nothing_changes(tmp_path, monkeypatch):
    final = _old_file_where_links_fail(tmp_path, monkeypatch, errno.EIO, "Input/output error")
    with pytest.raises(OutputError, match=r"^cannot write .*a\.json: Input/output error$"):
        with atomic_output(final) as tmp:
            tmp.write_bytes(b"new")
    assert final.read_bytes() == b"old" and _files(tmp_path) == ["a.json"]


def test_without_overwrite_an_existing_output_is_refused_and_kept(tmp_path):
    video, document = tmp_path / "a.mp4", tmp_path / "a.json"
    document.write_bytes(b"someone else's")
    with pytest.raises(OutputError) as caught:
        with atomic_outputs(video, document, overwrite=False) as temps:
            for tmp in temps:
                tmp.write_bytes(b"new")
    assert str(caught.value) == f"{document} already exists (use --overwrite to replace it)"
    assert _files(tmp_path) == ["a.json"] and document.read_bytes() == b"someone else's"  # the video went back too


@pytest.mark.parametrize("links", [True, False])
def test_without_overwrite_free_names_are_claimed(tmp_path, monkeypatch, links):
    if not links:
        def no_links(src, dst):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        monkeypatch.setattr(atomic.os, "link", no_links)
    video, document = tmp_path / "a.mp4", tmp_path / "a.json"
    with atomic_outputs(video, document, overwrite=False) as temps:
        temps[0].write_bytes(b"video")
        temps[1].write_bytes(b"json")
    assert (video.read_bytes(), document.read_bytes()) == (b"video", b"json")
    assert _files(tmp_path) == ["a.json", "a.mp4"]


def test_without_hard_links_a_name_taken_meanwhile_is_not_overwritten(tmp_path, monkeypatch):
    final = tmp_path / "a.json"

    def taken_meanwhile(src, dst):
        final.write_bytes(b"the other run's")
        raise OSError(errno.ENOTSUP, "Operation not supported")

    monkeypatch.setattr(atomic.os, "link", taken_meanwhile)
    with pytest.raises(OutputError):
        with atomic_outputs(final, overwrite=False) as (tmp,):
            tmp.write_bytes(b"mine")
    assert final.read_bytes() == b"the other run's" and _files(tmp_path) == ["a.json"]


def test_an_output_folder_is_created_and_probed_before_any_work(tmp_path, monkeypatch):
    folder = tmp_path / "deep" / "er"
    assert ensure_writable_dir(folder) == folder
    assert folder.is_dir() and _files(folder) == []  # the probe is gone
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OutputError, match=r"^cannot create output folder .*file/sub: Not a directory$"):
        ensure_writable_dir(tmp_path / "file" / "sub")

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(atomic.Path, "touch", read_only)
    with pytest.raises(OutputError, match=rf"^cannot write in output folder {re.escape(str(folder))}: "
                                          r"Read-only file system$"):
        ensure_writable_dir(folder)


def test_leftovers_of_extras_written_beside_a_temporary_json_are_recognised(tmp_path, live_child):
    """The report and exports are written beside the JSON's temporary name (``.a.summary.partial-
    PID-X.json`` -> ``.a.summary.partial-PID-X.fcp.xml``), and their own writers use temporary
    names of those: a killed run's are removed with the final name they stand for."""
    dead, live = _dead_pid(), live_child.pid
    json_temp = temporary_sibling(tmp_path / "a.summary.json")
    assert json_temp.name.startswith(".a.summary.partial-")
    mark = f"partial-{dead}-0123abcd"
    leftovers = {"a.summary.fcp.xml": [f".a.summary.{mark}.fcp.xml",
                                       f"..a.summary.{mark}.partial-{dead}-89abcdef.fcp.xml"],
                 "a.summary.html": [f".a.summary.{mark}.html"],
                 "a.summary.chapters.vtt": [f".a.summary.chapters.{mark}.vtt"]}
    kept = [f".a.summary.partial-{live}-0123abcd.fcp.xml",  # a live run's
            f"..a.summary.{mark}.partial-{live}-89abcdef.fcp.xml",  # written by a live process
            f".b.summary.{mark}.fcp.xml", f".a.summary.{mark}.fcp.xml.bak", f".a.summary.{mark}x.html"]
    for name in [*kept, *(n for names in leftovers.values() for n in names)]:
        (tmp_path / name).write_bytes(b"x")
    for final, names in leftovers.items():
        assert sorted(p.name for p in remove_stale_partials(tmp_path / final)) == sorted(names)
    assert _files(tmp_path) == sorted(kept)
