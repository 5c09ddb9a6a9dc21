"""How much of what people keep a summary keeps: the kept-frame agreement ratio.

    python benchmarks/bench_agreement.py                   # SumMe's videos and the oracle corpus
    python benchmarks/bench_agreement.py --case summe      # one part
    python benchmarks/bench_agreement.py --case corpus

*Kept-frame agreement ratio*: the mean of a reference importance over the frames a summary
keeps, divided by its mean over the whole video. 1.0 is what keeping frames at random
gives; higher is better.

* ``summe``: the videos in ``$SUMMARIZE_DATA/summe/videos`` with their ``GT/*.mat``; the
  reference is the GT's ``gt_score`` (per frame, the share of users who kept it). Frame
  counts are aligned as ``summarize eval`` aligns them (both cut to the shorter, from the
  end). Rows: ``summarize VIDEO`` with each ``--selection`` (default options otherwise:
  contrastive, 15%), 100 random placements of the same kept shots (same lengths, random
  non-overlapping places: median and 5th-95th percentiles), and people: each user's own
  selection against the share of the *other* users who kept each frame (leave one out).
* ``corpus``: generated score sequences with an oracle importance signal (no video is
  decoded): shots of 1 to 20 s at 30 fps; each shot has a flat importance of its own, and
  some hold a short moment of high importance (a bump of 1 to 4 s); the video's peak sits
  inside one long shot (20 to 40 s). The scorer's scores are the oracle at the 2-per-second
  samples plus Gaussian noise (sigma 0, 0.1, 0.2 of the range). Every rule sees the same
  true shots: the benchmark rule, the total rule with pieces of at most 3 to 16 s (4 s is
  ``MAX_PIECE``) or half the time asked, and the total rule cutting long shots in the
  middle instead of at their lowest sample (``halves``). The rows give the mean agreement
  ratio, the share of videos whose peak frame is kept, the share of the budget filled
  and the kept shots' median length (touching pieces one shot).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import OUT  # noqa: E402

SELECTIONS = ("benchmark", "total")
FPS = 30.0
SAMPLE_FPS = 2.0


def ratio(reference: np.ndarray, kept: np.ndarray) -> float:
    return float(reference[kept].mean() / reference.mean()) if kept.any() and reference.mean() > 0 else 0.0


def kept_mask(bounds: np.ndarray, selected: np.ndarray, n_frames: int) -> np.ndarray:
    mask = np.zeros(n_frames, dtype=bool)
    for a, b in np.asarray(bounds)[np.asarray(selected, dtype=bool)]:
        mask[a:b] = True
    return mask


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def random_placements(mask: np.ndarray, draws: int, seed: int = 0) -> list[np.ndarray]:
    """The kept runs of ``mask`` at random non-overlapping places (order shuffled, gaps a
    uniformly drawn composition of the free frames)."""
    rng = np.random.default_rng(seed)
    lengths = np.array([b - a for a, b in runs(mask)])
    free = len(mask) - lengths.sum()
    out = []
    for _ in range(draws):
        order = rng.permutation(lengths)
        cuts = np.sort(rng.choice(free + len(order), size=len(order), replace=False))
        gaps = np.diff(np.concatenate([[-1], cuts])) - 1  # frames before each run
        placed = np.zeros(len(mask), dtype=bool)
        at = 0
        for gap, length in zip(gaps, order):
            at += gap
            placed[at : at + length] = True
            at += length
        out.append(placed)
    return out


def summe(data: Path) -> list[dict]:
    import scipy.io

    from summarize import Summarizer

    rows = []
    for video in sorted((data / "summe" / "videos").glob("*.mp4")):
        gt = scipy.io.loadmat(str(data / "summe" / "GT" / f"{video.stem}.mat"))
        users = gt["user_score"] > 0
        for selection in SELECTIONS:
            analysis = Summarizer(device="cpu", selection=selection).analyze(video)
            n = min(analysis.features.n_frames, len(users))  # aligned as summarize eval aligns them
            reference = users[:n].mean(axis=1)
            sel = analysis.selection
            kept = kept_mask(sel.bounds, sel.selected, analysis.features.n_frames)[:n]
            shots = runs(kept)
            row = {"video": video.stem, "selection": selection, "ratio": round(ratio(reference, kept), 3),
                   "kept_s": round(kept.sum() / analysis.features.info.avg_fps, 2), "kept_shots": len(shots),
                   "shot_lengths_s": [round((b - a) / analysis.features.info.avg_fps, 1) for a, b in shots]}
            chance = [ratio(reference, m) for m in random_placements(kept, 100)]
            row["random_median"] = round(float(np.median(chance)), 3)
            row["random_p5_p95"] = [round(float(np.percentile(chance, p)), 3) for p in (5, 95)]
            row["random_share_below"] = round(float(np.mean(np.asarray(chance) < row["ratio"])), 2)
            rows.append(row)
        people = []
        for u in range(users.shape[1]):
            rest = np.delete(users, u, axis=1).mean(axis=1)
            people.append(ratio(rest, users[:, u]))
        rows.append({"video": video.stem, "selection": "people (leave one out)",
                     "ratio": round(float(np.mean(people)), 3), "median": round(float(np.median(people)), 3),
                     "min_max": [round(min(people), 3), round(max(people), 3)], "users": len(people)})
    return rows


# ---- the oracle corpus -----------------------------------------------------------------


def oracle_video(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(shot bounds in frames, per-frame oracle importance in [0, 1]) of one generated video."""
    lengths = list(rng.uniform(1, 20, size=int(rng.integers(12, 30))))
    peak_shot = int(rng.integers(len(lengths)))
    lengths[peak_shot] = rng.uniform(20, 40)  # the peak sits inside one long shot
    frames = np.maximum(np.round(np.asarray(lengths) * FPS).astype(int), 1)
    starts = np.concatenate([[0], np.cumsum(frames)[:-1]])
    bounds = np.stack([starts, starts + frames], axis=1)
    importance = np.zeros(frames.sum())
    t = np.arange(frames.sum()) / FPS
    for s, (a, b) in enumerate(bounds):
        importance[a:b] = rng.uniform(0.05, 0.35)
        moments = 1 if s == peak_shot else int(rng.random() < 0.3)
        for _ in range(moments):
            centre = rng.uniform(a / FPS + 1, b / FPS - 1) if b - a > 2 * FPS else (a + b) / 2 / FPS
            width = rng.uniform(0.5, 2.0)
            height = 1.0 if s == peak_shot else rng.uniform(0.4, 0.8)
            bump = height * np.exp(-0.5 * ((t[a:b] - centre) / width) ** 2)
            importance[a:b] = np.maximum(importance[a:b], bump)
    return bounds, importance


