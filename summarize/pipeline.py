"""The whole job for one video: features -> scores -> shots -> selection -> outputs.

``Summarizer`` loads the backbone and the scorer once and can then summarize many videos;
``summarize_video`` is the one-call version. Progress is reported through a plain
callback ``progress(stage, fraction)`` so that any front end (the Rich CLI, a notebook, a
web service) can show it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .backbones import Backbone, load_backbone
from .device import resolve_device
from .digest import file_digest
from .decoding import check_path
from .decoding.timecode import read_timecode
from .errors import InputError, UsageError
from .features import FeatureCache, VideoFeatures, extract_features
from .outputs import atomic_outputs, ensure_writable_dir, write_json, write_summary_video
from .outputs.atomic import check_absent, temporary_sibling
from .outputs.extras import extra_paths, planned_outputs, write_extras_as
from .options import RUN_ONLY_OPTIONS, SummaryOptions
from .outputs.smartcut import write_cut_video
from .outputs.summary_json import SummaryFacts, method_section, options_fingerprint, summary_document
from .outputs.verify import ExpectedShot, check_summary_video
from .paths import existing_shot_files, shot_path, shown, summary_paths
from .scoring import Scorer, get_scorer
from .boundaries import Boundary, BoundaryCache, boundary_counts, refine_boundaries
from .segmentation import kts
from .threads import one_torch_thread
from .selection import Selection, frame_scores, select_shots
from .total_selection import Budget, frame_unit, micros, select_total

STAGES = ("model", "features", "scoring", "segmentation", "selection", "writing")
# progress(stage, fraction). ("writing", 1.0) is reported once, after the outputs are renamed
# into place, and never before: a caller may take it to mean "this video is done".
ProgressFn = Callable[[str, float], None]
WRITING_BEFORE_RENAME = 0.99  # the writer's own progress is capped here

log = logging.getLogger(__name__)


def _no_progress(stage: str, fraction: float) -> None:
    pass


@dataclass
class Analysis:
    """Scores, shots and the selection for one video (no files written)."""

    features: VideoFeatures
    scores: np.ndarray  # (T,) per sample
    change_points: np.ndarray  # sample indices where KTS starts a shot
    selection: Selection  # over frame ranges
    timings: dict[str, float]
    source_identity: tuple | None = None  # the input's (device, inode, size, mtime) when it was read
    boundaries: list[Boundary] = field(default_factory=list)  # where each change point's shot starts

    def boundary_kinds(self) -> list[str]:
        """How each shot of the selection starts: "start" (the video's first frame), "cut" (a
        picture cut found in its change point's sampling interval), "sample" (KTS's sample,
        or a cut made inside a shot: see ``selection.split``)."""
        kinds = {b.frame: b.kind for b in self.boundaries}
        first = self.features.frame_span[0]
        return ["start" if a == first else kinds.get(int(a), "sample") for a in self.selection.bounds[:, 0]]

    def expected_shots(self, segments: list[tuple[float, float]] | None = None,
                       shots: np.ndarray | None = None) -> list[ExpectedShot]:
        """What the summary video must hold: frames and span of every kept shot, in order
        (of ``segments``, [start, end) seconds from the first frame, when the writer moved
        the cuts, as ``--cut keyframe`` does). ``shots``: a mask of the shots written
        (default: the kept ones)."""
        ft, sel = self.features.frame_times, self.selection
        mask = sel.selected if shots is None else shots
        if segments is not None:
            shots = []
            for start, end in segments:
                a, b = (int(i) for i in np.searchsorted(ft, [start - 1e-6, end - 1e-6]))
                shots.append(ExpectedShot(frames=b - a, duration=float(end - start),
                                          last_start=float(ft[b - 1] - ft[a]) if b > a else None,
                                          source_start=float(start)))
            return shots
        shots = []
        for (a, b), (start, end) in zip(sel.bounds[mask], self.shot_times()[mask]):
            # The last frame shown: one stamped with the time the shot ends at (a repeated
            # timestamp) lasts no time.
            last = min(int(b) - 1, max(int(np.searchsorted(ft, end - 1e-6)) - 1, int(a)))
            shots.append(ExpectedShot(frames=int(b - a), duration=float(end - start),
                                      last_start=float(ft[last] - ft[a]), source_start=float(start)))
        return shots

    def frame_ranges(self, shots: np.ndarray | None = None) -> list[tuple[int, int]]:
        """[first, stop) frame numbers of ``segments()``: the kept shots (or those of the mask
        ``shots``), touching ones merged."""
        merged: list[list[int]] = []
        for a, b in self.selection.bounds[self.selection.selected if shots is None else shots]:
            if merged and merged[-1][1] == a:
                merged[-1][1] = int(b)
            else:
                merged.append([int(a), int(b)])
        return [(a, b) for a, b in merged]

    def frame_ends(self) -> np.ndarray:
        """Start of every frame and the end of the last (``exact_frame_times``)."""
        return exact_frame_times(self.features.frame_times, self.features.info.duration)

    def shot_times(self) -> np.ndarray:
        """(S, 2) [start, end) seconds of every shot (after any split)."""
        ends = self.frame_ends()
        return np.stack([ends[self.selection.bounds[:, 0]], ends[self.selection.bounds[:, 1]]], axis=1)

    def segments(self, shots: np.ndarray | None = None) -> list[tuple[float, float]]:
        """[start, end) seconds of the selected shots (or those of the mask ``shots``), in time
        order; touching shots are one segment."""
        times = self.shot_times()[self.selection.selected if shots is None else shots]
        merged: list[list[float]] = []
        for a, b in times:
            if merged and merged[-1][1] == a:  # the same frame boundary, so exactly equal
                merged[-1][1] = float(b)
            else:
                merged.append([float(a), float(b)])
        return [(a, b) for a, b in merged]

    @property
    def kept_seconds(self) -> float:
        return float(sum(b - a for a, b in self.segments()))

    @property
    def duration(self) -> float:
        """Seconds summarized: the video's, or those of its ``--start``/``--end`` range."""
        return summarized_duration(self.features)

    def span(self) -> tuple[float, float, int, int] | None:
        """With ``--start``/``--end``: [start, end) seconds and [first, stop) frames of the
        part summarized; None for the whole video."""
        if self.features.span is None:
            return None
        first, stop = self.features.span
        ends = self.frame_ends()
        return float(ends[first]), float(ends[stop]), int(first), int(stop)


