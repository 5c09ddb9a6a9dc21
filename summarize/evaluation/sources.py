"""Where the videos to evaluate come from: a feature file, or raw videos with annotations.

Both give the runner the same thing, one ``EvalVideo`` at a time: features at sampled
frames, shots, the users' 0/1 summaries and the annotators' scores at the sampled frames.

* ``FeatureFileSource``: the eccv16 h5 file; shots are its ``change_points``. TVSum's
  per-annotator scores come from the annotation file, ``video_i`` paired with the i-th
  entry only once every pair's frame counts agree.
* ``VideoFolderSource``: our decoder and backbone (with the feature cache), our KTS shots,
  the original annotations. Decoded and annotated frame counts may differ by a frame or
  two; both are cut to the shorter and the difference is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import InputError, UsageError
from ..pipeline import SummaryOptions, Summarizer, sample_shot_bounds
from ..segmentation import kts
from ..selection import select_shots
from .datasets import (
    TVSUM_SOURCE,
    AnnotatedVideo,
    FeatureFile,
    find_feature_file,
    find_tvsum_annotations,
    pair_videos,
    read_summe,
    read_tvsum,
)

# Frame counts further apart than this (in seconds of video) mean the wrong file, not an
# off-by-one in a decoder: refuse rather than trim.
MAX_ALIGNMENT_SECONDS = 1.0


@dataclass
class EvalVideo:
    """One video, ready to evaluate: every array is cut to the ``n_frames`` evaluated."""

    name: str
    n_frames: int
    features: np.ndarray  # (T, D)
    positions: np.ndarray  # (T,) frame of each sample, increasing, < n_frames
    bounds: np.ndarray  # (S, 2) shots [start, stop) in frames
    user_summaries: np.ndarray  # (U, n_frames) bool
    annotator_scores: np.ndarray  # (A, T) at ``positions``
    backbone: str  # whose features these are (scorers may refuse some)
    title: str | None = None
    alignment: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "n_frames": self.n_frames, "n_samples": len(self.positions),
                "n_shots": len(self.bounds), "n_users": len(self.user_summaries),
                "n_annotators": len(self.annotator_scores), "alignment": self.alignment, **self.info}


ProgressFn = Callable[[str, float], None]


def _video_number(key: str) -> int | None:
    match = re.fullmatch(r"video_(\d+)", key)
    return int(match.group(1)) if match else None


class FeatureFileSource:
    mode = "features"
    backbone = "googlenet"  # the community files hold GoogLeNet pool5 features

    def __init__(self, dataset: str, data_dir: str | Path, annotations: str | Path | None = None) -> None:
        self.dataset = dataset
        self.path = find_feature_file(data_dir, dataset)
        self.file = FeatureFile(self.path)
        self.keys = list(self.file.keys)
        self.annotations_path: Path | None = None
        self._tvsum: dict[str, AnnotatedVideo] = {}
        if dataset == "tvsum":
            found = Path(annotations) if annotations else find_tvsum_annotations(data_dir, self.path.parent)
            if found is None:
                self.file.close()
                raise UsageError(f"TVSum's rank correlation needs each annotator's scores, which the feature file "
                                 f"lacks: pass --annotations FILE ({TVSUM_SOURCE})")
            self.annotations_path = found
            self._tvsum = self._pair_tvsum(read_tvsum(found))
        elif annotations is not None:
            self.file.close()
            raise UsageError("--annotations is not used with a SumMe feature file (its user_summary holds every "
                             "user's selection); it is for TVSum feature files and for raw videos (--videos)")

    def _pair_tvsum(self, entries: list[AnnotatedVideo]) -> dict[str, AnnotatedVideo]:
        """video_i -> the i-th annotation entry, refused unless every frame count agrees."""
        pairs = {}
        for position, key in enumerate(self.keys, 1):
            index = _video_number(key) or position
            if index > len(entries):
                raise InputError(f"{self.path.name} has {key} but {self.annotations_path} has only {len(entries)} "
                                 "videos: the annotation file does not belong to this feature file")
            entry, n_frames = entries[index - 1], self.file.n_frames(key)
            if entry.n_frames != n_frames:
                raise InputError(f"{key} of {self.path.name} has {n_frames} frames but TVSum entry {index} "
                                 f"({entry.name}) has {entry.n_frames}: the annotation file does not belong to "
                                 "this feature file (or its videos are in another order)")
            pairs[key] = entry
        return pairs

    def describe(self) -> dict[str, Any]:
        return {"feature_file": str(self.path.resolve()),
                "annotations": str(self.annotations_path.resolve()) if self.annotations_path else None,
                "features": "GoogLeNet pool5 (1024-d) from the feature file"}

    def load(self, key: str, progress: ProgressFn | None = None) -> EvalVideo:
        video = self.file.read(key)
        entry = self._tvsum.get(key)
        if entry is not None:
            annotator_scores = entry.scores[:, video.picks]
        else:  # SumMe: each user's 0/1 selection
            annotator_scores = video.user_summary[:, video.picks].astype(np.uint8)
        title = entry.name if entry is not None else video.name
        return EvalVideo(name=key, n_frames=video.n_frames, features=video.features, positions=video.picks,
                         bounds=video.bounds, user_summaries=video.user_summary, annotator_scores=annotator_scores,
                         backbone=self.backbone, title=title)

    def features(self, key: str) -> np.ndarray:
        """The features alone (training data for a fold)."""
        return self.file.read(key).features

    def close(self) -> None:
        self.file.close()


def align_frames(name: str, decoded: int, annotated: int, fps: float) -> tuple[int, dict[str, Any]]:
    """How many frames to evaluate, and the note that says what was cut."""
    n = min(decoded, annotated)
    difference = decoded - annotated
    if abs(difference) > MAX_ALIGNMENT_SECONDS * fps:
        raise InputError(f"{name}: the video decodes to {decoded} frames but its annotation has {annotated} "
                         f"({abs(difference) / fps:.1f} s apart): is this the annotated video?")
    if difference == 0:
        note = "decoded and annotated frame counts agree"
    else:
        longer = "decoded video" if difference > 0 else "annotation"
        note = (f"decoded {decoded} frames, annotated {annotated}: evaluated on the first {n}; the last "
                f"{abs(difference)} frame{'s' if abs(difference) != 1 else ''} of the {longer} left out "
                "(both assumed to start at the same frame)")
    return n, {"decoded_frames": decoded, "annotated_frames": annotated, "evaluated_frames": n,
               "trimmed_frames": abs(difference), "trimmed_from": None if difference == 0 else
               ("decoded" if difference > 0 else "annotation"), "note": note}


class VideoFolderSource:
    mode = "videos"

    def __init__(self, dataset: str, videos_dir: str | Path, annotations: str | Path | None,
                 options: SummaryOptions, budget: float) -> None:
        self.dataset, self.budget, self.options = dataset, budget, options
        self.videos_dir = Path(videos_dir)
        if not self.videos_dir.is_dir():
            raise UsageError(f"--videos {self.videos_dir}: no such folder")
        self.annotations_path = self._annotations(annotations)
        entries = read_tvsum(self.annotations_path) if dataset == "tvsum" else read_summe(self.annotations_path)
        pairs, self.missing = pair_videos(self.videos_dir, entries, dataset)
        self._pairs = {entry.name: (path, entry) for path, entry in pairs}
        self.keys = list(self._pairs)
        self.summarizer = Summarizer(options)
        self.backbone = options.backbone

    def _annotations(self, annotations: str | Path | None) -> Path:
        if annotations is not None:
            return Path(annotations)
        parent = self.videos_dir.parent
        if self.dataset == "summe" and (parent / "GT").is_dir():
            return parent / "GT"
        found = find_tvsum_annotations(parent) if self.dataset == "tvsum" else None
        if found is None:
            what = "the SumMe GT folder" if self.dataset == "summe" else f"the TVSum annotation file ({TVSUM_SOURCE})"
            raise UsageError(f"raw videos need their annotations: pass --annotations PATH ({what})")
        return found

    def describe(self) -> dict[str, Any]:
        meta = self.summarizer.backbone.weights_meta
        return {"videos": str(self.videos_dir.resolve()), "annotations": str(self.annotations_path.resolve()),
                "annotated_videos_not_found": self.missing,
                "features": f"{meta.name} ({meta.feature_dim}-d), {self.options.fps:g} samples per second",
                "kts": {"kernel": "linear", "vmax": self.options.kts_vmax, "block_size": self.options.kts_block_size}}

    def load(self, key: str, progress: ProgressFn | None = None) -> EvalVideo:
        path, entry = self._pairs[key]
        feats = self.summarizer.features(path, progress or (lambda stage, fraction: None))
        fps = entry.fps or feats.info.avg_fps
        n, alignment = align_frames(key, feats.n_frames, entry.n_frames, fps)
        keep = feats.frame_indices < n
        features, positions = feats.features[keep], feats.frame_indices[keep]
        if len(positions) < 2:
            raise InputError(f"{key}: fewer than two samples inside the {n} annotated frames")
        change_points = kts(features, vmax=self.options.kts_vmax, block_size=self.options.kts_block_size)
        bounds = sample_shot_bounds(change_points, positions, n)
        scores = entry.scores[:, :n]
        if self.dataset == "summe":
            user_summaries = scores > 0
        else:  # TVSum's keyshot summaries, built as Zhang et al. built them, over our shots
            user_summaries = np.stack([_mask(select_shots(bounds, row.astype(np.float64), self.budget, min_fill=0),
                                             n) for row in scores])
        return EvalVideo(name=key, n_frames=n, features=features, positions=positions, bounds=bounds,
                         user_summaries=user_summaries, annotator_scores=scores[:, positions],
                         backbone=feats.backbone, title=entry.title, alignment=alignment,
                         info={"file": path.name, "feature_cache": "hit" if feats.from_cache else "miss"})

    def features(self, key: str) -> np.ndarray:
        """The features alone (training data for a fold; from the feature cache after the first time)."""
        return self.summarizer.features(self._pairs[key][0]).features

    def close(self) -> None:
        pass


def _mask(selection, n_frames: int) -> np.ndarray:
    return summary_mask(selection.bounds, selection.selected, n_frames)


def summary_mask(bounds: np.ndarray, selected: np.ndarray, n_frames: int) -> np.ndarray:
    """Frame-level 0/1 summary of the selected shots."""
    mask = np.zeros(n_frames, dtype=bool)
    for start, stop in np.asarray(bounds)[np.asarray(selected, dtype=bool)]:
        mask[start:stop] = True
    return mask
