"""Synthetic benchmark data with known answers, in the layouts of the real files.

Every video has a hidden importance curve z (one value per 2-second segment, as TVSum's
annotators scored). Annotators see z plus noise: TVSum-like annotators give 1-5 scores and
their keyshot summaries come from the knapsack over the shots, as Zhang et al. built them;
SumMe-like users keep the shots they rate highest up to about 15%. Column 0 of the
features is z itself (plus a little noise), so ``OracleScorer`` predicts the ground truth,
while the other columns describe the shots (a scorer such as contrastive sees real shot
structure).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from summarize.evaluation.datasets import AnnotatedVideo, FeatureVideo, write_feature_file, write_tvsum_tsv
from summarize.scoring import Scorer
from summarize.selection import select_shots
from summarize.evaluation.sources import summary_mask

SEGMENT = 60  # frames per annotated segment (2 s at 30 fps)
STEP = 15  # frames between feature rows (the eccv16 files' 2 samples per second)


class OracleScorer(Scorer):
    """Returns feature column 0: the hidden importance of the synthetic data."""

    name = "oracle"

    @property
    def params(self):
        return {"column": 0}

    def score(self, features, *, device=None):
        return np.asarray(features[:, 0], dtype=np.float64)


def _shots(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    cuts = [0]
    while cuts[-1] < n_frames:
        # Shots of similar length: with very unequal shots the knapsack favours short ones
        # whatever the scores, and every summary (random ones too) agrees on them.
        cuts.append(cuts[-1] + int(rng.integers(80, 160)))
    cuts[-1] = n_frames
    if cuts[-1] - cuts[-2] < 20 and len(cuts) > 2:
        del cuts[-2]
    return np.stack([cuts[:-1], cuts[1:]], axis=1).astype(np.int64)


def synthetic_video(rng: np.random.Generator, index: int, n_frames: int, dataset: str, dim: int = 64,
                    n_annotators: int | None = None) -> tuple[FeatureVideo, AnnotatedVideo]:
    n_annotators = n_annotators or (20 if dataset == "tvsum" else int(rng.integers(15, 19)))
    bounds = _shots(rng, n_frames)
    z_segments = rng.random(-(-n_frames // SEGMENT))
    z = np.repeat(z_segments, SEGMENT)[:n_frames]
    picks = np.arange(0, n_frames, STEP)
    shot_of_pick = np.searchsorted(bounds[:, 0], picks, side="right") - 1
    directions = rng.normal(size=(len(bounds), dim))
    features = directions[shot_of_pick] + 0.3 * rng.normal(size=(len(picks), dim))
    features[:, 0] = z[picks] + 0.01 * rng.normal(size=len(picks))
    if dataset == "tvsum":
        noisy = z_segments[None, :] + rng.normal(scale=0.25, size=(n_annotators, len(z_segments)))
        scores = np.clip(np.rint(1 + 4 * noisy), 1, 5).astype(np.uint8)
        per_frame = np.repeat(scores, SEGMENT, axis=1)[:, :n_frames]
        summaries = np.stack([summary_mask(*_chosen(bounds, row), n_frames) for row in per_frame])
    else:
        noisy = z_segments[None, :] + rng.normal(scale=0.25, size=(n_annotators, len(z_segments)))
        per_frame = np.repeat(noisy, SEGMENT, axis=1)[:, :n_frames]
        summaries = np.stack([summary_mask(*_chosen(bounds, row - row.min()), n_frames) for row in per_frame])
        per_frame = summaries.astype(np.uint8)
    name = f"synthetic{index:02d}"
    return (FeatureVideo(f"video_{index}", name if dataset == "summe" else None, features.astype(np.float32),
                         picks, bounds, n_frames, summaries),
            AnnotatedVideo(name, n_frames, per_frame, category="XX"))


def _chosen(bounds: np.ndarray, per_frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    selection = select_shots(bounds, np.asarray(per_frame, dtype=np.float64), 0.15, min_fill=0)
    return selection.bounds, selection.selected


def video_number(features: np.ndarray) -> int:
    """The number ``write_dataset(numbered=True)`` wrote into a video's features (its key's)."""
    return int(round(float(features[0, 1] / features[0, 2])))


def write_dataset(folder: Path, dataset: str, n_videos: int = 10, seed: int = 0, lengths: list[int] | None = None,
                  dim: int = 64, numbered: bool = False) -> tuple[Path, Path | None]:
    """Write ``eccv16_dataset_{dataset}_google_pool5.h5`` (and, for TVSum, the annotation
    TSV) into ``folder``. Returns their paths. ``numbered``: every row of video_N's features
    has N in column 1 and 1 in column 2, a ratio that survives L2 normalisation, so a test
    scorer can tell from features alone which videos it was trained on (``video_number``)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lengths = lengths or [int(rng.integers(1500, 4500)) for _ in range(n_videos)]
    pairs = [synthetic_video(rng, i + 1, n, dataset, dim) for i, n in enumerate(lengths)]
    if numbered:
        for i, (video, _) in enumerate(pairs):
            video.features[:, 1], video.features[:, 2] = i + 1, 1.0
    h5 = folder / f"eccv16_dataset_{dataset}_google_pool5.h5"
    write_feature_file(h5, [video for video, _ in pairs])
    if dataset != "tvsum":
        return h5, None
    tsv = folder / "ydata-tvsum50-anno.tsv"
    write_tvsum_tsv(tsv, [annotation for _, annotation in pairs])
    return h5, tsv