@dataclass
class SummaryResult:
    analysis: Analysis
    document: dict[str, Any]
    json_path: Path
    video_path: Path | None
    extras: list[Path] = field(default_factory=list)  # the report, plot and exports written

    @property
    def timings(self) -> dict[str, float]:
        return self.document["run"]["timings"]


def exact_frame_times(frame_times: np.ndarray, duration: float) -> np.ndarray:
    """Start of every frame and the end of the last one, free of the decoder's float32 noise.

    Constant-rate videos get k / rate for the rational rate they run at (1.16, not
    1.159999966621399); others the decoder's times rounded to the microsecond.
    """
    times = np.append(np.asarray(frame_times, dtype=np.float64), float(duration))
    n = len(times) - 1
    if n > 1 and duration > 0:
        rate = Fraction(n / duration).limit_denominator(1001)
        grid = np.arange(n + 1, dtype=np.float64) * rate.denominator / rate.numerator
        if np.max(np.abs(grid - times)) < 0.1 / float(rate):
            return grid
    return np.round(times, 6)


def summarized_duration(feats: VideoFeatures) -> float:
    """Seconds summarized: the video's, or those of its ``--start``/``--end`` range (from the
    start of its first frame to the end of its last)."""
    if feats.span is None:
        return float(feats.info.duration)
    first, stop = feats.span
    ends = exact_frame_times(feats.frame_times, feats.info.duration)
    return float(ends[stop] - ends[first])


def sample_shot_bounds(change_points: np.ndarray, sample_frames: np.ndarray, n_frames: int) -> np.ndarray:
    """Frame ranges of the shots that start at the samples in ``change_points``."""
    return shot_bounds(sample_frames[np.asarray(change_points, dtype=np.int64)], n_frames)


