"""Ctrl-C while native modules load is held until they are in (raised inside their C++
start-up it aborted the process: pybind11 calls std::terminate), and the program's entry
point ignores it during the interpreter's teardown, after the outputs are complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from summarize.loading import import_native, signals_held

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def python_sigint():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_inside_is_raised_once_the_block_is_done(python_sigint):
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)  # twice: still one interrupt
            for _ in range(1000):  # bytecode, where Python would run a handler
                pass
            reached.append("end of block")
    assert reached == ["end of block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_stop_signal_goes_to_the_handler_it_had():
    got = []
    previous = signal.signal(signal.SIGTERM, lambda number, frame: got.append(number))
    try:
        with signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            assert got == []
        assert got == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_an_ignored_signal_stays_ignored_and_a_quiet_block_changes_nothing(python_sigint):
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with signals_held():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
            os.kill(os.getpid(), signal.SIGHUP)
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_off_the_main_thread_nothing_changes(python_sigint):
    seen = []

    def body():
        with signals_held():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler]


def test_an_error_inside_passes_through_with_the_handlers_restored(python_sigint):
    with pytest.raises(ValueError):
        with signals_held():
            raise ValueError("boom")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_import_native_holds_the_signals_only_for_a_first_import(tmp_path, python_sigint, monkeypatch):
    (tmp_path / "summarize_test_native.py").write_text(
        "import signal\nHANDLER = signal.getsignal(signal.SIGINT)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = import_native("summarize_test_native")
    assert module.HANDLER is not signal.default_int_handler  # held while it imported
    swaps = []
    monkeypatch.setattr(signal, "signal", lambda *args: swaps.append(args))
    assert import_native("summarize_test_native") is module
    assert swaps == []  # imported already: no handlers swapped (the knapsack calls it every time)
    monkeypatch.delitem(sys.modules, "summarize_test_native")


def test_the_entry_point_ignores_ctrl_c_once_main_is_done():
    # run() ends the process itself (exits.exit_now); what it passes there is checked.
    code = ("import signal, sys\nimport summarize._cli\napp = sys.modules['summarize._cli.app']\n"
            "sys.argv = ['summarize', '--version']\n"
            "def exit_now(code):\n"
            "    print(code, signal.getsignal(signal.SIGINT) is signal.SIG_IGN)\n    raise SystemExit(0)\n"
            "app.exit_now = exit_now\napp.run()\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.stdout.splitlines()[-1] == "0 True", result.stderr


def test_sigterm_interrupts_a_command_but_sighup_under_nohup_stays_ignored():
    from summarize._cli.signals import interrupt_on_signals

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    sigterm = signal.getsignal(signal.SIGTERM)
    try:
        with interrupt_on_signals():
            os.kill(os.getpid(), signal.SIGHUP)  # nohup: the run goes on
            with pytest.raises(KeyboardInterrupt):
                os.kill(os.getpid(), signal.SIGTERM)
                for _ in range(1000):
                    pass
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) == sigterm
    finally:
        signal.signal(signal.SIGHUP, previous)
