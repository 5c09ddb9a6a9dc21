"""``summarize batch`` on Ray: the same summaries, index, resume and failure rules as the local
batch, and a worker process that dies is survived. One local Ray instance (2 CPUs) serves
the module; each run starts its own actors and ends them."""

import json
import os
import re
import shutil
import sys
import threading
from pathlib import Path

import pytest

from summarize.batch import BatchProgress, run_batch
from summarize.errors import UsageError
from tests.ray_hooks import KillWorker
from tests.test_batch import _index, assert_resumed_index
from tests.test_batch import clips, shared_summarizer  # noqa: F401 (fixtures: the same three clips)
from tests.synthetic import write_video
from tests.test_cli import run_cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ray_cluster():
    import logging

    import ray

    # The workers import this checkout (and tests.ray_hooks) whatever the current folder.
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *([old] if old else [])])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield ray
    ray.shutdown()
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old


def _folder(tmp_path, clips, broken=False):
    folder = tmp_path / "videos"
    folder.mkdir()
    for clip in clips:
        shutil.copy(clip, folder / clip.name)
    if broken:
        (folder / "broken.mp4").write_text("not a video")
    return folder


def _ray(**options):
    from summarize.batch.ray_executor import RayExecutor

    return RayExecutor("local", 2, **options)  # joins the module's instance


def _rows(out):
    return {v["input"]: v for v in json.loads((out / "index.json").read_text())["videos"]}


def _leftovers(folder):
    return [p for p in folder.rglob("*") if ".partial-" in p.name or ".replaced-" in p.name]


def _without_run(path):
    """The summary JSON but its ``run`` section, with its own folder written OUT (outputs name it)."""
    document = json.loads(path.read_text().replace(str(path.parent), "OUT"))
    document.pop("run")
    return document