def shot_bounds(starts, n_frames: int) -> np.ndarray:
    """Frame ranges of the shots that start at the frames ``starts`` (and at frame 0)."""
    starts = np.unique(np.concatenate([[0], np.asarray(starts, dtype=np.int64)]))
    stops = np.append(starts[1:], n_frames)
    return np.stack([starts, stops], axis=1).astype(np.int64)


def _overlaps(ranges, segments) -> bool:
    """Whether any [start, end) of ``ranges`` meets any of ``segments`` (seconds)."""
    return any(a < d and c < b for a, b in ranges for c, d in segments)


def file_identity(path: Path) -> tuple | None:
    """(device, inode, size, mtime) of ``path``: a change means the file was replaced or
    rewritten while it was being read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def check_unchanged(path: Path, before: tuple | None) -> None:
    """Fail the video when ``path`` changed since ``before`` was taken (truncated, appended to,
    replaced): its summary would not match the file any more."""
    if before is None:
        return
    after = file_identity(path)
    if after is None:
        raise InputError(f"{path} disappeared while it was being summarized")
    if after != before:
        what = "replaced" if after[:2] != before[:2] else f"changed (size {before[2]} -> {after[2]} bytes)"
        raise InputError(f"{path} was {what} while it was being summarized; run again once it is complete")


class Summarizer:
    """Loads the models once; ``analyze`` and ``summarize`` then run on any number of videos."""

    def __init__(self, options: SummaryOptions | None = None, **overrides: Any) -> None:
        self.options = replace(options or SummaryOptions(), **overrides).validate()
        self.device = resolve_device(self.options.device)
        self.scorer: Scorer = get_scorer(self.options.method, **self.options.method_params)
        required = self.scorer.required_backbone
        if required is not None and required != self.options.backbone:
            # Refused before any decoding: the scorer's model only understands its own backbone's features.
            raise UsageError(f"method {self.scorer.name} with this model needs {required} features, not "
                             f"{self.options.backbone}: add --backbone {required}")
        self._backbone: Backbone | None = None
        self._weights_file_digest: str | None = None
        self.cache = FeatureCache(self.options.cache_dir and Path(self.options.cache_dir) / "features") \
            if self.options.cache else None

    def output_options(self) -> dict[str, Any]:
        """Every option that decides what a summary contains, as recorded in its JSON.

        Options added to ``SummaryOptions`` later count by default: only ``RUN_ONLY_OPTIONS``
        are left out, so a stale summary is redone rather than wrongly kept.
        """
        values = {f.name: getattr(self.options, f.name) for f in fields(self.options)
                  if f.name not in RUN_ONLY_OPTIONS}
        values["method_params"] = dict(self.scorer.params)  # with the scorer's defaults filled in
        for name, default in (("salvage", False), ("sampling", "uniform"), ("start", 0.0), ("end", None)):
            if values.get(name) == default:
                values.pop(name, None)  # absent unless asked: earlier summaries stay up to date
        if values["duration"] is not None:
            values["budget"] = None  # the time asked for decides, not the fraction left at its default
        weights = self.options.weights
        values["weights"] = str(Path(weights).resolve()) if weights else "default"
        if weights:  # the content decides the features, not the name: new weights at the same path redo it
            values["weights_blake2b"] = self._weights_digest()
        return json.loads(json.dumps(values, default=str))

    def _weights_digest(self) -> str:
        """The digest of ``--weights`` the backbone was loaded from (or, before it is, of the file)."""
        if self._backbone is not None and self._backbone.weights_digest:
            return self._backbone.weights_digest
        if self._weights_file_digest is None:
            try:
                self._weights_file_digest = file_digest(self.options.weights)
            except OSError as exc:
                raise InputError(f"cannot read the weights {self.options.weights} ({exc.strerror or exc})") from None
        return self._weights_file_digest

    def options_fingerprint(self) -> str:
        """Names ``output_options`` (and the JSON format): equal fingerprints, same summary."""
        return options_fingerprint(self.output_options())

    def with_options(self, **overrides: Any) -> "Summarizer":
        """Another ``Summarizer`` with some options changed, sharing this one's model when
        the backbone, its weights and the device stay the same (it is loaded first)."""
        other = Summarizer(self.options, **overrides)
        if all(getattr(other.options, k) == getattr(self.options, k)
               for k in ("backbone", "weights", "device", "runtime")):
            other._backbone = self.backbone
        return other

    @property
    def backbone(self) -> Backbone:
        if self._backbone is None:
            self._backbone = load_backbone(self.options.backbone, self.options.weights, self.device,
                                           runtime=self.options.runtime)
        return self._backbone

    def features(self, path: str | Path, progress: ProgressFn = _no_progress, cuts: bool = False) -> VideoFeatures:
        """``cuts``: also look for the cut frames of every sampling interval while decoding
        (``cut_scout.py``), for ``analyze``'s boundaries."""
        if self._backbone is None:
            progress("model", 0.0)
            self._backbone = self.backbone
            progress("model", 1.0)
        return extract_features(
            path, self.backbone, fps=self.options.fps, batch_size=self.options.batch_size,
            cache=self.cache, decoder=self.options.decoder,
            progress=lambda f: progress("features", f), threads=self.options.threads,
            salvage=self.options.salvage, sampling=self.options.sampling, span=self.span, cuts=cuts,
        )

    @property
    def span(self) -> tuple[float, float | None] | None:
        """The (start, end) seconds asked for with ``--start``/``--end``; None: the whole file."""
        opts = self.options
        return None if opts.start == 0 and opts.end is None else (opts.start, opts.end)

    def analyze(self, path: str | Path, progress: ProgressFn = _no_progress) -> Analysis:
        before = file_identity(Path(path))
        analysis = self.analyze_features(self.features(path, progress, cuts=True), progress)
        analysis.source_identity = before
        return analysis

    def analyze_features(self, feats: VideoFeatures, progress: ProgressFn = _no_progress) -> Analysis:
        """Scores, shots and selection from features already extracted."""
        opts = self.options
        timings = dict(feats.timings)
        self.scorer.check_features(feats.features, feats.backbone)

        t0 = time.perf_counter()
        progress("scoring", 0.0)
        # A chance draw is seeded by the file's content, never by the features (random_scores.py).
        identity = (feats.content_digest or file_digest(feats.info.path)) if self.scorer.stochastic else None
        with one_torch_thread():  # scores must not depend on the cores (see summarize/threads.py)
            scores = np.asarray(self.scorer.score_video(feats.features, device=self.device, identity=identity),
                                dtype=np.float64)
        progress("scoring", 1.0)
        timings["scoring"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        progress("segmentation", 0.0)
        change_points = kts(feats.features, vmax=opts.kts_vmax, block_size=opts.kts_block_size)
        progress("segmentation", 0.5)
        t1 = time.perf_counter()
        # Each change point moved to the picture cut inside its sampling interval (boundaries.py),
        # except in the keyframe triage, whose promise is to decode keyframes alone.
        cuts_cache = BoundaryCache(self.cache.directory.parent / "boundaries") if self.cache is not None else None
        boundaries = refine_boundaries(feats.info.path, feats.frame_times, feats.info.start_time, feats.info.duration,
                                       feats.frame_indices, change_points, threads=opts.threads, cache=cuts_cache,
                                       digest=feats.content_digest, search=opts.sampling != "keyframes",
                                       known=feats.cuts_seen)
        timings["boundaries"] = time.perf_counter() - t1  # a part of "segmentation"
        progress("segmentation", 1.0)
        timings["segmentation"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        progress("selection", 0.0)
        # Shots and the budget cover the frames summarized: all of them, or those of
        # --start/--end (the first shot starts on the range's first frame, the cuts found
        # inside it start the others).
        first, stop = feats.frame_span
        bounds = shot_bounds([b.frame - first for b in boundaries], stop - first) + first
        selection = self._select(feats, scores, bounds)
        progress("selection", 1.0)
        timings["selection"] = time.perf_counter() - t0
        log.debug("%s: %d samples, %d shots found (%d on a cut), %d pieces, %d kept; scoring %.2f s, "
                  "segmentation %.2f s, selection %.2f s", feats.info.path, feats.n_samples, len(change_points) + 1,
                  sum(b.kind == "cut" for b in boundaries), len(selection.bounds), int(selection.selected.sum()),
                  timings["scoring"], timings["segmentation"], timings["selection"])
        return Analysis(feats, scores, change_points, selection, timings, boundaries=boundaries)

    def _select(self, feats: VideoFeatures, scores: np.ndarray, bounds: np.ndarray) -> Selection:
        """The selection rule over the frames summarized (``feats.frame_span``): it runs on
        frame numbers from the first of them, and its shots are given back in the file's."""
        opts, info = self.options, feats.info
        first, stop = feats.frame_span
        bounds, samples = bounds - first, feats.frame_indices - first
        if opts.selection == "total":
            budget = Budget(seconds=opts.duration) if opts.duration is not None else Budget(fraction=opts.budget)
            # µs of the start of each frame summarized and of the end of the last, as the JSON states them
            ends = micros(exact_frame_times(feats.frame_times, info.duration)[first:stop + 1])
            selection = select_total(bounds, scores, samples, ends, budget, opts.min_shot)
        else:
            duration = summarized_duration(feats)
            fraction = opts.budget if opts.duration is None else min(1.0, opts.duration / duration)
            per_frame = frame_scores(scores, samples, stop - first)
            # The budget is a fraction of the duration: shots weigh their duration (for a
            # constant frame rate that is their frame count, see selection.py).
            durations = np.diff(np.append(feats.frame_times, info.duration))[first:stop]
            selection = select_shots(bounds, per_frame, fraction, min_fill=opts.min_fill,
                                     frame_durations=np.maximum(durations, 0.0))
        return replace(selection, bounds=selection.bounds + first)

    def summarize(self, path: str | Path, output: str | Path | None = None, *, write_video: bool = True,
                  overwrite: bool = False, progress: ProgressFn = _no_progress,
                  extras: dict[str, Any] | None = None, split: bool = False, images: bool = False) -> SummaryResult:
        """Analyze ``path`` and write ``NAME.summary.json`` (and ``NAME.summary.mp4``, and the
        ``extras``, clips and images: see ``write``).

        ``output``: a folder for them (None: beside the video), or the summary file itself
        when it ends in ``.mp4`` (``short.mp4`` and ``short.json``; see ``paths.summary_paths``)."""
        started = time.perf_counter()
        path = Path(path)
        video_path, json_path = summary_paths(path, output, write_video)
        if not overwrite:
            check_absent(planned_outputs(json_path, video_path if write_video else None, extras, split, images))
        check_path(path)  # a bad input fails before any output folder is created
        ensure_writable_dir(json_path.parent)  # before the long work, not after it
        analysis = self.analyze(path, progress)
        return self.write(analysis, json_path, video_path if write_video else None, progress=progress,
                          started=started, overwrite=overwrite, extras=extras, split=split, images=images)

    def write(self, analysis: Analysis, json_path: Path, video_path: Path | None, *,
              progress: ProgressFn = _no_progress, started: float | None = None,
              overwrite: bool = True, extras: dict[str, Any] | None = None, split: bool = False,
              images: bool = False) -> SummaryResult:
        """Write the summary MP4 (unless ``video_path`` is None) and the JSON of ``analysis``,
        the ``extras`` (``report``, ``plot``, ``exports``: see ``outputs/extras.py``), with
        ``split`` one MP4 per kept shot and with ``images`` a JPEG of every shot's middle
        frame (``NAME-shot-007.mp4``/``.jpg`` for ``shots[6]``, beside the JSON).

        ``started`` (a ``time.perf_counter()`` value) dates the run's total time. Every MP4
        is checked against the selection after writing (see ``outputs/verify.py``) and
        written again by the exact path when it differs. All the files are renamed into
        place as one unit, the JSON last: a failure (a full disk while the report is
        written) or Ctrl-C leaves none of them. Without ``overwrite``, existing outputs (or
        outputs another run wrote meanwhile) are an ``OutputError``; with it, the clips and
        images of an earlier run that this one does not write again are removed.
        """
        started = time.perf_counter() if started is None else started
        json_path = Path(json_path)
        video_path = Path(video_path) if video_path is not None else None
        ensure_writable_dir(json_path.parent)
        timings = analysis.timings
        t0 = time.perf_counter()
        progress("writing", 0.0)
        extras = extras or {}
        shots = np.arange(len(analysis.selection.bounds))
        clips = [(int(i), shot_path(json_path, i + 1, ".mp4")) for i in shots[analysis.selection.selected]] \
            if split else []
        stills = [(int(i), shot_path(json_path, i + 1, ".jpg")) for i in shots] if images else []
        # The extras are written beside the JSON's temporary name, under the names they take
        # beside a JSON of that name (write_extras writes exactly extra_paths), so they are
        # temporary names of their finals too. The videos, images and extras are renamed into
        # place before the JSON, so a JSON on disk always means a complete run.
        json_temp = temporary_sibling(json_path)
        media = ([video_path] if video_path is not None else []) + [p for _, p in clips + stills]
        finals = [*media, *extra_paths(json_path, **extras), json_path]
        temps = [*(temporary_sibling(p) for p in media), *extra_paths(json_temp, **extras), json_temp]
        clip_temps = temps[len(media) - len(stills) - len(clips):len(media) - len(stills)]
        still_temps = temps[len(media) - len(stills):len(media)]
        parts = (video_path is not None) + len(clips) + bool(stills)  # for the progress of the writing stage

        def part(k: int) -> Callable[[float], None]:
            return lambda f: progress("writing", min((k + min(f, 1.0)) / max(parts, 1), WRITING_BEFORE_RENAME))

        # An earlier run's clips (images) of shots this one does not write go with --split (--save-images).
        stale = [p for p in existing_shot_files(json_path, clips=split, images=images) if p not in finals] \
            if overwrite else []
        with atomic_outputs(*finals, overwrite=overwrite, temps=temps):
            written = None
            try:
                if video_path is not None:
                    written = self._write_video(analysis, temps[0], part(0))
                for k, ((i, _), temp) in enumerate(zip(clips, clip_temps), start=int(video_path is not None)):
                    self._write_video(analysis, temp, part(k), shots == i)
                if stills:
                    from .outputs.stills import write_shot_images

                    write_shot_images(analysis.features.info.path, analysis.selection.bounds, still_temps,
                                      part(parts - 1))
            except InputError:  # a source rewritten meanwhile is the better explanation
                check_unchanged(Path(analysis.features.info.path), analysis.source_identity)
                raise
            check_unchanged(Path(analysis.features.info.path), analysis.source_identity)
            timings["writing"] = time.perf_counter() - t0
            timings["total"] = time.perf_counter() - started
            document = summary_document(self.facts(analysis), json_path, video_path, written,
                                        clips=clips if split else None, images=stills if images else None)
            write_json(document, json_temp, json_path)
            if any(extras.values()):
                progress("extras", 0.0)
                write_extras_as(document, json_path, json_temp, **extras)
                progress("extras", 1.0)
        for path in stale:  # an earlier run's clips or images of shots this one does not write
            with contextlib.suppress(OSError):
                path.unlink()
        log.debug("wrote %s in %.2f s", ", ".join(shown(p) for p in finals), timings["writing"])
        progress("writing", 1.0)  # only now, and only once: the outputs are in place (see ProgressFn)
        return SummaryResult(analysis, document, json_path, video_path, extra_paths(json_path, **extras))

    def facts(self, analysis: Analysis) -> SummaryFacts:
        """What the summary JSON of ``analysis`` records (see ``outputs/summary_json.py``)."""
        feats, info = analysis.features, analysis.features.info
        first, stop = feats.frame_span  # the frames summarized (the selection's unit is theirs)
        if analysis.source_identity is not None:
            size_bytes = analysis.source_identity[2]  # the size that was read, checked unchanged
        else:
            try:
                size_bytes = Path(info.path).stat().st_size
            except OSError as exc:
                raise InputError(f"{info.path} disappeared while it was being summarized "
                                 f"({exc.strerror or exc})") from None
        meta = self.backbone.weights_meta
        backbone = {"name": meta.name, "weights": self.backbone.weights_file or "default",
                    "feature_dim": meta.feature_dim, "trained_on": meta.trained_on, "source": meta.source,
                    "resize": meta.resize, "crop": meta.crop}
        return SummaryFacts(
            info=info, size_bytes=size_bytes, options=self.options, sampling_fps=feats.fps,
            sample_times=feats.times, sample_frames=feats.frame_indices, scores=analysis.scores,
            n_kts_shots=len(analysis.change_points) + 1, shot_times=analysis.shot_times(),
            selection=analysis.selection, kept_seconds=analysis.kept_seconds, backbone=backbone,
            method=method_section(self.scorer),
            fingerprint=self.options_fingerprint(), option_values=self.output_options(), device=str(self.device),
            feature_cache="off" if self.cache is None else ("hit" if feats.from_cache else "miss"),
            timings=analysis.timings, timecode=read_timecode(info.path),
            runtime=self.backbone.runtime, boundaries=boundary_counts(analysis.boundaries),
            boundary_kinds=analysis.boundary_kinds(),
            sample_frame_times=analysis.frame_ends()[feats.frame_indices],
            frame_unit=(frame_unit(micros(analysis.frame_ends()[first:stop + 1])) / 1e6
                        if self.options.selection == "total" else None),
            n_played_shots=len(analysis.segments()), span=analysis.span())

    def _write_video(self, analysis: Analysis, temp: Path, report: Callable[[float], None],
                     shots: np.ndarray | None = None):
        """Write the kept shots (or those of the mask ``shots``) as one MP4 as ``--cut`` asks
        and verify it; when it holds other frames than the selection, write it again by the
        exact (sequential, re-encoding) path. Returns what the writer reports (how it cut,
        for the JSON)."""
        info, opts = analysis.features.info, self.options
        common = dict(start_time=info.start_time, rotation=info.rotation, preset=opts.video_preset,
                      crf=opts.video_crf, progress=report, threads=opts.threads, nvenc=self.device.type == "cuda")
        ranges, segments = analysis.frame_ranges(shots), analysis.segments(shots)
        expected = analysis.expected_shots(shots=shots)
        exact = dict(exact_frames=ranges, frame_times=analysis.features.frame_times, conceal=opts.salvage)
        if opts.salvage and _overlaps(info.damaged, segments):
            # Kept frames that do not decode: copying would pass their damage on and seeking
            # past it lands elsewhere, so the salvage decoder's frames are written, each
            # damaged one shown as the last good frame before it (recorded in the JSON).
            written = write_summary_video(info.path, segments, temp, **exact, **common)
            problem = check_summary_video(temp, expected)
            if problem is not None:
                raise InputError(f"cannot write a faithful summary of {info.path} ({problem})")
            return written
        written = write_cut_video(info.path, segments, temp, cut=opts.video_cut, **common)
        moved = getattr(written, "cut", None) == "keyframe"  # cuts moved to keyframes, as asked
        problem = check_summary_video(temp, analysis.expected_shots(written.segments, shots) if moved else expected)
        if problem is None:
            return written
        log.debug("%s: %s; writing it again by sequential decoding", temp, problem)
        written = write_summary_video(info.path, segments, temp, **exact, **common)
        second = check_summary_video(temp, expected)
        if second is not None:
            raise InputError(f"cannot write a faithful summary of {info.path}: seeking gave other frames "
                             f"({problem}) and so did sequential decoding ({second})")
        return written


def summarize_video(path: str | Path, output: str | Path | None = None, *, write_video: bool = True,
                    overwrite: bool = False, progress: ProgressFn = _no_progress, split: bool = False,
                    images: bool = False, **options: Any) -> SummaryResult:
    """One call: ``summarize_video("talk.mp4", budget=0.1)`` writes talk.summary.mp4 and .json
    (``summarize_video("talk.mp4", "short.mp4")``: short.mp4 and short.json)."""
    return Summarizer(SummaryOptions(**options)).summarize(
        path, output, write_video=write_video, overwrite=overwrite, progress=progress, split=split, images=images
    )
