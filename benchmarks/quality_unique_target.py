"""What the uniqueness target changes, on a generated corpus with a known answer.

    python benchmarks/quality_unique_target.py [--seeds 0 1 2] [--epochs 30]

The corpus is ``background_corpus`` of tests/test_contrastive_trained.py: every video mixes
three scenes of its own with one background shared by all videos (a street, water: a frame
that could be in any video). The uniqueness filter is meant to score the background down.
For each seed (the model's weights, batches and dropout; the corpus is fixed) a model is
trained on 10 videos in batches of 4 with each target, ``other`` (the paper) and
``ctvsum`` (the authors' code: the frame's own video counts too), and its filter H scores 6
held-out videos. Prints, per target, the mean over seeds and the range of the AUC of the
video's own frames against the background (1: every own frame above every background
frame), mean over the held-out videos.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarize.scoring.contrastive import ContrastiveScorer  # noqa: E402
from summarize.training.contrastive import ContrastiveOptions, contrastive_recipe  # noqa: E402
from summarize.training.loop import train_model  # noqa: E402
from tests.test_contrastive_trained import auc, background_corpus  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    train = [x for x, _ in background_corpus(rng, 10)]
    held_out = background_corpus(rng, 6)
    print("| target | seed | AUC own vs background (mean over 6 videos) | min over videos |\n| --- | --- | --- | --- |")
    results: dict[str, list[float]] = {}
    for target in ("other", "ctvsum"):
        for seed in args.seeds:
            options = ContrastiveOptions(epochs=args.epochs, batch_size=4, seed=seed, unique_target=target)
            scorer = ContrastiveScorer(refine=True).with_model(train_model(contrastive_recipe(train, options)))
            aucs = [auc(u[~bg], u[bg]) for x, bg in held_out for u in [scorer.terms(x)["unique"]]]
            results.setdefault(target, []).append(float(np.mean(aucs)))
            print(f"| {target} | {seed} | {np.mean(aucs):.3f} | {min(aucs):.3f} |", flush=True)
    for target, values in results.items():
        print(f"{target}: mean {statistics.fmean(values):.3f}, range {min(values):.3f}..{max(values):.3f} "
              f"over seeds {args.seeds}")


if __name__ == "__main__":
    main()
