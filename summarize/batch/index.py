"""The run index: one row per video (``index.json`` and ``index.csv``), kept current as the run goes.

Both files are rewritten atomically (temporary name, then rename) after each video, at
most every ``min_interval`` seconds and at the end, so an interrupted run still leaves a
complete index of what it did.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import OutputError
from ..outputs.atomic import atomic_output
from ..paths import exact_bytes, text_safe

INDEX_FORMAT = "summarize.batch-index"
INDEX_FORMAT_VERSION = 1
STATUSES = ("ok", "skipped", "failed")
WRITE_ATTEMPTS = 3


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class IndexEntry:
    """What happened to one video. Paths: ``input`` below the batch folder, outputs
    relative to the index's folder (absolute when outside it)."""

    input: str
    status: str  # ok, skipped or failed
    reason: str  # one line: why it failed, was skipped or was redone ("" for a first summary)
    duration: float | None  # seconds of the input video
    kept_seconds: float | None  # seconds in its summary
    summary_json: str | None
    summary_video: str | None
    seconds: float  # time spent on it in this run
    finished: str  # when (UTC, ISO 8601)


# input_bytes: the exact bytes (base64) of an input whose path is not UTF-8, which ``input``
# writes with \xNN for each byte that is not (see summarize/paths.py); empty otherwise.
COLUMNS = [f.name for f in fields(IndexEntry)] + ["input_bytes"]
EARLIER_COLUMNS = COLUMNS[:-1]  # the header of indexes written before input_bytes


def _row(entry: IndexEntry) -> dict[str, Any]:
    """An index row as written: every text as UTF-8, the input's exact bytes beside it."""
    return {**text_safe(asdict(entry)), "input_bytes": exact_bytes(entry.input)}


class RunIndex:
    """``index.json`` + ``index.csv`` in ``folder`` for one batch run."""

    def __init__(self, folder: Path, header: dict[str, Any], inputs: list[str], min_interval: float = 2.0) -> None:
        """``inputs``: every video of the run (as ``IndexEntry.input``), in the order rows are listed."""
        self.folder = Path(folder)
        self.json_path = self.folder / "index.json"
        self.csv_path = self.folder / "index.csv"
        self.header = header
        self.total = len(inputs)
        self._position = {name: i for i, name in enumerate(inputs)}
        self.entries: list[IndexEntry] = []
        self.started = now_iso()
        self.min_interval = min_interval
        self._last_write = -float("inf")

    def check_replaceable(self) -> None:
        """Refuse to overwrite an ``index.json`` or ``index.csv`` that another program wrote."""
        try:
            existing = json.loads(self.json_path.read_text(encoding="utf-8"))
            ours = isinstance(existing, dict) and existing.get("format") == INDEX_FORMAT
        except FileNotFoundError:
            ours = True
        except (OSError, ValueError):
            ours = False
        if not ours:
            raise OutputError(f"{self.json_path} exists and is not a summarize index; "
                              f"move it or choose another folder with -o")
        try:
            with open(self.csv_path, newline="", encoding="utf-8") as fh:
                ours = next(csv.reader(fh), None) in (COLUMNS, EARLIER_COLUMNS)
        except FileNotFoundError:
            pass
        except (OSError, UnicodeDecodeError, csv.Error):
            ours = False
        if not ours:
            raise OutputError(f"{self.csv_path} exists and is not a summarize index; "
                              f"move it or choose another folder with -o")

    def relative(self, path: Path | None) -> str | None:
        """``path`` relative to the index's folder when inside it, absolute otherwise."""
        return self.relative_to(path, self.folder)

    @staticmethod
    def relative_to(path: Path | None, folder: Path) -> str | None:
        """``relative`` for an index in ``folder`` (workers elsewhere know the folder, not the index)."""
        if path is None:
            return None
        path = Path(path).absolute()
        try:
            return path.relative_to(Path(folder).absolute()).as_posix()
        except ValueError:
            return str(path)

    def add(self, entry: IndexEntry) -> None:
        self.entries.append(entry)
        if time.monotonic() - self._last_write >= self.min_interval:
            try:
                self.write()
            except OutputError:  # a full disk: the run goes on, the final write tries again
                self._last_write = time.monotonic()

    def ordered(self) -> list[IndexEntry]:
        return sorted(self.entries, key=lambda e: self._position.get(e.input, len(self._position)))

    def counts(self) -> dict[str, int]:
        counts = {status: 0 for status in STATUSES}
        for entry in self.entries:
            counts[entry.status] += 1
        counts["pending"] = self.total - len(self.entries)
        return counts

    def document(self, complete: bool) -> dict[str, Any]:
        return {
            "format": INDEX_FORMAT,
            "format_version": INDEX_FORMAT_VERSION,
            "tool": {"name": "summarize", "version": __version__},
            **text_safe(self.header),
            "started": self.started,
            "updated": now_iso(),
            "complete": complete,
            "counts": self.counts(),
            "videos": [_row(e) for e in self.ordered()],
        }

    def write(self, complete: bool = False) -> None:
        """Replace both files, trying again twice after a short wait; then ``OutputError``."""
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(COLUMNS)
        for entry in self.ordered():
            writer.writerow(["" if v is None else v for v in _row(entry).values()])
        document = json.dumps(self.document(complete), indent=2, ensure_ascii=False) + "\n"
        for path, content in ((self.csv_path, text.getvalue()), (self.json_path, document)):
            for attempt in range(WRITE_ATTEMPTS):
                try:
                    with atomic_output(path) as tmp:
                        tmp.write_text(content, encoding="utf-8")
                    break
                except (OSError, OutputError) as exc:
                    if attempt == WRITE_ATTEMPTS - 1:
                        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
                        raise OutputError(f"cannot write the run index {path}: {reason or exc}") from None
                    time.sleep(0.5 * (attempt + 1))  # space may come back (a temporary file removed)
        self._last_write = time.monotonic()
