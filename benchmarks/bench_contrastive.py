"""Speed of the trained contrastive method (refinement + uniqueness filter).

    python benchmarks/bench_contrastive.py                 # every case
    python benchmarks/bench_contrastive.py --case train    # one case

Cases (each runs in a fresh process, so its peak RSS is its own):

* ``train``: 40 epochs on one fold of a TVSum-sized feature file: the 40 training videos of
  fold 0 (real TVSum lengths, 1024-d, 2 samples per second), the published settings (batches of
  32 videos resampled to 200 samples, 4 layers, d_model 128, one head). Target: <= 60 s.
* ``score``: scoring a 1,200-sample video (10 minutes at 2 fps, 1280-d) with a checkpoint,
  ``align+uniform+unique``. Target: <= 2 s.
* ``eval-splits``: ``summarize eval --splits`` with five folds on the TVSum-sized file,
  ``-m contrastive -m contrastive:refine=1`` (a model trained per fold). Target: <= 10 minutes.

On a GPU (``--device cuda``) the ``train`` case also reports the training throughput.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_eval import tvsum_sized_folder  # noqa: E402
from benchmarks.bench_mae import video_features  # noqa: E402
from benchmarks.common import OUT, peak_rss_mb, run_cases  # noqa: E402

CASES = ("train", "score", "eval-splits")


def splits_file(folder: Path) -> Path:
    """Five folds of ten test videos each (every video tested once), the rest for training."""
    path = folder / "splits.json"
    keys = [f"video_{i}" for i in range(1, 51)]
    folds = [{"test_keys": keys[i::5], "train_keys": [k for k in keys if k not in keys[i::5]]} for i in range(5)]
    path.write_text(json.dumps(folds))
    return path


def run_case(case: str, device: str) -> list[dict]:
    import numpy as np

    from summarize.evaluation import evaluate
    from summarize.evaluation.datasets import FeatureFile, read_folds
    from summarize.scoring.contrastive import ContrastiveScorer
    from summarize.training import FeatureSequence
    from summarize.training.contrastive import ContrastiveOptions, train_contrastive
    from summarize.training.data import l2_normalised

    folder = tvsum_sized_folder()
    if case == "train":
        fold = read_folds(splits_file(folder))[0]
        with FeatureFile(folder / "eccv16_dataset_tvsum_google_pool5.h5") as h5:
            sequences = [FeatureSequence(k, l2_normalised(h5.read(k).features), k) for k in fold.train]
        out = OUT / "contrastive-train.ckpt"
        t0 = time.perf_counter()
        result = train_contrastive(sequences, out, backbone="googlenet", sampling_fps=0.0, overwrite=True,
                                   options=ContrastiveOptions(), dist=_dist(device))
        seconds = time.perf_counter() - t0
        sequences_per_s = 40 * len(sequences) / seconds  # each epoch sees every video once, as 200 samples
        return [{"videos": len(sequences), "epochs": 40, "steps": result.meta.steps, "seconds": round(seconds, 2),
                 "sequences_per_s": round(sequences_per_s, 1), "samples_per_s": round(200 * sequences_per_s),
                 "device": device, "peak_rss_mb": round(peak_rss_mb())}]
    if case == "score":
        features = video_features(1200, 1280)
        from summarize.training.contrastive import contrastive_recipe
        from summarize.training.loop import train_model

        corpus = [video_features(300, 1280, seed=s) for s in range(1, 5)]
        scorer = ContrastiveScorer(refine=True).with_model(
            train_model(contrastive_recipe(corpus, ContrastiveOptions(epochs=1, batch_size=4))))
        scorer.score(features[:50])  # warm-up, not timed
        t0 = time.perf_counter()
        scores = scorer.score(features)
        seconds = time.perf_counter() - t0
        assert scores.shape == (1200,) and np.isfinite(scores).all()
        return [{"samples": 1200, "variant": scorer.variant, "seconds": round(seconds, 3),
                 "peak_rss_mb": round(peak_rss_mb())}]
    if case == "eval-splits":
        t0 = time.perf_counter()
        result = evaluate("tvsum", data_dir=folder, methods=["contrastive", "contrastive:refine=1"], references=(),
                          splits=splits_file(folder), device=device)
        seconds = time.perf_counter() - t0
        return [{"method": m.label, "f1": round(m.f1, 4), "tau": round(m.kendall_tau, 4),
                 "rho": round(m.spearman_rho, 4), "training_s": round(result.timings.get("training", 0.0), 1),
                 "wall_s": round(seconds, 1), "peak_rss_mb": round(peak_rss_mb())} for m in result.methods]
    raise SystemExit(f"unknown case {case}")


def _dist(device: str):
    from summarize.device import resolve_device
    from summarize.training import Distributed

    return Distributed(device=resolve_device(device))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=CASES)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_case(args.child, args.device)))
        return
    tvsum_sized_folder()  # made once, outside the timed cases
    run_cases(__file__, [args.case] if args.case else list(CASES), "bench_contrastive.json",
              ["--device", args.device])


if __name__ == "__main__":
    main()
