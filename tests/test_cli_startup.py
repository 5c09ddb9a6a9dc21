"""Start-up of the command line: help and usage errors answer without loading PyTorch; Ctrl-C
while the modules load ends with one line; no arguments is a usage error."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.signals import default_sigint, signal_once_imported, without_import_times

ROOT = Path(__file__).resolve().parent.parent


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(*args, columns=None):
    env = _env()
    if columns:
        env["COLUMNS"] = str(columns)
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "summarize", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def _imported(stderr: str) -> set[str]:
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


@pytest.mark.parametrize("args", [["--help"], ["batch", "--help"], ["video.mp4", "--help"], ["eval", "--help"],
                                  ["export", "--help"], ["export", "a.summary.json", "--budget", "2"],
                                  ["video.mp4", "--bogus"], ["batch"], ["video.mp4", "--method", "nope"], []])
def test_help_and_usage_errors_do_not_import_torch(args):
    result = _run(*args)
    imported = _imported(result.stderr)
    assert "summarize._cli.app" in imported  # the import log is really there
    heavy = {name for name in imported if name.split(".")[0] in (
        "torch", "torchvision", "decord", "scipy", "numpy", "av", "PIL", "matplotlib", "ray", "jsonschema",
        "ortools", "opentimelineio")}
    assert not heavy, sorted(heavy)[:5]
    if "--help" in args:  # Typer builds Pydantic adapters only for values it must coerce
        assert not {name for name in imported if name.split(".")[0] == "pydantic"}
    assert "summarize.pipeline" not in imported
    assert result.returncode == (0 if "--help" in args else 2), result.stderr[-500:]


VALUE_ERRORS = {
    # name: (arguments, exit code, the line); VIDEO, EMPTY and OUT are filled in
    "missing file": (["MISSING"], 2, "no such file: MISSING"),
    "budget": (["VIDEO", "--budget", "2"], 2, "--budget must be in (0, 1] (a fraction of the duration), got 2"),
    "export": (["VIDEO", "--export", "pdf"], 2, "unknown --export format 'pdf'; choose from: "),
    "no gpu": (["VIDEO", "--device", "cuda"], 2,
               "--device cuda was asked for but no CUDA GPU is available (use --device cpu or auto)"),
    "outputs exist": (["VIDEO", "-o", "OUT"], 1, "OUT/clip.summary.json already exists (use --overwrite to replace it)"),
    "batch budget": (["batch", "EMPTY", "--budget", "0"], 2, "--budget must be in (0, 1]"),
    "batch empty": (["batch", "EMPTY"], 1, "no videos found in EMPTY (files ending in .mp4, .mov, .mkv, .webm, .avi, "
                                           ".m4v; --pattern GLOB takes others); it has sub-folders: --recursive "
                                           "searches them too"),
    "batch pattern": (["batch", "EMPTY", "-r", "--pattern", "*.mov"], 1, "no videos found in EMPTY matching "
                                                                          "--pattern '*.mov'"),
}


@pytest.mark.parametrize("case", sorted(VALUE_ERRORS))
def test_value_errors_answer_before_pytorch_loads(tmp_path, case):
    """A wrong value, a missing file, existing outputs or a folder without videos is said at once:
    the check runs before PyTorch is imported (8-15 s on a laptop), and nothing is written."""
    video = tmp_path / "clip.mp4"
    video.write_bytes((ROOT / "examples" / "bigbuckbunny.mp4").read_bytes())
    empty, out = tmp_path / "empty", tmp_path / "out"
    (empty / "sub").mkdir(parents=True)
    out.mkdir()
    (out / "clip.summary.json").write_text("{}")
    names = {"VIDEO": str(video), "MISSING": str(tmp_path / "missing.mp4"), "EMPTY": str(empty), "OUT": str(out)}
    args, code, line = VALUE_ERRORS[case]
    args = [names.get(a, a) for a in args]
    for name, value in names.items():
        line = line.replace(name, value)
    env = _env()
    env["CUDA_VISIBLE_DEVICES"] = ""  # no GPU, even on a machine that has one
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "summarize", *args], capture_output=True,
                            text=True, env=env, timeout=120)
    imported = _imported(result.stderr)
    assert "summarize._cli.app" in imported  # the import log is really there
    assert not {name for name in imported if name.split(".")[0] == "torch"}, "PyTorch was imported"
    assert "summarize.pipeline" not in imported
    errors = [line for line in result.stderr.splitlines() if not line.startswith("import time:")]
    assert result.returncode == code and len(errors) == 1 and errors[0].startswith(f"summarize: error: {line}"), \
        result.stderr[-1000:]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["clip.mp4", "clip.summary.json", "empty", "out", "sub"]


def test_no_arguments_is_a_usage_error_showing_the_usage():
    result = subprocess.run([sys.executable, "-m", "summarize"], capture_output=True, text=True, env=_env(),
                            timeout=120)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Usage: summarize VIDEO") and lines[1].startswith("summarize: error: missing VIDEO")
    assert len(lines) == 2 and result.stdout == ""


def test_error_is_one_line_with_no_empty_line_before_it_when_stderr_is_a_file(tmp_path):
    result = subprocess.run([sys.executable, "-m", "summarize", str(tmp_path / "missing.mp4")], capture_output=True,
                            text=True, env=_env(), timeout=120)
    assert result.returncode == 2
    assert result.stderr == f"summarize: error: no such file: {tmp_path / 'missing.mp4'}\n"


def test_help_uses_the_terminal_width_and_reads_cleanly():
    wide = _run("--help", columns=150).stdout
    narrow = _run("--help", columns=70).stdout
    assert max(len(line) for line in narrow.splitlines()) <= 70
    assert max(len(line) for line in wide.splitlines()) > 80  # not stuck at Click's 80 columns
    for text in (wide, narrow):
        assert "..." not in text.split("Commands:")[1].replace("COMMAND [ARGS]...", "")  # command summaries are whole
        for name in ("video", "batch", "eval", "train"):
            assert f"\n  {name} " in text.split("Commands:")[1]
    # the example lines are kept whole, whatever the width
    assert "  summarize batch DIR [OPTIONS]    every video in a folder" in narrow
    for args in (["batch", "--help"], ["video.mp4", "--help"]):
        usage = _run(*args).stdout.splitlines()[0]
        assert "{" not in usage and (usage.endswith(" DIR") or usage.endswith(" VIDEO")), usage


def test_train_loads_when_named():
    result = subprocess.run([sys.executable, "-m", "summarize", "train", "mae", "--help"], capture_output=True,
                            text=True, env=_env(), timeout=300)
    assert result.returncode == 0 and "--steps" in result.stdout and "[default: 3000]" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("moment", [
    "summarize._cli.app",  # the command line's own modules just loaded: before or as the command starts
    "torch.nn",  # half-way through PyTorch's start-up, inside the command's held imports
])
def test_ctrl_c_while_the_modules_load_is_one_line_and_exit_130(tmp_path, moment):
    # The interrupt is sent when the process reports (its -X importtime line) that it reached
    # the moment under test: no fixed delay, so a loaded machine cannot move it (under load a
    # delay of 1 s once landed before the interpreter was up, where a signal kills any program).
    process = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "summarize",
                                str(ROOT / "examples" / "bigbuckbunny.mp4"), "-o", str(tmp_path), "--no-cache"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
                               preexec_fn=default_sigint)
    signal_once_imported(process, moment, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    stderr = without_import_times(stderr)
    assert process.returncode == 130, stderr
    assert stderr == "summarize: error: interrupted; no partial outputs were left behind\n", stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("delay", [2.5, 3.0, 3.5, 4.0, 5.0])
def test_ctrl_c_late_in_a_run_is_one_line_and_exit_130_or_a_complete_run(tmp_path, delay):
    # Late: decoding ahead, writing, or the interpreter's teardown once the outputs are
    # complete (a thread left decoding crashed the process; Python's teardown, which takes
    # most of a second after PyTorch, died of the signal with no message).
    process = subprocess.Popen([sys.executable, "-m", "summarize", str(ROOT / "examples" / "bigbuckbunny.mp4"),
                                "-o", str(tmp_path), "--no-cache", "--quiet"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=_env(), preexec_fn=default_sigint)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode in (0, 130), stderr
    if process.returncode == 130:
        assert stderr == "summarize: error: interrupted; no partial outputs were left behind\n", stderr
        assert list(tmp_path.iterdir()) == []
    else:
        assert stderr == ""
        assert sorted(path.name for path in tmp_path.iterdir()) == ["bigbuckbunny.summary.json",
                                                                    "bigbuckbunny.summary.mp4"]

def test_the_names_offered_match_the_registries():
    from summarize import names
    from summarize.backbones import BACKBONES, DEFAULT_BACKBONE, RUNTIMES
    from summarize.decoding import BACKENDS, SAMPLING_MODES
    from summarize.device import DEVICE_CHOICES
    from summarize.evaluation import DATASETS, REFERENCES
    from summarize.evaluation.runner import BASELINES
    from summarize.scoring import DEFAULT_METHOD, SCORERS
    from summarize.outputs.smartcut import CUT_MODES, DEFAULT_CUT
    from summarize.total_selection import DEFAULT_MIN_SHOT
    from summarize.scoring.contrastive import VARIANTS

    assert names.BACKBONE_NAMES == tuple(BACKBONES) and names.DEFAULT_BACKBONE == DEFAULT_BACKBONE
    assert names.METHOD_NAMES == tuple(SCORERS) and names.DEFAULT_METHOD == DEFAULT_METHOD
    assert names.VARIANTS == tuple(VARIANTS) and names.DEVICE_CHOICES == tuple(DEVICE_CHOICES)
    assert names.DATASETS == tuple(DATASETS) and names.REFERENCES == tuple(REFERENCES)
    assert names.BASELINES == tuple(BASELINES)
    assert names.CUT_MODES == tuple(CUT_MODES) and names.DEFAULT_CUT == DEFAULT_CUT
    assert names.DECODERS == ("auto", *BACKENDS)
    assert names.SAMPLING_MODES == SAMPLING_MODES and names.RUNTIMES == RUNTIMES
    assert names.DEFAULT_MIN_SHOT == DEFAULT_MIN_SHOT
