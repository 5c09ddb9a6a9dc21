"""Still images of shots: the middle frame of each, decoded from the source in one pass.

The report's contact sheet (small JPEGs embedded in the page) and ``--save-images`` (one
JPEG per shot at the source's size, beside the summary) both take their frames here.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

JPEG_QUALITY = 95  # --save-images, as PySceneDetect's save-images


def middle_frames(source: str | Path, bounds: np.ndarray, short_side: int | None = None
                  ) -> Iterator[tuple[int, np.ndarray]]:
    """(shot number, RGB frame as shown) of the middle frame of every [start, stop) frame
    range of ``bounds``, in the order they decode; ``short_side`` scales them (None: source size)."""
    from ..decoding import SamplingPlan, open_video

    bounds = np.asarray(bounds, dtype=np.int64).reshape(-1, 2)
    middles = (bounds[:, 0] + bounds[:, 1] - 1) // 2
    order = np.argsort(middles, kind="stable")
    with open_video(source, short_side=short_side) as video:
        times = np.asarray(video.frame_times, dtype=np.float64)[middles[order]]
        plan = SamplingPlan(fps=1.0, times=times, frame_indices=middles[order])
        for batch in video.iter_batches(plan, batch_size=16):
            for k, frame in enumerate(batch.frames):
                yield int(order[batch.first_sample + k]), np.ascontiguousarray(frame)


def jpeg(frame: np.ndarray, quality: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def write_shot_images(source: str | Path, bounds: np.ndarray, paths: Sequence[Path],
                      progress: Callable[[float], None] | None = None) -> None:
    """A JPEG of the middle frame of every shot of ``bounds`` at ``paths`` (one each, in shot order)."""
    total = max(len(paths), 1)
    for done, (shot, frame) in enumerate(middle_frames(source, bounds), 1):
        Path(paths[shot]).write_bytes(jpeg(frame, JPEG_QUALITY))
        if progress is not None:
            progress(done / total)
