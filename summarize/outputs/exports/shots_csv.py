"""``csv``: one row per shot (``NAME.summary.shots.csv``), as ``scenedetect list-scenes`` lists scenes.

Columns: ``shot`` (from 1), ``start_frame``, ``end_frame`` (source frames from 0, end
exclusive, as in the JSON), ``start_timecode``, ``end_timecode`` (``HH:MM:SS.mmm`` from
the first frame), ``start_seconds``, ``end_seconds``, ``length_frames``,
``length_timecode``, ``length_seconds``, ``score`` (the shot's mean importance) and
``kept`` (1 when the shot is in the summary, else 0).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from .kept import clock

SUFFIXES = (".shots.csv",)
COLUMNS = ("shot", "start_frame", "end_frame", "start_timecode", "end_timecode", "start_seconds", "end_seconds",
           "length_frames", "length_timecode", "length_seconds", "score", "kept")


def text(document: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for shot in sorted(document["shots"], key=lambda s: s["start_frame"]):
        length = round(shot["end"] - shot["start"], 6)
        writer.writerow([shot["index"] + 1, shot["start_frame"], shot["end_frame"], clock(shot["start"]),
                         clock(shot["end"]), f"{shot['start']:.6f}", f"{shot['end']:.6f}",
                         shot["end_frame"] - shot["start_frame"], clock(length), f"{length:.6f}",
                         f"{shot['score']:.6f}", int(shot["selected"])])
    return out.getvalue()
