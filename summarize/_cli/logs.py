"""``-v`` / ``--log-file``: the library's debug log (Python ``logging``, logger ``summarize``)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _StderrHandler(logging.StreamHandler):
    """Writes to the ``sys.stderr`` of the moment: Rich's bars redirect it while they draw,
    so a log line lands above the bars instead of through them."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


class _FileHandler(logging.FileHandler):
    pass


def debug_log(verbose: bool, log_file: Path | None) -> None:
    """Set the ``summarize`` logger up for this command: DEBUG to stderr (``verbose``) and/or
    appended to ``log_file``; neither: as it was (a host program's own set-up stays). The
    handlers of a previous command (the library called twice in one process) are replaced."""
    from ..errors import OutputError

    logger = logging.getLogger("summarize")
    ours = [h for h in logger.handlers if isinstance(h, (_StderrHandler, _FileHandler))]
    for handler in ours:
        logger.removeHandler(handler)
        handler.close()
    if ours:
        logger.setLevel(logging.NOTSET)
    if not verbose and log_file is None:
        return
    handlers: list[logging.Handler] = [_StderrHandler()] if verbose else []
    if log_file is not None:
        try:
            handlers.append(_FileHandler(log_file, encoding="utf-8"))
        except OSError as exc:
            raise OutputError(f"cannot write --log-file {log_file} ({exc.strerror or exc})") from None
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.debug("summarize %s", " ".join(sys.argv[1:]))
