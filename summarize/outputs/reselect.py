"""A summary for another budget from a summary document alone, with no decoding.

The default rule (``--selection total``, ``total_selection.py``) is applied again to the
scores and shots the JSON holds: the shots KTS found (the pieces the first selection cut
out of them joined again), every sample's score and frame, and the rule's parameters
(``min_shot``, ``max_piece``, ``frame_unit``). For any budget it keeps the frames that
``summarize VIDEO --budget X`` keeps (``tests/test_total_selection.py`` re-does the rule
from the JSON; the report's page does it in JavaScript, ``report.js``, step for step as
here). What the JSON cannot hold:

- a new piece's mean score is that of the JSON's scores (six decimals) where a fresh run
  averages the unrounded ones (a piece the JSON already has keeps its score);
- when nothing fits the budget (step 6 of the rule) the kept moment may end on a frame
  whose time the JSON does not give: it is placed between the nearest frames it gives,
  to the microsecond.

The benchmark rule (``--selection benchmark``) is not redone: its knapsack weighs every
frame's duration and its values the unrounded scores, which the JSON does not keep.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError, UsageError
from ..total_selection import Budget, micros, select_total
from .summary_json import FORMAT, FORMAT_VERSION, options_fingerprint


@dataclass(frozen=True)
class KtsShot:
    """A shot as KTS and the cut search placed it, before any piece was cut out of it."""

    start_frame: int
    end_frame: int
    boundary: str  # how it starts: start, cut or sample


def check_document(document: Any, name: str) -> None:
    """Refuse, in one line, what is not a summary JSON this version can read."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError(f"{name} is not a summary JSON (NAME.summary.json written by summarize)")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise InputError(f"{name} is a summary of format version {version}; this summarize reads version "
                         f"{FORMAT_VERSION}: run summarize VIDEO again")


def can_reselect(document: dict[str, Any]) -> str | None:
    """Why the JSON's shots cannot be chosen again for another budget (None: they can)."""
    if document["selection"].get("rule") != "total":
        return ("it was made with --selection benchmark, whose choice needs every frame's duration and the "
                "unrounded scores; choosing again from the JSON follows the default rule (--selection total)")
    return None


def kts_shots(document: dict[str, Any]) -> list[KtsShot]:
    """The shots before the selection cut pieces out of them (a piece marked ``split``
    continues the shot before it)."""
    shots: list[KtsShot] = []
    for shot in sorted(document["shots"], key=lambda s: s["start_frame"]):
        if shot["split"] and shots:
            shots[-1] = KtsShot(shots[-1].start_frame, shot["end_frame"], shots[-1].boundary)
        else:
            shots.append(KtsShot(shot["start_frame"], shot["end_frame"], shot["boundary"]))
    return shots


def known_times(document: dict[str, Any]) -> dict[int, float]:
    """The seconds the JSON gives for frames: every shot's edges and every sample's frame."""
    times = {}
    for shot in document["shots"]:
        times[shot["start_frame"]] = shot["start"]
        times[shot["end_frame"]] = shot["end"]
    samples = document["samples"]
    times.update(zip(samples["frame"], samples["frame_time"]))
    return times


def frame_seconds(frame: int, known: dict[int, float], order: list[int]) -> float:
    """When ``frame`` starts: the JSON's time, else placed between the nearest frames it
    gives (``order``: those frames, sorted), rounded to the microsecond as the JSON is."""
    if frame in known:
        return known[frame]
    after = int(np.searchsorted(order, frame))
    fa, fb = order[after - 1], order[after]
    ta, tb = known[fa], known[fb]
    return round(ta + (tb - ta) * (frame - fa) / (fb - fa), 6)


