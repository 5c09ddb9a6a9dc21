"""``--ray ray://HOST:PORT`` against a cluster started as users start one today: ``ray start
--head`` of Ray 2.60 with token authentication on, on 127.0.0.1 only, in its own processes
(so its workers see none of the test's environment). The command runs as a user runs it,
in a process of its own."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.synthetic import write_video

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env(**extra) -> dict:
    """This environment without the settings a test chooses itself."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SUMMARIZE_", "RAY_")) and k not in ("PYTHONPATH", "HOME")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


@pytest.fixture(scope="module")
def token_head():
    """A ``ray start --head`` with RAY_AUTH_MODE=token on 127.0.0.1; yields (client address, token, head HOME)."""
    base = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # short: Ray's socket paths have a length limit
    token = secrets.token_hex(16)
    home = base / "head-home"
    home.mkdir()
    client_port = _free_port()
    ports = {"--port": _free_port(), "--ray-client-server-port": client_port,
             "--node-manager-port": _free_port(), "--object-manager-port": _free_port(),
             "--dashboard-agent-listen-port": _free_port(), "--dashboard-agent-grpc-port": _free_port(),
             "--metrics-export-port": _free_port(), "--runtime-env-agent-port": _free_port()}
    command = [shutil.which("ray") or "ray", "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
               "--num-cpus", "1", "--include-dashboard", "false", "--disable-usage-stats",
               "--temp-dir", str(base / "t"), *[str(x) for item in ports.items() for x in item]]
    env = _clean_env(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token, HOME=str(home))
    head = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:  # up once the Ray Client server answers
            if head.poll() is not None:
                pytest.fail(f"ray start failed: {head.stderr.read().decode()[-2000:]}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", client_port)) == 0:
                    break
            if time.monotonic() > deadline:
                pytest.fail("ray start --head did not come up in 120 s")
            time.sleep(0.5)
        yield f"ray://127.0.0.1:{client_port}", token, home
    finally:
        # Our processes only: the head's session (ray stop would end every Ray of this user).
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(head.pid, sig)
            except ProcessLookupError:
                break
            try:
                head.wait(wait)
            except subprocess.TimeoutExpired:
                pass
        shutil.rmtree(base, ignore_errors=True)


def _summarize(args, env, timeout=300):
    return subprocess.run([sys.executable, "-m", "summarize", *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.ray
@pytest.mark.slow
def test_a_token_authenticated_head_is_used_with_the_token_and_the_driver_settings(tmp_path, token_head):
    address, token, head_home = token_head
    folder = tmp_path / "videos"
    folder.mkdir()
    write_video(folder / "clip.mp4", [(0, 2.0), (1, 2.0)], width=160, height=96, fps=20)
    cache = tmp_path / "driver-cache"
    home = tmp_path / "home"  # no ~/.ray/auth_token here: the token comes from RAY_AUTH_TOKEN
    home.mkdir()
    env = _clean_env(RAY_AUTH_TOKEN=token, HOME=str(home), SUMMARIZE_CACHE_DIR=str(cache))
    result = _summarize(["batch", folder, "-o", tmp_path / "out", "--ray", address, "--jobs", "1",
                         "--progress", "json"], env)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = json.loads((tmp_path / "out" / "index.json").read_text())["videos"]
    assert [(r["input"], r["status"]) for r in rows] == [("clip.mp4", "ok")]
    assert (tmp_path / "out" / "clip.summary.mp4").stat().st_size > 0
    # The worker (a process of the head, whose environment has no SUMMARIZE_*) cached the
    # features where the driver's SUMMARIZE_CACHE_DIR says, not under the head's home.
    assert list((cache / "features").glob("*.npz")), list(cache.rglob("*"))
    assert not (head_home / ".cache" / "summarize").exists()
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert events[-1]["event"] == "done" and events[-1]["fraction"] == 1.0
    assert any(e["event"] == "progress" and e.get("where") for e in events)  # stages came back from the worker


@pytest.mark.ray
@pytest.mark.slow
def test_without_the_token_the_one_line_says_what_the_cluster_needs(tmp_path, token_head):
    address, _, _ = token_head
    folder = tmp_path / "videos"
    folder.mkdir()
    write_video(folder / "clip.mp4", [(0, 2.0)], width=160, height=96, fps=20)
    home = tmp_path / "home"
    home.mkdir()
    result = _summarize(["batch", folder, "-o", tmp_path / "out", "--ray", address, "-q"],
                        _clean_env(HOME=str(home)))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"summarize: error: --ray {address}: cannot reach the Ray cluster: ")
    assert "RAY_AUTH_TOKEN" in lines[0] and "ray get-auth-token" in lines[0]
    assert not (tmp_path / "out").exists()


def test_the_driver_s_summarize_settings_go_to_every_worker(monkeypatch):
    from summarize.batch import ray_executor

    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", "/shared/cache")
    monkeypatch.setenv("SUMMARIZE_DATA", "/shared/data")
    monkeypatch.setenv("OTHER", "x")
    assert ray_executor.driver_env() == {"SUMMARIZE_CACHE_DIR": "/shared/cache", "SUMMARIZE_DATA": "/shared/data"}


@pytest.mark.parametrize("env, expected", [
    ({"RAY_AUTH_TOKEN": "abc"}, "RAY_AUTH_TOKEN"),
    ({"RAY_AUTH_TOKEN_PATH": "/run/token"}, "/run/token"),
    ({}, None),
])
def test_the_token_is_looked_for_where_ray_looks(tmp_path, monkeypatch, env, expected):
    from summarize.batch import ray_executor

    for name in ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert ray_executor.token_source() == expected
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("t")
    assert ray_executor.token_source() == (expected or "~/.ray/auth_token")
