"""File names as text, whatever their bytes, and the names of a summary's outputs.

A POSIX file name is bytes; Python holds the bytes that are not UTF-8 as lone surrogates
(``bad\\udcff.mp4``), which JSON, CSV and HTML written as UTF-8 cannot hold. Every name we
write or print goes through ``shown``: the name itself when it is UTF-8, else the name with
each byte that is not written ``\\xNN`` (``bad\\xff.mp4``). Where a record must give the
name back exactly (the summary JSON, the run index), ``exact_bytes`` adds its bytes in
base64 beside it, and ``from_record`` turns the pair back into the name. A leaf module:
the command line uses it before anything heavy is loaded.
"""

from __future__ import annotations

import base64
import os
import urllib.parse
from pathlib import Path
from typing import Any


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
