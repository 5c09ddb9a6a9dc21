"""The summary JSON: what was kept, why, and with which settings (schema in summary.schema.json)."""

from __future__ import annotations

import datetime as _dt
import json
import re
from importlib import resources
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .._version import __version__
from ..digest import text_digest
from ..errors import OutputError
from ..paths import exact_bytes, from_record, shown, text_safe

if TYPE_CHECKING:
    from ..decoding.base import VideoInfo
    from ..options import SummaryOptions
    from ..selection import Selection

FORMAT = "summarize.summary"
# 2: the budget is a fraction of the duration (shots weigh seconds, not frames), with
# selection.weights/capacity_seconds, --salvage's input.damaged/missing and
# outputs.video_encoding.concealed. 3: shots start on picture cuts (shots[].boundary, split,
# segmentation.boundaries), the selection rule (selection.rule, duration, min_shot, max_piece)
# and samples.frame_time. Batch runs redo summaries of another version.
FORMAT_VERSION = 3


def schema() -> dict[str, Any]:
    """The JSON Schema every summary document follows."""
    return json.loads(resources.files(__package__).joinpath("summary.schema.json").read_text())


def _canonical(value: Any) -> Any:
    """JSON-ready copy in which 2 and 2.0 are the same number (a fingerprint must not care)."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def options_fingerprint(values: dict[str, Any]) -> str:
    """The ``options.fingerprint`` of option ``values`` (``options.values``) and this format:
    equal fingerprints, same summary. The report's page computes it the same way."""
    return text_digest(json.dumps([FORMAT_VERSION, _canonical(values)], sort_keys=True))


def _round(value: float, digits: int = 6) -> float:
    return float(round(float(value), digits))


def rounded_list(values, digits: int = 6) -> list[float]:
    return [_round(v, digits) for v in values]


_NUMBER_ARRAY = re.compile(r"\[\s*((?:-?[0-9][0-9.eE+-]*|true|false|null)(?:,\s*(?:-?[0-9][0-9.eE+-]*|true|false|null))*)\s*\]")


def dumps(document: dict[str, Any]) -> str:
    """Indented JSON with arrays of plain values kept on one line (readable and compact).
    A name that is not UTF-8 is written as ``paths.shown`` writes it (never an error)."""
    text = json.dumps(text_safe(document), indent=2, ensure_ascii=False)
    return _NUMBER_ARRAY.sub(lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)


def write_json(document: dict[str, Any], path: Path, final: Path | None = None) -> None:
    """Write ``document`` to ``path`` (``final``: the name to blame in errors, when ``path``
    is a temporary file)."""
    try:
        Path(path).write_text(dumps(document) + "\n", encoding="utf-8")
    except OSError as exc:  # a full disk, a folder removed meanwhile
        raise OutputError(f"cannot write {final or path} ({exc.strerror or exc})") from None


@dataclass(frozen=True)
class SummaryFacts:
    """Everything a summary document records, as plain values: the pipeline gathers them,
    ``summary_document`` lays them out (rounded, in the schema's order)."""

    info: VideoInfo  # the input as it was decoded
    size_bytes: int  # the input's size when it was read
    options: SummaryOptions  # what the summary was made with
    sampling_fps: float
    sample_times: Sequence[float]
    sample_frames: Sequence[int]
    scores: Sequence[float]  # one per sample
    n_kts_shots: int  # shots KTS found (before any split to fit the budget)
    shot_times: np.ndarray  # (S, 2) [start, end) seconds of every shot of ``selection``
    selection: Selection
    kept_seconds: float
    backbone: dict[str, Any]  # the backbone section: name, weights, feature_dim, trained_on, source, resize, crop
    method: dict[str, Any]  # name and params
    fingerprint: str  # of ``option_values``
    option_values: dict[str, Any]
    device: str
    feature_cache: str  # hit, miss or off
    timings: dict[str, float]
    boundaries: dict[str, Any]  # segmentation.boundaries: cuts found, sample boundaries kept, the rule's parameters
    boundary_kinds: Sequence[str]  # how each shot of ``selection`` starts: start, cut or sample
    sample_frame_times: Sequence[float]  # when the frame each sample shows starts
    frame_unit: float | None  # --selection total: the seconds one weight unit stands for
    n_played_shots: int  # kept shots as the summary plays them (touching ones are one)
    timecode: dict[str, Any] | None = None  # the source's own start time code (decoding/timecode.py)
    runtime: str = "torch"  # what ran the network (backbones: torch or onnxruntime)
    # --start/--end: [start, end) seconds and [first, stop) frames of the part summarized (None: all of it)
    span: tuple[float, float, int, int] | None = None

    @property
    def duration(self) -> float:
        """Seconds summarized: the video's, or those of its ``--start``/``--end`` part."""
        return self.span[1] - self.span[0] if self.span is not None else self.info.duration


