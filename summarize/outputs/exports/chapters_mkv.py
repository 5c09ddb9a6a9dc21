"""``chapters-mkv``: the source copied into ``NAME.summary.chapters.mkv`` with one chapter
per kept run (Matroska keeps each chapter's start and end; it carries any codec)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from .remux import check_codecs, kept_chapters, remux

READS_SOURCE = True  # a copy of the source: it must be there
SUFFIXES = (".chapters.mkv",)


def check(document: dict[str, Any]) -> None:
    check_codecs(document, "matroska", "chapters-mkv")


def write(document: dict[str, Any], paths: Sequence[Path]) -> None:
    remux(document, paths[0], "matroska", kept_chapters(document))
