"""Numbers and speed of ``summarize eval``.

    python benchmarks/bench_eval.py                    # every case
    python benchmarks/bench_eval.py --case summe       # one case

Cases (each runs ``python -m summarize eval`` in a fresh process: wall time and peak RSS
are its own, model loading and imports included):

* ``summe``: the two SumMe videos in ``$SUMMARIZE_DATA/summe/videos`` with their ground
  truth, EfficientNet-Lite0 features at 2 fps (no feature cache, so decoding and the
  backbone are timed): contrastive (align+uniform), contrastive (align), random (10
  draws), uniform and human leave-one-out. Two videos make a smoke test, not a result.
* ``tvsum-synthetic``: a synthetic TVSum-sized feature file (made once under
  ``bench-out/``): 50 videos with the real TVSum frame counts from
  ``$SUMMARIZE_DATA/tvsum/ydata-tvsum50.mat`` (352,353 frames), 1024-d features every 15
  frames (23,512 rows), 20 synthetic annotators per video; the training-free method alone
  (``--no-reference``).
* ``tvsum-synthetic-references``: the same file, contrastive plus the random (10 draws),
  uniform and human reference rows.

Target (2-core CPU): the training-free method on the TVSum-sized file in <= 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out"
DATA = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
sys.path.insert(0, str(ROOT))


def tvsum_sized_folder() -> Path:
    """The synthetic file with the real TVSum lengths (generation is not measured)."""
    folder = OUT / "tvsum-synthetic"
    if (folder / "ydata-tvsum50-anno.tsv").is_file():
        return folder
    from summarize.evaluation import read_tvsum
    from tests.eval_synthetic import write_dataset

    lengths = [v.n_frames for v in read_tvsum(DATA / "tvsum" / "ydata-tvsum50.mat")]
    assert len(lengths) == 50 and sum(lengths) == 352_353
    tmp = folder.with_name(folder.name + ".partial")
    write_dataset(tmp, "tvsum", lengths=lengths, dim=1024, seed=0)
    tmp.rename(folder)
    return folder


CASES = {
    "summe": lambda: ["--dataset", "summe", "--videos", str(DATA / "summe" / "videos"), "--annotations",
                      str(DATA / "summe" / "GT"), "--backbone", "efficientnet-lite0", "--no-cache",
                      "-m", "contrastive", "-m", "contrastive:variant=align"],
    "tvsum-synthetic": lambda: ["--dataset", "tvsum", "--data-dir", str(tvsum_sized_folder()), "-m", "contrastive",
                                "--no-reference"],
    "tvsum-synthetic-references": lambda: ["--dataset", "tvsum", "--data-dir", str(tvsum_sized_folder()),
                                           "-m", "contrastive"],
}


def run_case(case: str) -> dict:
    arguments = CASES[case]()  # builds the synthetic file first, outside the measurement
    out_json = OUT / f"eval-{case}.json"
    command = [sys.executable, "-m", "summarize", "eval", *arguments, "-q", "--json", str(out_json)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    errors = OUT / f"eval-{case}.stderr"
    started = time.perf_counter()
    with open(errors, "w") as stderr:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(errors.read_text())
        raise SystemExit(f"case {case} failed")
    document = json.loads(out_json.read_text())
    rows = {r["label"]: {k: r[k] for k in ("f1", "precision", "recall", "kendall_tau", "spearman_rho", "n_videos")}
            for r in document["results"]}
    return {
        "command": " ".join(["summarize", "eval", *arguments]),
        "wall_s": round(wall, 2),
        "evaluate_s": document["run"]["timings"]["total"],
        "load_s": document["run"]["timings"]["load"],
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "videos": len(document["videos"]),
        "samples": sum(v["n_samples"] for v in document["videos"]),
        "notes": document["notes"],
        "results": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=list(CASES), action="append")
    args = parser.parse_args()
    results = {}
    for case in args.case or list(CASES):
        results[case] = run_case(case)
        r = results[case]
        print(f"[{case}] {r['command']}")
        print(f"[{case}] wall {r['wall_s']} s (evaluate {r['evaluate_s']} s, of which loading/decoding "
              f"{r['load_s']} s), peak RSS {r['peak_rss_mb']} MB, "
              f"{r['videos']} videos, {r['samples']} samples")
        for label, row in r["results"].items():
            tau = "-" if row["kendall_tau"] is None else f"{row['kendall_tau']:.4f}"
            rho = "-" if row["spearman_rho"] is None else f"{row['spearman_rho']:.4f}"
            print(f"[{case}]   {label:28s} F1 {100 * row['f1']:5.1f}  tau {tau:>7}  rho {rho:>7}  "
                  f"videos {row['n_videos']}")
        for note in r["notes"]:
            print(f"[{case}]   note: {note}")
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_eval.json").write_text(json.dumps(results, indent=2))
    print(f"results written to {OUT / 'bench_eval.json'}")


if __name__ == "__main__":
    main()
