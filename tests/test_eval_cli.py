"""``summarize eval`` on the command line: tables, JSON, and one clear line for each bad input."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from summarize.scoring import SCORERS
from tests.eval_synthetic import OracleScorer, write_dataset
from tests.test_cli import run_cli


@pytest.fixture(scope="module")
def tvsum_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tvsum")
    write_dataset(folder, "tvsum", n_videos=4, seed=2)
    return folder


def test_eval_help_lists_the_options(capsys):
    code, out, _ = run_cli(["eval", "--help"], capsys)
    assert code == 0
    for option in ("--dataset", "--data-dir", "--videos", "--annotations", "--method", "--splits", "--per-video",
                   "--json", "--backbone", "--fps", "--device", "--no-reference", "--random-draws"):
        assert option in out


def test_feature_file_run_prints_the_table_and_writes_json(tvsum_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(SCORERS, "oracle", OracleScorer)  # a new scorer is evaluated through the registry
    out_json = tmp_path / "results" / "tvsum.json"
    code, out, err = run_cli(["eval", "--dataset", "tvsum", "--data-dir", tvsum_dir, "-m", "contrastive",
                              "-m", "oracle", "--random-draws", "3", "--per-video", "--json", out_json], capsys)
    assert code == 0, err
    for label in ("contrastive", "oracle", "random (3 draws)", "uniform", "human (leave one out)", "video_4",
                  "Per video", "TVSum (feature file): F1 mean over users"):
        assert label in out
    oracle_row = next(line for line in out.splitlines() if line.strip().startswith("oracle"))
    assert re.search(r"oracle\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d\s+0\.\d{3}\s+0\.\d{3}\s+4\s*$", oracle_row.rstrip())
    document = json.loads(out_json.read_text())
    assert [r["label"] for r in document["results"]] == ["contrastive", "oracle", "random", "uniform", "human"]
    assert document["parameters"]["data"]["annotations"].endswith("ydata-tvsum50-anno.tsv")
    assert document["protocol"]["dataset"] == "tvsum"


def test_quiet_and_no_reference(tvsum_dir, tmp_path, capsys):
    code, out, _ = run_cli(["eval", "-d", "tvsum", "--data-dir", tvsum_dir, "-m", "contrastive:variant=align",
                            "--no-reference", "-q", "--json", tmp_path / "r.json"], capsys)
    assert code == 0 and out == ""
    results = json.loads((tmp_path / "r.json").read_text())["results"]
    assert [r["label"] for r in results] == ["contrastive:variant=align"]


def _copy_without_annotations(tvsum_dir, tmp_path):
    folder = tmp_path / "only_h5"
    folder.mkdir()
    shutil.copy(tvsum_dir / "eccv16_dataset_tvsum_google_pool5.h5", folder)
    return folder


BAD = {
    # name: (arguments after "eval", exit code, message pattern)
    "no_data_dir": (["-d", "tvsum", "--data-dir", "{tmp}/missing"], 2,
                    r"--data-dir .*missing: no such folder \(expected a folder holding "
                    r"eccv16_dataset_tvsum_google_pool5\.h5; .*pytorch-vsumm-reinforce.*DSNet"),
    "no_h5": (["-d", "summe", "--data-dir", "{tmp}"], 1,
              r"no eccv16_dataset_summe_google_pool5\.h5 in .* or its subfolders: .*pytorch-vsumm-reinforce"),
    "neither": (["-d", "summe"], 2, r"give either --data-dir DIR .* or --videos DIR"),
    "both": (["-d", "summe", "--data-dir", "{tmp}", "--videos", "{tmp}"], 2, r"give either --data-dir"),
    "dataset": (["-d", "ovp", "--data-dir", "{tmp}"], 2, r"Invalid value for '--dataset'"),
    "method": (["-d", "tvsum", "--data-dir", "{tvsum}", "-m", "magic"], 2,
               r"unknown method 'magic'; choose one of: contrastive, mae, random, .*uniform, human"),
    "param": (["-d", "tvsum", "--data-dir", "{tvsum}", "-m", "contrastive:colour=red"], 2,
              r"method contrastive has no parameter 'colour'"),
    "param_value": (["-d", "tvsum", "--data-dir", "{tvsum}", "-m", "contrastive:variant=best"], 2,
                    r"unknown contrastive variant 'best'"),
    "backbone_on_features": (["-d", "tvsum", "--data-dir", "{tvsum}", "--backbone", "resnet50"], 2,
                             r"backbone applies to raw videos"),
    "no_annotations": (["-d", "tvsum", "--data-dir", "{only_h5}"], 2,
                       r"TVSum's rank correlation needs each annotator's scores.*--annotations FILE"),
    "annotations_file": (["-d", "tvsum", "--data-dir", "{only_h5}", "--annotations", "{tmp}/nope.mat"], 2,
                         r"--annotations .*nope\.mat: no such file"),
    "splits_missing": (["-d", "tvsum", "--data-dir", "{tvsum}", "--splits", "{tmp}/splits.json"], 2,
                       r"--splits .*splits\.json: no such file"),
    "videos_missing": (["-d", "summe", "--videos", "{tmp}/none", "--annotations", "{tmp}"], 2,
                       r"--videos .*none: no such folder"),
    "no_gt": (["-d", "summe", "--videos", "{tmp}", "--annotations", "{tmp}"], 1,
              r"no SumMe ground-truth \.mat files in"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_gives_one_line(case, tvsum_dir, tmp_path, capsys):
    arguments, expected_code, pattern = BAD[case]
    only_h5 = _copy_without_annotations(tvsum_dir, tmp_path)
    out_json = tmp_path / "out.json"
    filled = [str(a).format(tmp=tmp_path, tvsum=tvsum_dir, only_h5=only_h5) for a in arguments]
    code, out, err = run_cli(["eval", *filled, "-q", "--json", out_json], capsys)
    lines = err.strip().splitlines()
    assert code == expected_code, err
    assert len(lines) == 1 and lines[0].startswith("summarize: error: "), err
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in out + err and not out_json.exists()


@pytest.mark.slow
def test_raw_videos_on_the_command_line(data_dir, tmp_path, capsys):
    out_json = tmp_path / "summe.json"
    code, out, err = run_cli(["eval", "--dataset", "summe", "--videos", data_dir / "summe" / "videos",
                              "--annotations", data_dir / "summe" / "GT", "--backbone", "efficientnet-lite0",
                              "--device", "cpu", "--random-draws", "2", "--json", out_json], capsys)
    assert code == 0, err
    assert "SumMe (raw videos): F1 max over users" in out
    assert "Note: paluma_jump: decoded 2576 frames, annotated 2574" in " ".join(out.split())
    document = json.loads(out_json.read_text())
    assert document["mode"] == "videos" and document["parameters"]["raw_video"]["backbone"] == "efficientnet-lite0"
    assert {v["name"]: v["alignment"]["trimmed_frames"] for v in document["videos"]} == {"paluma_jump": 2,
                                                                                        "playing_ball": 1}


@pytest.mark.slow
def test_sigterm_stops_eval_with_one_line_and_exit_130(tvsum_dir, tmp_path):
    """As video and batch: SIGTERM (a job scheduler's stop) is Ctrl-C, not a silent death."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from tests.signals import signal_once_imported, without_import_times

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out_json = tmp_path / "tvsum.json"
    # A million random draws: still running when the signal comes, however fast the machine.
    process = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "summarize", "eval", "--dataset", "tvsum",
                                "--data-dir", str(tvsum_dir), "--random-draws", "1000000", "-q", "--json",
                                str(out_json)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    signal_once_imported(process, "summarize.evaluation.runner", signal.SIGTERM)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr[-2000:]
    assert without_import_times(stderr) == "summarize: error: interrupted; no partial outputs were left behind\n"
    assert list(tmp_path.iterdir()) == []