def _exact(key: str, path: Path) -> dict[str, str]:
    """``{key: base64 of the path's bytes}`` for a path that is not UTF-8 (see ``paths.py``)."""
    raw = exact_bytes(path)
    return {key: raw} if raw is not None else {}


def source_path(document: dict[str, Any]) -> Path:
    """The input video of a summary document, exactly (whatever the bytes of its name)."""
    return Path(from_record(document["input"]["path"], document["input"].get("path_bytes")))


def summary_video_path(document: dict[str, Any]) -> Path | None:
    """The summary MP4 of a summary document, exactly; None when it has none."""
    outputs = document.get("outputs") or {}
    return Path(from_record(outputs["video"], outputs.get("video_bytes"))) if outputs.get("video") else None


def method_section(scorer) -> dict[str, Any]:
    """The scorer, its parameters and, when it has one, its note (what its model is worth)."""
    note = getattr(scorer, "note", None)  # a scorer need not derive from Scorer
    return {"name": scorer.name, "params": scorer.params, **({"note": note} if note else {})}


def with_json_path(document: dict[str, Any], json_path: Path) -> dict[str, Any]:
    """``document`` as it is written at ``json_path`` (its ``outputs.json``)."""
    path = Path(json_path).resolve()
    old = document.get("outputs") or {}
    outputs = {"json": shown(path), **_exact("json_bytes", path),
               **{k: v for k, v in old.items() if k not in ("json", "json_bytes")}}
    return {**document, "outputs": outputs}


def _input_section(facts: SummaryFacts) -> dict[str, Any]:
    info, salvage = facts.info, facts.options.salvage
    source = Path(info.path).resolve()
    return {
        "path": shown(source),
        **_exact("path_bytes", source),
        "file_name": shown(source.name),
        "size_bytes": facts.size_bytes,
        "duration": round(info.duration, 6),
        "n_frames": info.n_frames,
        "avg_fps": round(info.avg_fps, 6),
        "width": info.width,
        "height": info.height,
        "rotation": info.rotation,
        "has_audio": info.has_audio,
        **({"audio_channels": info.audio_channels} if info.has_audio and info.audio_channels else {}),
        "decoder": info.backend,
        **({"damaged": [list(r) for r in info.damaged], "missing": [list(r) for r in info.missing]}
           if salvage else {}),
        **({"decoder_note": info.decoder_note} if info.decoder_note else {}),
        **({"timecode": facts.timecode} if facts.timecode else {}),
        **({"audio_note": info.audio_note} if info.audio_note else {}),
    }


def _sampling_section(facts: SummaryFacts) -> dict[str, Any]:
    if facts.options.sampling == "keyframes":  # --sampling keyframes (decoding/keyframe_sampling.py)
        section = {"mode": "keyframes", "fps": facts.sampling_fps, "n_samples": len(facts.sample_times),
                   "rule": "one sample at each keyframe (none closer than 1/fps of the options to the last), the only "
                           "frames decoded; fps is the samples' mean rate"}
    else:
        section = {"fps": facts.sampling_fps, "n_samples": len(facts.sample_times),
                   "rule": "samples at k/fps seconds; each takes the frame on screen at that instant"}
    if facts.span is not None:  # --start/--end: the part summarized, in the file's times like every time here
        start, end, first, stop = facts.span
        section["range"] = {"start": _round(start), "end": _round(end), "start_frame": int(first),
                            "end_frame": int(stop)}
    return section


def _selection_section(facts: SummaryFacts) -> dict[str, Any]:
    """How the shots were chosen: the rule, what was asked and what it came to."""
    from ..total_selection import MAX_PIECE

    sel, opts, duration = facts.selection, facts.options, facts.duration
    if opts.duration is None:
        budget = opts.budget
    else:  # the fraction the time asked for is of the part summarized (all of it at most)
        budget = min(1.0, opts.duration / duration) if duration > 0 else 1.0
    section = {"method": "knapsack", "rule": opts.selection, "budget": round(budget, 6), "duration": opts.duration}
    if opts.selection == "benchmark":
        section.update({"capacity_frames": sel.capacity, "min_fill": opts.min_fill})
    else:
        section.update({"min_shot": opts.min_shot, "max_piece": MAX_PIECE, "frame_unit": facts.frame_unit})
    section.update({
        "selected_frames": sel.selected_frames,
        "achieved": round(facts.kept_seconds / duration, 6) if duration > 0 else 0.0,
        "weights": "seconds",
        "capacity_seconds": round(sel.capacity * sel.unit, 6) if sel.unit else None,
        "shots_split": sel.n_split,
        "n_shots": len(sel.bounds),
    })
    return section