@pytest.mark.ray
@pytest.mark.slow
def test_a_cluster_that_cannot_be_reached_is_one_line_and_nothing_is_written(tmp_path, clips, capsys, monkeypatch):
    import ray

    assert not ray.is_initialized()  # first in this file: before the module's Ray instance starts
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.delenv("RAY_TMPDIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # where Ray looks for a running instance: none there
    folder = _folder(tmp_path, clips)
    code, _, err = run_cli(["batch", str(folder), "-o", str(tmp_path / "out"), "--ray", "auto"], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert err.strip().startswith("summarize: error: --ray auto: cannot reach the Ray cluster: ")
    assert not (tmp_path / "out").exists() and not ray.is_initialized()


@pytest.mark.ray
@pytest.mark.slow
def test_the_same_summaries_and_failed_rows_as_the_local_batch(tmp_path, clips, shared_summarizer, ray_cluster):
    folder = _folder(tmp_path, clips, broken=True)
    local = run_batch(folder, tmp_path / "local", summarizer=shared_summarizer, jobs=2)
    remote = run_batch(folder, tmp_path / "ray", summarizer=shared_summarizer, executor=_ray())
    assert (remote.count("ok"), remote.count("failed")) == (3, 1) and not remote.interrupted
    local_rows, ray_rows = _rows(tmp_path / "local"), _rows(tmp_path / "ray")
    assert list(ray_rows) == ["alpha.mp4", "beta.mp4", "broken.mp4", "gamma.mp4"]
    for name, row in local_rows.items():
        keep = ("status", "reason", "duration", "kept_seconds", "summary_json", "summary_video")
        assert {k: ray_rows[name][k] for k in keep} == {k: row[k] for k in keep}, name
    assert ray_rows["broken.mp4"]["reason"].startswith("not a video file FFmpeg can read")
    for name in ("alpha", "beta", "gamma"):
        assert (_without_run(tmp_path / "ray" / f"{name}.summary.json")
                == _without_run(tmp_path / "local" / f"{name}.summary.json"))
        assert (tmp_path / "ray" / f"{name}.summary.mp4").stat().st_size > 0
    assert _leftovers(tmp_path / "ray") == []
    _assert_actors_ended(ray_cluster)


def _assert_actors_ended(ray):
    """A run ends its actors: the instance's CPUs are all free again."""
    import time

    deadline = time.monotonic() + 20
    while ray.available_resources().get("CPU", 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ray.available_resources().get("CPU", 0) == 2


class _StopAfterFirst(BatchProgress):
    def __init__(self, stop=None):
        self.stop, self.finished = stop, []

    def video_finished(self, worker, item, entry):
        if worker is None:
            return
        self.finished.append(item.name)
        if self.stop is None:
            raise KeyboardInterrupt  # Ctrl-C in the driver
        self.stop.set()


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.parametrize("how", ["ctrl-c", "stop-event"])
def test_an_interrupted_run_leaves_no_partial_outputs_and_a_rerun_finishes_the_rest(tmp_path, clips,
                                                                                    shared_summarizer, ray_cluster,
                                                                                    how):
    folder = _folder(tmp_path, clips)
    out = tmp_path / "out"
    stop = threading.Event() if how == "stop-event" else None
    listener = _StopAfterFirst(stop)
    if stop is None:
        with pytest.raises(KeyboardInterrupt):
            run_batch(folder, out, summarizer=shared_summarizer, progress=listener, executor=_ray())
    else:
        assert run_batch(folder, out, summarizer=shared_summarizer, progress=listener, executor=_ray(),
                         stop=stop).interrupted
    first = _index(out)
    document = first[0]
    done = [v["input"] for v in document["videos"] if v["status"] == "ok"]
    assert document["complete"] is False and listener.finished[0] in done and len(done) < 3
    assert sorted(p.name for p in out.glob("*.summary.*")) == sorted(
        n.replace(".mp4", f".summary.{e}") for n in done for e in ("json", "mp4"))
    assert _leftovers(out) == []
    _assert_actors_ended(ray_cluster)

    again = run_batch(folder, out, summarizer=shared_summarizer, executor=_ray())
    assert again.count("skipped") == len(done) and again.count("ok") == 3 - len(done)
    assert json.loads((out / "index.json").read_text())["complete"] is True
    assert_resumed_index(first, _index(out), skipped=done)


@pytest.mark.ray
@pytest.mark.slow
def test_a_killed_worker_s_video_is_retried_and_finished(tmp_path, clips, shared_summarizer, ray_cluster):
    folder = _folder(tmp_path, clips)
    markers = tmp_path / "markers"
    markers.mkdir()
    report = run_batch(folder, tmp_path / "out", summarizer=shared_summarizer,
                       executor=_ray(on_stage=KillWorker("beta.mp4", markers, times=1)))
    assert len(list(markers.iterdir())) == 1  # the worker did die once, mid-write
    assert {e.input: e.status for e in report.entries} == {"alpha.mp4": "ok", "beta.mp4": "ok", "gamma.mp4": "ok"}
    assert _without_run(tmp_path / "out" / "beta.summary.json")["input"]["duration"] == pytest.approx(4.0)
    assert (tmp_path / "out" / "beta.summary.mp4").stat().st_size > 0
    assert _leftovers(tmp_path / "out") == []


@pytest.mark.ray
@pytest.mark.slow
def test_a_video_that_kills_every_worker_is_recorded_failed_and_the_others_finish(tmp_path, clips,
                                                                                  shared_summarizer, ray_cluster):
    folder = _folder(tmp_path, clips)
    markers = tmp_path / "markers"
    markers.mkdir()
    report = run_batch(folder, tmp_path / "out", summarizer=shared_summarizer,
                       executor=_ray(on_stage=KillWorker("beta.mp4", markers, times=None), retries=1))
    assert len(list(markers.iterdir())) == 2  # the first try and one retry
    rows = _rows(tmp_path / "out")
    assert {name: row["status"] for name, row in rows.items()} == {
        "alpha.mp4": "ok", "beta.mp4": "failed", "gamma.mp4": "ok"}
    assert re.fullmatch(r"the worker process died 2 times on it \(.+\)", rows["beta.mp4"]["reason"])
    assert not (tmp_path / "out" / "beta.summary.json").exists() and _leftovers(tmp_path / "out") == []
    _assert_actors_ended(ray_cluster)


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.parametrize("times, retries, status", [(1, 2, "ok"), (None, 1, "failed")])
def test_a_worker_killed_mid_write_leaves_no_temporary_files(tmp_path, clips, shared_summarizer, ray_cluster,
                                                              times, retries, status):
    # The worker dies with its temporary outputs on disk, named by its process id: the retry
    # that writes the same outputs removes them, or, when every try dies, the driver does.
    folder, out, markers = _folder(tmp_path, clips), tmp_path / "out", tmp_path / "markers"
    markers.mkdir()
    report = run_batch(folder, out, summarizer=shared_summarizer, executor=_ray(
        on_stage=KillWorker("beta.mp4", markers, times=times, mid_write=True), retries=retries))
    kills = sorted(markers.iterdir())
    assert len(kills) == (times or retries + 1)
    for kill in kills:  # each died mid-write: its own temporary summary video was on disk
        pid = kill.name.rsplit("-", 1)[1]
        assert re.fullmatch(rf"\.beta\.summary\.partial-{pid}-[0-9a-f]{{8}}\.mp4\n", kill.read_text()), kill
    assert {e.input: e.status for e in report.entries} == {"alpha.mp4": "ok", "beta.mp4": status, "gamma.mp4": "ok"}
    assert (out / "beta.summary.json").exists() == (status == "ok")
    assert _leftovers(out) == []
    _assert_actors_ended(ray_cluster)


def test_without_ray_the_option_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as if not installed
    from summarize.batch.ray_executor import RayExecutor

    with pytest.raises(UsageError, match=r"^--ray needs Ray: pip install 'summarize\[ray\]'"):
        RayExecutor("local")
    (tmp_path / "videos").mkdir()
    code, _, err = run_cli(["batch", str(tmp_path / "videos"), "--ray", "auto"], capsys)
    hint = "summarize: error: --ray needs Ray: pip install 'summarize[ray]' (or: pip install 'ray>=2.9,<3')"
    assert code == 2 and err.strip().splitlines() == [hint]
    code, _, err = run_cli(["eval", "--dataset", "summe", "--videos", str(tmp_path / "videos"), "--ray", "auto"],
                           capsys)
    assert code == 2 and err.strip().splitlines() == [hint]


@pytest.mark.ray
@pytest.mark.slow
def test_eval_on_ray_gives_the_local_numbers(tmp_path, ray_cluster):
    import numpy as np

    from summarize.evaluation import evaluate
    from summarize.evaluation.datasets import AnnotatedVideo, write_tvsum_tsv

    videos = tmp_path / "videos"
    videos.mkdir()
    entries = []
    for k, name in enumerate(["abcDEF12345", "ghiJKL67890", "mnoPQR13579"]):
        clip = write_video(videos / f"{name}.mp4", [(k, 3.0), (k + 1, 3.0), (k + 2, 3.0)], width=160, height=96,
                           fps=20)
        scores = np.ones((3, clip.n_frames), dtype=np.uint8)
        scores[:, 60:120] = 5
        entries.append(AnnotatedVideo(name, clip.n_frames, scores, category="XX"))
    write_tvsum_tsv(tmp_path / "anno.tsv", entries)
    common = dict(videos=videos, annotations=tmp_path / "anno.tsv", methods=["contrastive", "random"],
                  random_draws=2, device="cpu", budget=0.3, cache=False)
    # One PyTorch thread, as each Ray worker has: the same features to the last bit (the random
    # row's seeds come from the features' bytes).
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        local = evaluate("tvsum", **common).to_dict()
    finally:
        torch.set_num_threads(threads)
    seen = []
    remote = evaluate("tvsum", ray="local", jobs=2, progress=lambda stage, f: seen.append((stage, f)),
                      **common).to_dict()
    for document in (local, remote):
        document.pop("run")
    assert remote == local and len(remote["videos"]) == 3
    assert [f for stage, f in seen if stage == "videos"] == pytest.approx([0, 1 / 3, 2 / 3, 1])
    _assert_actors_ended(ray_cluster)


def test_eval_ray_is_for_raw_videos(tmp_path):
    from summarize.evaluation import evaluate

    with pytest.raises(UsageError, match=r"--ray spreads the decoding of raw videos \(--videos\)"):
        evaluate("summe", data_dir=tmp_path, ray="local")


@pytest.mark.ray
@pytest.mark.slow
def test_the_command_line_runs_on_ray(tmp_path, clips, capsys, ray_cluster):
    folder = _folder(tmp_path, clips[:1], broken=True)
    code, _, err = run_cli(["batch", str(folder), "-o", str(tmp_path / "out"), "--ray", "local", "--jobs", "2",
                            "--no-cache", "--no-video", "--retries", "0"], capsys)
    assert code == 1 and re.search(r"failed broken\.mp4: not a video file", err)  # one video failed
    assert {n: r["status"] for n, r in _rows(tmp_path / "out").items()} == {"alpha.mp4": "ok", "broken.mp4": "failed"}
    code, _, err = run_cli(["batch", str(folder), "--ray", "local", "--retries", "-1"], capsys)
    assert code == 2 and err.strip().splitlines() == ["summarize: error: --retries must be 0 or more, got -1"]
    _assert_actors_ended(ray_cluster)


@pytest.mark.ray
@pytest.mark.slow
def test_workers_that_cannot_start_end_the_run_with_their_reason(ray_cluster):
    from summarize.batch.ray_executor import RayPool
    from summarize.errors import SummarizeError
    from tests.ray_hooks import unstartable_worker

    pool = RayPool(unstartable_worker, 2)
    try:
        with pytest.raises(SummarizeError, match=r"^the Ray workers cannot start: cannot read the model weights "
                                                 r"/nodes/lack/this\.pt$"):
            list(pool.map(["a.mp4"]))
    finally:
        pool.close()
    _assert_actors_ended(ray_cluster)


@pytest.mark.ray
@pytest.mark.slow
def test_a_restarting_worker_gets_no_tasks_and_only_the_running_one_counts_a_try(tmp_path, ray_cluster):
    # Without retries, the one task running when its worker died fails; every other task,
    # whether queued behind it or ready to go while the worker restarts, is done.
    import functools

    from summarize.batch.ray_executor import RayPool
    from tests.ray_hooks import SleepOrDie

    pool = RayPool(functools.partial(SleepOrDie, "t03", tmp_path), 2, retries=0)
    try:
        events = [e for e in pool.map([f"t{i:02d}" for i in range(16)]) if e.kind in ("done", "failed", "error")]
    finally:
        pool.close()
    assert len(list(tmp_path.iterdir())) == 1
    assert [(e.kind, e.task) for e in events if e.kind != "done"] == [("failed", "t03")]
    assert sorted(e.value for e in events if e.kind == "done") == [f"t{i:02d}" for i in range(16) if i != 3]
    assert re.fullmatch(r"the worker process died 1 time on it \(.+\)", events[[e.task for e in events].index("t03")]
                        .reason)
    _assert_actors_ended(ray_cluster)