def reselect(document: dict[str, Any], *, budget: float | None = None, duration: float | None = None) -> dict[str, Any]:
    """``document`` with its shots chosen again for ``budget`` (a fraction) or ``duration``
    (seconds): its selection, summary, shots and options, as ``summarize VIDEO --budget``
    would write them; it has no summary video (``outputs.video`` is null)."""
    if (budget is None) == (duration is None):
        raise UsageError("give the summary's length once: --budget (a fraction) or --duration (a time)")
    if budget is not None and not 0 < budget <= 1:
        raise UsageError(f"--budget must be in (0, 1], not {budget}")
    if duration is not None and not duration > 0:
        raise UsageError(f"--duration must be more than 0 seconds, not {duration}")
    why = can_reselect(document)
    if why:
        raise InputError(f"cannot choose shots again from this summary: {why}")
    old_selection = document["selection"]
    samples = document["samples"]
    shots = kts_shots(document)
    known = known_times(document)
    order = sorted(known)
    n_frames = shots[-1].end_frame
    # Every frame's µs for the rule: exact wherever it reads them (shot edges, samples).
    times_us = np.rint(np.interp(np.arange(n_frames + 1), order, micros([known[f] for f in order]))).astype(np.int64)
    times_us[order] = micros([known[f] for f in order])
    selection = select_total(np.array([(s.start_frame, s.end_frame) for s in shots], dtype=np.int64),
                             np.asarray(samples["score"], dtype=np.float64), np.asarray(samples["frame"]), times_us,
                             Budget(fraction=budget) if duration is None else Budget(seconds=duration),
                             min_shot=old_selection["min_shot"], max_piece=old_selection["max_piece"],
                             frame_us=int(micros(old_selection["frame_unit"])))
    out = copy.deepcopy(document)
    out["shots"] = _shots(document, selection, shots, known, order)
    runs = _kept_runs(out["shots"])
    kept_seconds = float(sum(end - start for start, end in runs))
    total = summarized(document)
    if duration is None:
        fraction = budget
    else:
        fraction = min(1.0, duration / total) if total > 0 else 1.0
    out["selection"].update({
        "budget": round(fraction, 6),
        "duration": duration,
        "selected_frames": selection.selected_frames,
        "achieved": round(kept_seconds / total, 6) if total > 0 else 0.0,
        "capacity_seconds": round(selection.capacity * selection.unit, 6),
        "shots_split": selection.n_split,
        "n_shots": len(selection.bounds),
    })
    out["summary"] = {"duration": round(kept_seconds, 6), "n_shots": len(runs)}
    values = out["options"]["values"]
    values["budget"], values["duration"] = (budget, None) if duration is None else (None, duration)
    out["options"]["fingerprint"] = options_fingerprint(values)
    out["outputs"].update({"video": None, "video_encoding": None})
    for key in ("video_bytes", "clips", "images"):  # files of the run's selection, not of this one
        out["outputs"].pop(key, None)
    return out


def summarized(document: dict[str, Any]) -> float:
    """The seconds summarized: the video's, or those of its ``--start``/``--end`` part."""
    part = document["sampling"].get("range")
    return part["end"] - part["start"] if part else document["input"]["duration"]


def _shots(document: dict[str, Any], selection, shots: list[KtsShot], known: dict[int, float],
           order: list[int]) -> list[dict[str, Any]]:
    """The JSON's ``shots`` of a new selection. A piece the document has keeps its score
    (the mean of the unrounded scores); a new one gets the mean of the JSON's."""
    scores = {(s["start_frame"], s["end_frame"]): s["score"] for s in document["shots"]}
    kinds = {s.start_frame: s.boundary for s in shots}
    first = shots[0].start_frame  # 0, or the first frame of a --start/--end part
    out = []
    for i, (a, b) in enumerate(selection.bounds.tolist()):
        out.append({
            "index": i,
            "start": frame_seconds(a, known, order),
            "end": frame_seconds(b, known, order),
            "start_frame": a,
            "end_frame": b,
            "score": scores.get((a, b), round(float(selection.values[i]), 6)),
            "boundary": "start" if a == first else kinds.get(a, "sample"),
            "split": bool(selection.split[i]),
            "selected": bool(selection.selected[i]),
        })
    return out


def _kept_runs(shots: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """[start, end) seconds of the kept shots, touching ones joined (as the summary plays them)."""
    runs: list[list[float]] = []
    last_frame = None
    for shot in shots:
        if not shot["selected"]:
            continue
        if runs and last_frame == shot["start_frame"]:
            runs[-1][1] = shot["end"]
        else:
            runs.append([shot["start"], shot["end"]])
        last_frame = shot["end_frame"]
    return [(a, b) for a, b in runs]