def _shot_files(files: Sequence[tuple[int, Path]]) -> list[dict[str, Any]]:
    """``outputs.clips``/``images``: the shot (its index in ``shots``) and the file of each."""
    return [{"shot": int(shot), "path": shown(Path(path).resolve()), **_exact("path_bytes", Path(path).resolve())}
            for shot, path in files]


def summary_document(facts: SummaryFacts, json_path: Path, video_path: Path | None, written: Any = None, *,
                     clips: Sequence[tuple[int, Path]] | None = None,
                     images: Sequence[tuple[int, Path]] | None = None) -> dict[str, Any]:
    """The summary JSON of ``facts`` (see ``summary.schema.json``); ``written``: what the
    video writer reports (how it cut), None without a video; ``clips`` (``--split``) and
    ``images`` (``--save-images``): (shot index, file) of each, None when not asked for."""
    sel, opts, info = facts.selection, facts.options, facts.info
    shot_times = facts.shot_times
    kinds = facts.boundary_kinds
    split = sel.split if sel.split is not None else np.zeros(len(sel.bounds), dtype=bool)
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool": {"name": "summarize", "version": __version__},
        "input": _input_section(facts),
        "sampling": _sampling_section(facts),
        "backbone": dict(facts.backbone),
        "method": dict(facts.method),
        "options": {"fingerprint": facts.fingerprint, "values": facts.option_values},
        "segmentation": {
            "method": "kts",
            "params": {"kernel": "linear", "vmax": opts.kts_vmax, "block_size": opts.kts_block_size},
            "n_shots": facts.n_kts_shots,
            "boundaries": dict(facts.boundaries),
        },
        "selection": _selection_section(facts),
        # Shots as the summary plays them: kept pieces that touch are one.
        "summary": {"duration": round(facts.kept_seconds, 6), "n_shots": facts.n_played_shots},
        "samples": {
            "time": rounded_list(facts.sample_times),
            "frame": [int(f) for f in facts.sample_frames],
            "frame_time": rounded_list(facts.sample_frame_times),
            "score": rounded_list(facts.scores),
        },
        "shots": [
            {
                "index": i,
                "start": round(float(shot_times[i, 0]), 6),
                "end": round(float(shot_times[i, 1]), 6),
                "start_frame": int(sel.bounds[i, 0]),
                "end_frame": int(sel.bounds[i, 1]),
                "score": round(float(sel.values[i]), 6),
                "boundary": kinds[i],
                "split": bool(split[i]),
                "selected": bool(sel.selected[i]),
            }
            for i in range(len(sel.bounds))
        ],
        "outputs": {
            "json": shown(json_path.resolve()),
            **_exact("json_bytes", json_path.resolve()),
            "video": shown(video_path.resolve()) if video_path is not None else None,
            **(_exact("video_bytes", video_path.resolve()) if video_path is not None else {}),
            **({"clips": _shot_files(clips)} if clips is not None else {}),
            **({"images": _shot_files(images)} if images is not None else {}),
            "video_encoding": {"codec": "h264", "encoder": "libx264", "preset": opts.video_preset,
                               "crf": opts.video_crf, "audio": "aac" if info.has_audio else None}
            if video_path is not None else None,
        },
        "run": {
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "device": facts.device,
            "runtime": facts.runtime,
            "feature_cache": facts.feature_cache,
            "timings": {k: round(v, 4) for k, v in facts.timings.items()},
        },
    }
    encoding = document["outputs"]["video_encoding"]
    if written is not None:  # how the MP4 was made: copied pictures, encoded ones, and why
        encoding.update(written.describe())
        if getattr(written, "cut", None) == "keyframe":
            encoding["segments"] = [[round(a, 6), round(b, 6)] for a, b in written.segments]
    if opts.salvage and written is not None:
        # Source seconds whose frames did not decode: the summary shows the frame before.
        encoding["concealed"] = [list(r) for r in written.concealed]
    return document
