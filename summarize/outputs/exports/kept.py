"""The kept shots of a summary document as the exports see them, and clock times."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


@dataclass(frozen=True)
class KeptRange:
    """One run of touching kept shots: source frames [start_frame, end_frame) and seconds."""

    start_frame: int
    end_frame: int
    start: float
    end: float
    score: float  # frame-weighted mean of the shots' scores
    shots: tuple[int, ...]  # indices into the document's ``shots``


def kept_ranges(document: dict[str, Any]) -> list[KeptRange]:
    """The kept shots of a summary document, in time order, touching ones merged."""
    runs: list[list[dict]] = []
    for shot in sorted((s for s in document["shots"] if s["selected"]), key=lambda s: s["start_frame"]):
        if runs and runs[-1][-1]["end_frame"] == shot["start_frame"]:
            runs[-1].append(shot)
        else:
            runs.append([shot])
    out = []
    for run in runs:
        frames = [s["end_frame"] - s["start_frame"] for s in run]
        score = sum(f * s["score"] for f, s in zip(frames, run)) / max(sum(frames), 1)
        out.append(KeptRange(run[0]["start_frame"], run[-1]["end_frame"], run[0]["start"], run[-1]["end"],
                             round(score, 6), tuple(s["index"] for s in run)))
    return out


def milliseconds(seconds: float) -> int:
    """``seconds`` rounded (half up, as written in the JSON: 1.0005 is 1001) to the millisecond."""
    return int((Decimal(repr(float(seconds))) * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def clock(seconds: float) -> str:
    """``HH:MM:SS.mmm``, rounded to the millisecond (WebVTT's and the CSV's times)."""
    hours, rest = divmod(milliseconds(seconds), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def chapter_title(k: int, kept: KeptRange) -> str:
    return f"Kept shot {k} (score {kept.score:.2f})"
