"""Finding the videos of a folder: by extension or pattern, optionally recursive."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from ..errors import InputError, UsageError
from ..paths import is_shot_file

VIDEO_EXTENSIONS = ("mp4", "mov", "mkv", "webm", "avi", "m4v")
# Summaries written beside their inputs must not become inputs of the next run.
SUMMARY_SUFFIX = ".summary.mp4"


def is_candidate(name: str, pattern: str | None = None) -> bool:
    """Whether a file called ``name`` is taken as a video (case-insensitive).

    Hidden files (including our own partial outputs) and summaries are never taken.
    """
    lowered = name.lower()
    if lowered.startswith(".") or lowered.endswith(SUMMARY_SUFFIX):
        return False
    if pattern is not None:
        return fnmatch.fnmatchcase(lowered, pattern.lower())
    return lowered.rpartition(".")[2] in VIDEO_EXTENSIONS and "." in lowered


def find_videos(root: str | Path, *, recursive: bool = False, pattern: str | None = None,
                exclude: Path | None = None, unreadable: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Files under ``root`` that look like videos, sorted by their path below ``root``.

    A directory is never a video, whatever its name (with ``recursive`` it is searched).
    Symbolic links are followed, each real directory is visited once, so link loops end.
    A name that matches but cannot be read (a link to itself, a dangling link) is kept:
    summarizing it then fails with the reason, which the run reports. The clips of
    ``summarize VIDEO --split`` (``NAME-shot-NNN.mp4`` beside ``NAME.summary.json`` or
    ``NAME.json``) are not taken: they are parts of a summary, not videos. Hidden folders
    and ``exclude`` (an output folder inside ``root``) are not searched. Folders that
    cannot be listed are appended to ``unreadable`` as (path, reason), so that the run
    can report them.
    """
    root = Path(root)
    if not root.exists():
        raise UsageError(f"no such folder: {root}")
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder; to summarize one video run: summarize {root}")
    excluded = _identity(exclude) if exclude is not None else None
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()
    # Real folders are searched before linked ones, so a video reachable both ways is
    # listed under its real path.
    real, linked = [root], []
    while real or linked:
        folder = real.pop() if real else linked.pop()
        ident = _identity(folder)
        if ident is None or ident in seen or (excluded is not None and ident == excluded and folder != root):
            continue
        seen.add(ident)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            if folder == root:
                raise InputError(f"cannot read the folder {root}: {exc.strerror or exc}") from None
            if unreadable is not None:
                unreadable.append((folder, exc.strerror or str(exc)))
            continue
        names = frozenset(entry.name for entry in entries)
        for entry in entries:
            if _is_dir(entry):
                if recursive and not entry.name.startswith("."):
                    (linked if entry.is_symlink() else real).append(Path(entry.path))
            elif is_candidate(entry.name, pattern) and not is_shot_file(entry.name, names):
                # (NAME-shot-NNN.mp4 beside NAME.summary.json: a clip of `summarize --split`)
                found.append(Path(entry.path))
    return sorted(found, key=lambda p: p.relative_to(root).parts)


def require_videos(videos: list[Path], root: str | Path, *, recursive: bool = False, pattern: str | None = None,
                   unreadable: list | None = None) -> None:
    """Refuse a folder where nothing was found (and no sub-folder was unreadable): one line
    saying what was looked for, before anything is written."""
    if videos or unreadable:
        return
    root = Path(root)
    looked = (f"matching --pattern {pattern!r}" if pattern is not None else
              f"(files ending in {', '.join('.' + e for e in VIDEO_EXTENSIONS)}; --pattern GLOB takes others)")
    hint = ""
    if not recursive and _has_subfolders(root):
        hint = "; it has sub-folders: --recursive searches them too"
    raise InputError(f"no videos found in {root} {looked}{hint}")


def _has_subfolders(root: Path) -> bool:
    try:
        return any(_is_dir(entry) and not entry.name.startswith(".") for entry in os.scandir(root))
    except OSError:
        return False


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=True)
    except OSError:  # a link loop is no directory; it is reported as an unreadable file
        return False
