"""Where each video's summary goes, and whether an existing summary can be kept."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..outputs import FORMAT_VERSION
from ..paths import output_paths


@dataclass(frozen=True)
class BatchItem:
    """One input video of a batch and the outputs it gets."""

    source: Path
    name: str  # the source's path below the batch folder, with forward slashes
    json_path: Path
    video_path: Path | None  # None when only JSON is written

    @property
    def outputs(self) -> list[Path]:
        return [p for p in (self.video_path, self.json_path) if p is not None]


def plan_outputs(videos: list[Path], root: Path, output_dir: Path | None = None, *,
                 write_video: bool = True) -> list[BatchItem]:
    """Outputs beside each video, or in ``output_dir`` mirroring the folders below ``root``.

    Two videos that would write the same summary (``a.mp4`` and ``a.mov`` in one folder)
    both name their outputs after their whole file name (``a.mp4.summary.mp4``, ...).
    """
    root = Path(root)
    folders = []
    for video in videos:
        relative = video.relative_to(root)
        folders.append(video.parent if output_dir is None else Path(output_dir) / relative.parent)
    groups: dict[tuple[str, str], int] = defaultdict(int)
    for video, folder in zip(videos, folders):
        # casefold: on macOS and Windows a.MP4 and A.mp4 outputs are the same file
        groups[(str(folder).casefold(), video.stem.casefold())] += 1
    items = []
    for video, folder in zip(videos, folders):
        clash = groups[(str(folder).casefold(), video.stem.casefold())] > 1
        video_path, json_path = output_paths(video, folder, stem=video.name if clash else None)
        items.append(BatchItem(video, video.relative_to(root).as_posix(), json_path,
                               video_path if write_video else None))
    return items


@dataclass(frozen=True)
class Freshness:
    up_to_date: bool
    reason: str  # why outputs are kept or must be (re)made
    document: dict[str, Any] | None = None  # the existing summary JSON, when up to date


def check_outputs(item: BatchItem, options: dict[str, Any]) -> Freshness:
    """Whether ``item``'s outputs exist, are newer than its input and were made with
    ``options`` (the ``options`` section a summary JSON records: fingerprint and values)."""
    try:
        source = item.source.stat()
    except OSError:
        return Freshness(False, "input unreadable")  # summarizing it will say why
    for path, missing in ((item.json_path, "no summary yet"), (item.video_path, "summary video missing")):
        if path is None:
            continue
        try:
            made = path.stat()
        except OSError:
            return Freshness(False, missing)
        if made.st_mtime_ns < source.st_mtime_ns:
            return Freshness(False, "input changed since its summary")
    try:
        document = json.loads(item.json_path.read_text(encoding="utf-8"))
        recorded = document.get("options") or {}
        size = document["input"]["size_bytes"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Freshness(False, "existing summary JSON unreadable")
    if size != source.st_size:
        return Freshness(False, "input changed since its summary")
    version = document.get("format_version")
    if version != FORMAT_VERSION:  # what a summary means changed (format 2: the budget counts seconds)
        return Freshness(False, f"made by another version (summary format {version}, now {FORMAT_VERSION})")
    if recorded.get("fingerprint") != options["fingerprint"]:
        return Freshness(False, "made with other options" + _differences(recorded.get("values"), options["values"]))
    return Freshness(True, "up to date", document)


def _differences(old: Any, new: dict[str, Any]) -> str:
    """`` (budget 0.15 -> 0.2, fps 2.0 -> 1.0)`` for the options that changed."""
    if not isinstance(old, dict):
        return " (none recorded)"
    changed = [f"{key} {json.dumps(old.get(key))} -> {json.dumps(value)}" for key, value in new.items()
               if old.get(key) != value]
    return f" ({', '.join(changed)})" if changed else ""


def is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in ``folder`` (both resolved; a missing path is judged by name)."""
    try:
        return os.path.commonpath([Path(path).resolve(), Path(folder).resolve()]) == str(Path(folder).resolve())
    except ValueError:
        return False