def halves(cut_pieces, bounds, times_us, q, sample_frames, longest, shortest):
    """Ablation of ``total_selection.cut_pieces``: long shots cut at the admissible sample
    nearest their middle instead of at their lowest-scoring one."""
    nearness = np.zeros_like(q)
    for a, b in bounds:
        lo, hi = np.searchsorted(sample_frames, [a, b])
        nearness[lo:hi] = np.abs(2 * times_us[sample_frames[lo:hi]] - times_us[a] - times_us[b])
    return cut_pieces(bounds, times_us, nearness, sample_frames, longest, shortest)


def corpus_selection(rule: str, bounds: np.ndarray, scores: np.ndarray, sample_frames: np.ndarray,
                     n_frames: int, budget: float, max_piece: float | None = None):
    from summarize import total_selection
    from summarize.selection import frame_scores, select_shots

    if rule == "benchmark":
        return select_shots(bounds, frame_scores(scores, sample_frames, n_frames), budget)
    times_us = np.rint(np.arange(n_frames + 1) / FPS * 1e6).astype(np.int64)
    cut_pieces = total_selection.cut_pieces
    if rule == "total, halves":
        total_selection.cut_pieces = functools.partial(halves, cut_pieces)
    try:
        return total_selection.select_total(bounds, scores, sample_frames, times_us, total_selection.Budget(budget),
                                            max_piece=max_piece or total_selection.MAX_PIECE)
    finally:
        total_selection.cut_pieces = cut_pieces


def corpus(videos: int = 200, budget: float = 0.15) -> list[dict]:
    rules = [("benchmark", None), ("total", 3.0), ("total", 4.0), ("total, halves", 4.0), ("total", 6.0),
             ("total", 8.0), ("total", 16.0), ("total", 1e9)]
    rows = []
    for noise in (0.0, 0.1, 0.2):
        rng = np.random.default_rng(20)
        stats: dict[str, dict[str, list]] = {}
        for _ in range(videos):
            bounds, importance = oracle_video(rng)
            n = len(importance)
            sample_frames = np.round(np.arange(0, n / FPS, 1 / SAMPLE_FPS) * FPS).astype(np.int64)
            scores = importance[sample_frames] + noise * rng.standard_normal(len(sample_frames))
            peak = int(np.argmax(importance))
            for rule, piece in rules:
                limit = f"pieces <= {piece:g} s" if piece < 1e8 else "pieces <= half the time asked"
                name = rule if piece is None else f"{rule} ({limit})"
                sel = corpus_selection(rule, bounds, scores, sample_frames, n, budget, piece)
                kept = kept_mask(sel.bounds, sel.selected, n)
                lengths = [(b - a) / FPS for a, b in runs(kept)]
                s = stats.setdefault(name, {"ratio": [], "peak": [], "fill": [], "length": []})
                s["ratio"].append(ratio(importance, kept))
                s["peak"].append(bool(kept[peak]))
                s["fill"].append(kept.sum() / np.floor(budget * n))
                s["length"].extend(lengths)
        for name, s in stats.items():
            rows.append({"noise": noise, "selection": name, "ratio": round(float(np.mean(s["ratio"])), 3),
                         "peak_kept": round(float(np.mean(s["peak"])), 3),
                         "budget_filled": round(float(np.mean(s["fill"])), 3),
                         "median_shot_s": round(float(np.median(s["length"])), 2), "videos": videos})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=["summe", "corpus"], action="append")
    args = parser.parse_args()
    results = {}
    for case in args.case or ["summe", "corpus"]:
        if case == "summe":
            data = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
            results[case] = summe(data)
        else:
            results[case] = corpus()
        for row in results[case]:
            print(f"[{case}] " + ", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_agreement.json").write_text(json.dumps(results, indent=2))
    print(f"results written to {OUT / 'bench_agreement.json'}")


if __name__ == "__main__":
    main()
