"""``chapters-mp4``: the source copied into ``NAME.summary.chapters.mp4`` with chapters.

MP4 keeps only chapter starts, so the chapters cover the whole video: each kept run and
each skipped stretch between them is a chapter ("Kept shot 2 (score 0.71)", "Skipped").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from .remux import check_codecs, covering_chapters, remux

READS_SOURCE = True  # a copy of the source: it must be there
SUFFIXES = (".chapters.mp4",)


def check(document: dict[str, Any]) -> None:
    check_codecs(document, "mp4", "chapters-mp4")


def write(document: dict[str, Any], paths: Sequence[Path]) -> None:
    remux(document, paths[0], "mp4", covering_chapters(document))
