"""Training inputs: feature sequences from a folder of videos and/or eccv16-layout h5 files.

Videos go through ``summarize.features.extract_features`` with the chosen backbone and
its on-disk cache, so a second training run does not decode again. h5 files follow the
layout of the common benchmark feature files (``eccv16_dataset_*.h5``): one group per
video, each with a ``features`` dataset of shape (T, D). Every sequence is L2-normalised,
as the pipeline's features are, so training and scoring see the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..errors import InputError, UsageError

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".wmv", ".flv")


@dataclass
class FeatureSequence:
    name: str
    features: np.ndarray  # (T, D) float32, L2-normalised
    source: str  # the video file or "FILE.h5:group"


def l2_normalised(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, dtype=np.float32)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def video_files(folder: str | Path) -> list[Path]:
    """Video files in ``folder`` and its sub-folders (by suffix), in name order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"--videos {folder}: not a folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
                   and not p.name.startswith("."))
    if not files:
        raise InputError(f"no video files in {folder} (looked for {', '.join(VIDEO_SUFFIXES)})")
    return files


def sequences_from_videos(paths: Iterable[Path], backbone, *, fps: float = 2.0, cache=None,
                          batch_size: int = 32, decoder: str = "auto",
                          progress: Callable[[str, float], None] | None = None) -> list[FeatureSequence]:
    """Features of each video (from the cache when they were extracted before)."""
    from ..features import extract_features

    sequences = []
    for path in paths:
        feats = extract_features(path, backbone, fps=fps, batch_size=batch_size, cache=cache, decoder=decoder,
                                 progress=(lambda f, p=path: progress(p.name, f)) if progress else None)
        sequences.append(FeatureSequence(Path(path).stem, l2_normalised(feats.features), str(path)))
    return sequences


def sequences_from_h5(path: str | Path) -> list[FeatureSequence]:
    """Every group of ``path`` that has a ``features`` dataset, in the file's order."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--features {path}: no such file")
    try:
        with h5py.File(path, "r") as h5:
            sequences = [
                FeatureSequence(name, l2_normalised(group["features"][()]), f"{path}:{name}")
                for name, group in h5.items()
                if isinstance(group, h5py.Group) and "features" in group
            ]
    except OSError as exc:
        raise InputError(f"cannot read {path} as HDF5: {exc}") from None
    if not sequences:
        raise InputError(f"{path} has no groups with a 'features' dataset (eccv16 layout expected)")
    for seq in sequences:
        if seq.features.ndim != 2:
            raise InputError(f"{seq.source}/features is not a (T, D) matrix")
    return sequences


def check_sequences(sequences: list[FeatureSequence], feature_dim: int, clip_length: int,
                    backbone: str) -> list[FeatureSequence]:
    """Refuse features of the wrong size; drop sequences too short for one clip (listed)."""
    if not sequences:
        raise UsageError("no training data: give --videos DIR and/or --features FILE.h5")
    for seq in sequences:
        if seq.features.shape[1] != feature_dim:
            raise InputError(f"{seq.source} has {seq.features.shape[1]}-d features but {backbone} gives "
                             f"{feature_dim}-d ones; pass the --backbone they were made with")
    usable = [s for s in sequences if len(s.features) >= clip_length]
    if not usable:
        raise InputError(f"every training sequence is shorter than one clip ({clip_length} samples)")
    return usable


def describe(sequences: list[FeatureSequence], fps: float | None) -> str:
    total = sum(len(s.features) for s in sequences)
    names = ", ".join(s.name for s in sequences[:12]) + (", ..." if len(sequences) > 12 else "")
    rate = f" at {fps:g} fps" if fps else ""
    return f"{len(sequences)} sequences, {total} samples{rate}: {names}"


def training_sequences(videos: str | Path | None, h5_files: Iterable[str | Path], backbone, *, fps: float = 2.0,
                       cache=None, batch_size: int = 32, decoder: str = "auto", rank: int = 0, world_size: int = 1,
                       barrier: Callable[[], None] = lambda: None,
                       progress: Callable[[str, float], None] | None = None) -> list[FeatureSequence]:
    """All training sequences: the videos of ``videos`` (features extracted once, cached) and the h5 files.

    Under ``torchrun`` each process extracts its share of the videos into the cache, then
    every process reads them all back from it.
    """
    sequences: list[FeatureSequence] = []
    if videos is not None:
        paths = video_files(videos)
        if world_size > 1 and cache is not None:
            sequences_from_videos(paths[rank::world_size], backbone, fps=fps, cache=cache, batch_size=batch_size,
                                  decoder=decoder, progress=progress)
            barrier()
        sequences += sequences_from_videos(paths, backbone, fps=fps, cache=cache, batch_size=batch_size,
                                           decoder=decoder, progress=progress)
    for path in h5_files:
        sequences += sequences_from_h5(path)
    return sequences
