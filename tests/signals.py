"""Helpers for tests that interrupt a child process."""

import signal


def default_sigint() -> None:
    """``subprocess.Popen(preexec_fn=default_sigint)``: a test run started in the background
    (``nohup``, ``&``, some CI runners) passes SIGINT on *ignored*, and Python then installs no
    Ctrl-C handler in the child, so the interrupt a test sends would be lost."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
