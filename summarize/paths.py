"""File names as text, whatever their bytes, and the names of a summary's outputs.

A POSIX file name is bytes; Python holds the bytes that are not UTF-8 as lone surrogates
(``bad\\udcff.mp4``), which JSON, CSV and HTML written as UTF-8 cannot hold. Every name we
write or print goes through ``shown``: the name itself when it is UTF-8, else the name with
each byte that is not written ``\\xNN`` (``bad\\xff.mp4``). Where a record must give the
name back exactly (the summary JSON, the run index), ``exact_bytes`` adds its bytes in
base64 beside it, and ``from_record`` turns the pair back into the name. A leaf module
(``errors`` aside): the command line uses it before anything heavy is loaded.

``-o`` follows the video tools: a name ending in a video suffix is the summary file itself,
an existing folder or a name ending in ``/`` is a folder (``summary_paths``). Per-shot files
(``--split``, ``--save-images``) sit beside the summary JSON, numbered as its shots.
"""

from __future__ import annotations

import base64
import os
import re
import urllib.parse
from pathlib import Path
from typing import Any

from .errors import UsageError

# Names that are a video file, not a folder, when given to -o.
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".m2ts", ".mts", ".wmv",
                  ".flv", ".3gp")
# The summary is an MP4 (H.264 + AAC); these names are MP4 files to every player.
MP4_SUFFIXES = (".mp4", ".m4v", ".mov")


def _bytes(name: str | os.PathLike) -> bytes:
    try:
        return os.fsencode(name)
    except UnicodeEncodeError:  # a surrogate that no file name decoded to: keep it visible
        return os.fspath(name).encode("utf-8", "surrogatepass")


def shown(name: str | os.PathLike) -> str:
    """``name`` as UTF-8 text: unchanged when it is, else with ``\\xNN`` for each byte that is not."""
    text = os.fspath(name)
    if isinstance(text, str) and text.isascii():  # the common case, without encoding anything
        return text
    try:
        return _bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        return _bytes(text).decode("utf-8", "backslashreplace")


def exact_bytes(name: str | os.PathLike) -> str | None:
    """The bytes of ``name`` in base64 when ``shown(name)`` is not the name itself, else None."""
    raw = _bytes(name)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii")
    return None


def from_record(text: str, exact: str | None = None) -> str:
    """The name a record holds: its ``exact`` bytes (base64) when given, else ``text``."""
    return os.fsdecode(base64.b64decode(exact)) if exact else text


def url(path: str | os.PathLike) -> str:
    """A relative (or absolute) path as a URL path: every byte that needs it percent-encoded,
    so that a browser opens exactly that file, whatever its name."""
    return urllib.parse.quote_from_bytes(_bytes(Path(path).as_posix()), safe="/")


def text_safe(value: Any) -> Any:
    """A JSON-ready value with every string ``shown`` (a copy; other values as they are)."""
    if isinstance(value, str):
        return value if value.isascii() else shown(value)
    if isinstance(value, dict):
        return {text_safe(k): text_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [text_safe(v) for v in value]
    return value


def output_paths(video: Path, output_dir: Path | None, stem: str | None = None) -> tuple[Path, Path]:
    """``NAME.summary.mp4`` and ``NAME.summary.json`` beside the video or in ``output_dir``
    (``NAME`` is the video's stem unless ``stem`` is given)."""
    video = Path(video)
    folder = Path(output_dir) if output_dir is not None else video.parent
    stem = stem or video.stem
    return folder / f"{stem}.summary.mp4", folder / f"{stem}.summary.json"


def names_a_file(output: str | os.PathLike) -> bool:
    """Whether ``-o output`` names the summary file (a video suffix, not a folder)."""
    text = os.fspath(output)
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        return False
    return Path(text).suffix.lower() in VIDEO_SUFFIXES


def summary_paths(video: str | os.PathLike, output: str | os.PathLike | None,
                  write_video: bool = True) -> tuple[Path, Path]:
    """(summary MP4, summary JSON) for ``summarize VIDEO -o output``: beside the video when
    ``output`` is None; ``output`` itself and ``output`` with ``.json`` when it names a video
    file; ``NAME.summary.mp4`` and ``.json`` in it when it is a folder. Without
    ``write_video`` (``--no-video``) ``output`` must be a folder."""
    video = Path(video)
    if output is None:
        return output_paths(video, None)
    if not names_a_file(output):
        return output_paths(video, Path(output))
    if not write_video:
        raise UsageError(f"-o {shown(output)} names the summary video, but --no-video writes none; give a folder")
    target = Path(output)
    if target.suffix.lower() not in MP4_SUFFIXES:
        raise UsageError(f"-o {shown(output)}: the summary is an MP4 file; name it .mp4 (or .m4v, .mov), "
                         f"or give a folder")
    if _same_file(target, video):
        raise UsageError(f"-o {shown(output)} is the input video itself; give another name")
    return target, target.with_suffix(".json")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and os.path.samefile(a, b))
    except OSError:
        return False


SHOT_FILE = re.compile(r"(?P<base>.+)-shot-\d{3,}\.(?:mp4|jpg)")  # NAME-shot-NNN.mp4|jpg


def shot_base(json_path: Path) -> str:
    """``talk.summary.json`` -> ``talk``; ``short.json`` -> ``short``."""
    return Path(json_path).name.removesuffix(".json").removesuffix(".summary")


def shot_path(json_path: Path, number: int, suffix: str) -> Path:
    """``NAME-shot-007.mp4`` beside the summary JSON: shot 7 is ``shots[6]`` of the JSON."""
    return Path(json_path).with_name(f"{shot_base(json_path)}-shot-{number:03d}{suffix}")


def existing_shot_files(json_path: Path, *, clips: bool = True, images: bool = True) -> list[Path]:
    """Clips (``NAME-shot-NNN.mp4``) and images (``.jpg``) an earlier run wrote beside this summary JSON."""
    folder, base = Path(json_path).parent, shot_base(json_path)
    suffixes = (".mp4",) * clips + (".jpg",) * images
    if not suffixes:
        return []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(folder / n for n in names
                  if (m := SHOT_FILE.fullmatch(n)) and m["base"] == base and n.endswith(suffixes))


def is_shot_file(name: str, siblings: set[str] | frozenset[str]) -> bool:
    """Whether ``name`` is a clip or image that ``--split``/``--save-images`` wrote beside a
    summary JSON among ``siblings`` (the names in its folder): ``talk-shot-003.mp4`` beside
    ``talk.summary.json`` or ``talk.json``."""
    match = SHOT_FILE.fullmatch(name)
    return bool(match) and (f"{match['base']}.summary.json" in siblings or f"{match['base']}.json" in siblings)
