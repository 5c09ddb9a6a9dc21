"""Speed of the default selection (``--selection total``) on a 3-hour video's scores.

    python benchmarks/bench_selection.py

21,600 samples (3 hours at 2 a second) of a 30 fps video, about 1,600 KTS shots of 2 to 11
seconds (their starts between the samples, as picture cuts are), scores piecewise constant
per shot plus noise. For each budget: the seconds ``select_total`` takes (best of 3, in a
fresh process), the pieces the shots are cut into, the pieces kept and the share of the
time asked for that they fill. Target: at most 1 s (the report re-runs it in the browser).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import OUT, peak_rss_mb  # noqa: E402


def three_hours(seed: int = 0):
    rng = np.random.default_rng(seed)
    n_samples, per_sample = 21_600, 15
    n_frames = n_samples * per_sample
    lengths = rng.integers(4, 23, size=4000)
    change_points = np.cumsum(lengths)
    change_points = change_points[change_points < n_samples]
    sample_frames = np.arange(n_samples) * per_sample
    starts = sample_frames[change_points] - rng.integers(0, per_sample, len(change_points))
    bounds = np.stack([np.concatenate([[0], starts]), np.append(starts, n_frames)], axis=1)
    owner = np.searchsorted(bounds[:, 0], sample_frames, side="right") - 1
    scores = np.clip(rng.random(len(bounds))[owner] + 0.1 * rng.standard_normal(n_samples), 0, None)
    times_us = np.rint(np.arange(n_frames + 1) * 1e6 / 30).astype(np.int64)
    return bounds, scores, sample_frames, times_us


def main() -> None:
    from summarize.total_selection import Budget, select_total

    bounds, scores, sample_frames, times_us = three_hours()
    rows = []
    for budget in (Budget(fraction=0.15), Budget(fraction=0.5), Budget(seconds=60.0)):
        best = np.inf
        for _ in range(3):
            started = time.perf_counter()
            sel = select_total(bounds, scores, sample_frames, times_us, budget)
            best = min(best, time.perf_counter() - started)
        kept_us = int((times_us[sel.bounds[sel.selected, 1]] - times_us[sel.bounds[sel.selected, 0]]).sum())
        asked = budget.capacity(int(times_us[-1]))
        rows.append({"budget": budget.fraction if budget.seconds is None else f"{budget.seconds:g} s",
                     "samples": len(scores), "shots": len(bounds), "pieces": len(sel.bounds),
                     "kept": int(sel.selected.sum()), "filled": round(kept_us / asked, 4),
                     "steps": sel.capacity, "seconds": round(best, 3), "peak_rss_mb": round(peak_rss_mb())})
        print(", ".join(f"{k}={v}" for k, v in rows[-1].items()), flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_selection.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
