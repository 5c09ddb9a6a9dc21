"""The summary JSON: what was kept, why, and with which settings (schema in summary.schema.json)."""

from __future__ import annotations

import datetime as _dt
import json
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..errors import InputError, OutputError

if TYPE_CHECKING:
    from ..pipeline import Analysis, Summarizer

FORMAT = "summarize.summary"
# 2: the budget is a fraction of the duration (shots weigh seconds, not frames), with
# selection.weights/capacity_seconds, --salvage's input.damaged/missing and
# outputs.video_encoding.concealed. Batch runs redo summaries of another version.
FORMAT_VERSION = 2


def schema() -> dict[str, Any]:
    """The JSON Schema every summary document follows."""
    return json.loads(resources.files(__package__).joinpath("summary.schema.json").read_text())


def _round(value: float, digits: int = 6) -> float:
    return float(round(float(value), digits))


def rounded_list(values, digits: int = 6) -> list[float]:
    return [_round(v, digits) for v in values]


_NUMBER_ARRAY = re.compile(r"\[\s*((?:-?[0-9][0-9.eE+-]*|true|false|null)(?:,\s*(?:-?[0-9][0-9.eE+-]*|true|false|null))*)\s*\]")


def dumps(document: dict[str, Any]) -> str:
    """Indented JSON with arrays of plain values kept on one line (readable and compact)."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return _NUMBER_ARRAY.sub(lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)


def write_json(document: dict[str, Any], path: Path, final: Path | None = None) -> None:
    """Write ``document`` to ``path`` (``final``: the name to blame in errors, when ``path``
    is a temporary file)."""
    try:
        Path(path).write_text(dumps(document) + "\n", encoding="utf-8")
    except OSError as exc:  # a full disk, a folder removed meanwhile
        raise OutputError(f"cannot write {final or path} ({exc.strerror or exc})") from None


def _method_section(scorer) -> dict[str, Any]:
    """The scorer, its parameters and, when it has one, its note (what its model is worth)."""
    note = getattr(scorer, "note", None)  # a scorer need not derive from Scorer
    return {"name": scorer.name, "params": scorer.params, **({"note": note} if note else {})}


def _input_section(analysis: "Analysis", salvage: bool) -> dict[str, Any]:
    info = analysis.features.info
    source = Path(info.path)
    if analysis.source_identity is not None:
        size_bytes = analysis.source_identity[2]  # the size that was read, checked unchanged
    else:
        try:
            size_bytes = source.stat().st_size
        except OSError as exc:
            raise InputError(f"{source} disappeared while it was being summarized "
                             f"({exc.strerror or exc})") from None
    return {
        "path": str(source.resolve()),
        "file_name": source.name,
        "size_bytes": size_bytes,
        "duration": round(info.duration, 6),
        "n_frames": analysis.features.n_frames,
        "avg_fps": round(info.avg_fps, 6),
        "width": info.width,
        "height": info.height,
        "rotation": info.rotation,
        "has_audio": info.has_audio,
        "decoder": info.backend,
        **({"damaged": [list(r) for r in info.damaged], "missing": [list(r) for r in info.missing]}
           if salvage else {}),
        **({"decoder_note": info.decoder_note} if info.decoder_note else {}),
    }


def summary_document(summarizer: "Summarizer", analysis: "Analysis", json_path: Path, video_path: Path | None,
                     written: Any = None) -> dict[str, Any]:
    """The summary JSON of ``analysis`` made by ``summarizer`` (see ``summary.schema.json``);
    ``written``: what the video writer reports (how it cut), None without a video."""
    feats, sel, opts = analysis.features, analysis.selection, summarizer.options
    info = feats.info
    meta = summarizer.backbone.weights_meta
    shot_times = analysis.shot_times()
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool": {"name": "summarize", "version": __version__},
        "input": _input_section(analysis, opts.salvage),
        "sampling": {
            "fps": feats.fps,
            "n_samples": feats.n_samples,
            "rule": "samples at k/fps seconds; each takes the frame on screen at that instant",
        },
        "backbone": {
            "name": meta.name,
            "weights": summarizer.backbone.weights_file or "default",
            "feature_dim": meta.feature_dim,
            "trained_on": meta.trained_on,
            "source": meta.source,
            "resize": meta.resize,
            "crop": meta.crop,
        },
        "method": _method_section(summarizer.scorer),
        "options": {"fingerprint": summarizer.options_fingerprint(), "values": summarizer.output_options()},
        "segmentation": {
            "method": "kts",
            "params": {"kernel": "linear", "vmax": opts.kts_vmax, "block_size": opts.kts_block_size},
            "n_shots": len(analysis.change_points) + 1,
        },
        "selection": {
            "method": "knapsack",
            "budget": opts.budget,
            "capacity_frames": sel.capacity,
            "selected_frames": sel.selected_frames,
            "achieved": round(analysis.kept_seconds / info.duration, 6) if info.duration > 0 else 0.0,
            "weights": "seconds",
            "capacity_seconds": round(sel.capacity * sel.unit, 6) if sel.unit else None,
            "min_fill": opts.min_fill,
            "shots_split": sel.n_split,
            "n_shots": len(sel.bounds),
        },
        "summary": {"duration": round(analysis.kept_seconds, 6), "n_shots": int(sel.selected.sum())},
        "samples": {
            "time": rounded_list(feats.times),
            "frame": [int(f) for f in feats.frame_indices],
            "score": rounded_list(analysis.scores),
        },
        "shots": [
            {
                "index": i,
                "start": round(float(shot_times[i, 0]), 6),
                "end": round(float(shot_times[i, 1]), 6),
                "start_frame": int(sel.bounds[i, 0]),
                "end_frame": int(sel.bounds[i, 1]),
                "score": round(float(sel.values[i]), 6),
                "selected": bool(sel.selected[i]),
            }
            for i in range(len(sel.bounds))
        ],
        "outputs": {
            "json": str(json_path.resolve()),
            "video": str(video_path.resolve()) if video_path is not None else None,
            "video_encoding": {"codec": "h264", "encoder": "libx264", "preset": opts.video_preset,
                               "crf": opts.video_crf, "audio": "aac" if info.has_audio else None}
            if video_path is not None else None,
        },
        "run": {
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "device": str(summarizer.device),
            "feature_cache": "off" if summarizer.cache is None else ("hit" if feats.from_cache else "miss"),
            "timings": {k: round(v, 4) for k, v in analysis.timings.items()},
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
