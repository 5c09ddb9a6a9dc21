"""Speed of the masked-autoencoder scorer and of its training, on the shipped checkpoint.

    python benchmarks/bench_mae.py                    # every case
    python benchmarks/bench_mae.py --case score       # one case
    python benchmarks/bench_mae.py --checkpoint my.ckpt

Cases (each runs in a fresh process, so its peak RSS is its own):

* ``score``: MAE scores of a 10-minute video sampled at 2 fps (1,200 samples, synthetic
  1280-d features: shots of drifting features) with the default stride 2.
* ``adapt``: the same with ``--adapt 200`` (200 fine-tuning steps on the video, then scoring).
* ``train``: training throughput in clips per second with the checkpoint's model size,
  batch 32, on synthetic sequences (the first 3 steps, warm-up, are not timed).

Targets (2-core CPU, default checkpoint): scoring <= 10 s; ``--adapt 200`` <= 60 s.
Feature extraction is not included: it is the same for every method (see bench_pipeline.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import peak_rss_mb, run_cases  # noqa: E402


def video_features(n: int = 1200, dim: int = 1280, seed: int = 0):
    """Shots of 5-60 samples; within a shot the features drift, between shots they jump."""
    import numpy as np

    rng = np.random.default_rng(seed)
    parts = []
    while sum(len(p) for p in parts) < n:
        length = int(rng.integers(5, 60))
        drift = np.cumsum(rng.standard_normal((length, dim)) * 0.05, axis=0)
        parts.append(rng.standard_normal(dim) + drift)
    x = np.concatenate(parts)[:n].astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def run_score(checkpoint: str | None, adapt: int) -> dict:
    import numpy as np
    import torch

    from summarize.scoring import get_scorer

    x = video_features()
    t0 = time.perf_counter()
    scorer = get_scorer("mae", checkpoint=checkpoint, adapt=adapt, seed=0)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    scores = scorer.score(x, device=torch.device("cpu"))
    elapsed = time.perf_counter() - t0
    return {
        "samples": len(x),
        "adapt_steps": adapt,
        "model_size": scorer.meta.size,
        "parameters": scorer.meta.num_params,
        "checkpoint_load_s": round(load, 2),
        "score_s": round(elapsed, 2),
        "threads": torch.get_num_threads(),
        "finite": bool(np.isfinite(scores).all()),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def run_train(checkpoint: str | None, steps: int = 13) -> dict:
    import torch

    from summarize.networks import load_checkpoint
    from summarize.training.mae import ClipBatches, TrainOptions, make_optimizer, train_steps

    model = load_checkpoint(checkpoint).model
    options = TrainOptions(steps=steps, batch_size=32)
    batches = ClipBatches([video_features(1200, model.config.feature_dim, seed=s) for s in range(4)],
                          model.config.clip_length, options)
    optimizer = make_optimizer(model, options)
    device = torch.device("cpu")
    train_steps(model, batches, optimizer, options, 0, 3, device)
    t0 = time.perf_counter()
    loss = train_steps(model, batches, optimizer, options, 3, steps, device)
    elapsed = time.perf_counter() - t0
    clips = (steps - 3) * options.batch_size
    return {
        "device": "cpu",
        "threads": torch.get_num_threads(),
        "batch_size": options.batch_size,
        "timed_steps": steps - 3,
        "s_per_step": round(elapsed / (steps - 3), 3),
        "clips_per_s": round(clips / elapsed, 1),
        "loss": round(loss, 4),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def child(case: str, checkpoint: str | None) -> list[dict]:
    if case == "score":
        return [run_score(checkpoint, 0)]
    if case == "adapt":
        return [run_score(checkpoint, 200)]
    if case == "train":
        return [run_train(checkpoint)]
    raise SystemExit(f"unknown case {case}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=["score", "adapt", "train"], action="append")
    parser.add_argument("--checkpoint", help="a checkpoint instead of the shipped default")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.checkpoint)))
        return
    extra = ["--checkpoint", args.checkpoint] if args.checkpoint else []
    run_cases(__file__, args.case or ["score", "adapt", "train"], "bench_mae.json", extra)


if __name__ == "__main__":
    main()
