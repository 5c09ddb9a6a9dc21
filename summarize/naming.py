"""Where a summary's files go, importable without PyTorch (the command line decides before loading it).

``-o`` follows the video tools: a name ending in a video suffix is the summary file itself,
an existing folder or a name ending in ``/`` is a folder. Per-shot files (``--split``,
``--save-images``) sit beside the summary, numbered as the JSON's shots.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import UsageError

# Names that are a video file, not a folder, when given to -o.
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".m2ts", ".mts", ".wmv",
                  ".flv", ".3gp")
# The summary is an MP4 (H.264 + AAC); these names are MP4 files to every player.
MP4_SUFFIXES = (".mp4", ".m4v", ".mov")


def output_paths(video: Path, output_dir: Path | None, stem: str | None = None) -> tuple[Path, Path]:
    """``NAME.summary.mp4`` and ``NAME.summary.json`` beside the video or in ``output_dir``
    (``NAME`` is the video's stem unless ``stem`` is given)."""
    folder = Path(output_dir) if output_dir is not None else Path(video).parent
    stem = stem or Path(video).stem
    return folder / f"{stem}.summary.mp4", folder / f"{stem}.summary.json"


def names_a_file(output: str | os.PathLike) -> bool:
    """Whether ``-o output`` names the summary file (a video suffix, not a folder)."""
    text = os.fspath(output)
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        return False
    return Path(text).suffix.lower() in VIDEO_SUFFIXES


def summary_paths(video: str | os.PathLike, output: str | os.PathLike | None) -> tuple[Path, Path]:
    """(summary MP4, summary JSON) for ``summarize VIDEO -o output``: beside the video when
    ``output`` is None; ``output`` itself and ``output`` with ``.json`` when it names a video
    file; ``NAME.summary.mp4`` and ``.json`` in it when it is a folder."""
    video = Path(video)
    if output is None:
        return output_paths(video, None)
    if not names_a_file(output):
        return output_paths(video, Path(output))
    target = Path(output)
    if target.suffix.lower() not in MP4_SUFFIXES:
        raise UsageError(f"-o {output}: the summary is an MP4 file; name it .mp4 (or .m4v, .mov), or give a folder")
    if _same_file(target, video):
        raise UsageError(f"-o {output} is the input video itself; give another name")
    return target, target.with_suffix(".json")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def shot_base(json_path: Path) -> str:
    """``talk.summary.json`` -> ``talk``; ``short.json`` -> ``short``."""
    return Path(json_path).name.removesuffix(".json").removesuffix(".summary")


def shot_path(json_path: Path, number: int, suffix: str) -> Path:
    """``NAME-shot-007.mp4`` beside the summary JSON: shot 7 is ``shots[6]`` of the JSON."""
    return Path(json_path).with_name(f"{shot_base(json_path)}-shot-{number:03d}{suffix}")


def existing_shot_files(json_path: Path) -> list[Path]:
    """Clips and images of an earlier run that wrote this summary (``NAME-shot-NNN.mp4|jpg``)."""
    folder, base = Path(json_path).parent, shot_base(json_path)
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    pattern = re.compile(re.escape(base) + r"-shot-\d{3,}\.(?:mp4|jpg)")
    return sorted(folder / n for n in names if pattern.fullmatch(n))
