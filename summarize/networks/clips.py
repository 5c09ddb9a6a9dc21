"""Where clips sit in a sequence of sampled frames, and which of their frames are masked.

Training (``sample_clips``, ``random_masks``): a clip is ``clip_length`` frames at a
stride drawn uniformly from 1 to ``max_stride`` (capped so the clip fits the video), from
a start drawn uniformly among those that keep the clip inside the video; half its frames
are masked at random.

Scoring (``centred_clips``): every frame t gets the clip at the scoring stride with t at
position ``clip_length // 2`` (15 of 0..29: 15 frames before it, 14 after). Near the start
and the end of the video the clip is shifted to stay inside it, so t sits off-centre at
the position nearest the centre that allows. A video too short for the stride uses the
largest smaller stride at which every frame gets a full clip; a video shorter than one
clip uses the whole video as the clip (stride 1). Frames are never repeated as padding:
a copy of the target among the visible frames would give its reconstruction away.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def masked_count(clip_length: int, ratio: float) -> int:
    """Frames masked per clip: ``ratio`` of the clip, rounded, at least one, not all."""
    return int(min(max(round(ratio * clip_length), 1), clip_length - 1))


def sample_clips(lengths: Sequence[int], n_clips: int, rng: np.random.Generator, clip_length: int = 30,
                 max_stride: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n_clips`` training clips from sequences of the given lengths.

    Sequences are drawn in proportion to their length (every sample about equally likely
    to be covered). Returns (sequence index (n,), frame indices (n, clip_length)).
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(lengths) == 0 or lengths.min() < clip_length:
        raise ValueError(f"every sequence needs at least {clip_length} samples")
    if max_stride < 1:
        raise ValueError("max_stride must be at least 1")
    sequence = rng.choice(len(lengths), size=n_clips, p=lengths / lengths.sum())
    length = lengths[sequence]
    stride_cap = np.minimum(max_stride, (length - 1) // max(clip_length - 1, 1))
    stride = 1 + np.floor(rng.random(n_clips) * stride_cap).astype(np.int64)
    last_start = length - 1 - (clip_length - 1) * stride  # inclusive
    start = np.floor(rng.random(n_clips) * (last_start + 1)).astype(np.int64)
    frames = start[:, None] + stride[:, None] * np.arange(clip_length)[None, :]
    return sequence, frames


def random_masks(n_clips: int, clip_length: int, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """(n, clip_length) bool, True at ``masked_count`` positions per row chosen uniformly."""
    order = np.argsort(rng.random((n_clips, clip_length)), axis=1)
    mask = np.zeros((n_clips, clip_length), dtype=bool)
    np.put_along_axis(mask, order[:, : masked_count(clip_length, ratio)], True, axis=1)
    return mask


def scoring_stride(n_samples: int, clip_length: int, stride: int) -> int:
    """The largest stride <= ``stride`` at which every frame gets a full clip inside the video."""
    length = min(clip_length, n_samples)
    targets = np.arange(n_samples)
    for s in range(max(stride, 1), 1, -1):
        lowest = length - 1 - (n_samples - 1 - targets) // s
        highest = targets // s
        if (lowest <= highest).all():
            return s
    return 1


def centred_clips(n_samples: int, clip_length: int = 30, stride: int = 2) -> tuple[np.ndarray, np.ndarray, int]:
    """The scoring clip of every frame: (frame indices (T, L), target position (T,), stride used).

    ``L`` is ``min(clip_length, n_samples)``; row t contains t at its target position.
    """
    if n_samples < 2:
        raise ValueError("need at least two samples")
    length = min(clip_length, n_samples)
    s = scoring_stride(n_samples, clip_length, stride)
    targets = np.arange(n_samples)
    # Position c of t must satisfy t - c*s >= 0 and t + (L-1-c)*s <= T-1.
    lowest = length - 1 - (n_samples - 1 - targets) // s
    highest = targets // s
    position = np.clip(length // 2, lowest, highest)
    frames = (targets - position * s)[:, None] + s * np.arange(length)[None, :]
    return frames, position, s
