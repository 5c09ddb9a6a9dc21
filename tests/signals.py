"""Helpers for tests that interrupt a child process."""

import signal


def default_sigint() -> None:
    """``subprocess.Popen(preexec_fn=default_sigint)``: a test run started in the background
    (``nohup``, ``&``, some CI runners) passes SIGINT on *ignored*, and Python then installs no
    Ctrl-C handler in the child, so the interrupt a test sends would be lost."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def signal_once_imported(process, module: str, signum: int) -> list[str]:
    """Send ``signum`` to ``process`` (started with ``python -X importtime`` and
    ``stderr=subprocess.PIPE, text=True``) as soon as it reports ``module`` imported: the
    moment under test, whatever the machine's load. Returns the stderr lines read so far."""
    lines = []
    for line in process.stderr:
        lines.append(line)
        if line.startswith("import time:") and line.rsplit("|", 1)[-1].strip() == module:
            process.send_signal(signum)
            return lines
    raise AssertionError(f"{module} was never imported:\n{''.join(lines[-20:])}")


def without_import_times(text: str) -> str:
    """stderr of a ``python -X importtime`` run without its import lines."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("import time:"))
