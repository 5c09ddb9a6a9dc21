"""Shared by the benchmark scripts: each case runs in a fresh process (its own peak RSS)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(script: str, case: str, extra_args: list[str] = ()) -> list[dict]:
    """``script --child CASE`` in a fresh process: the rows it prints last, as JSON."""
    proc = subprocess.run([sys.executable, script, "--child", case, *extra_args], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"case {case} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_cases(script: str, cases: list[str], results_name: str, extra_args: list[str] = ()) -> dict:
    """Run ``script --child CASE`` for every case, print its rows and save them all as JSON."""
    results = {}
    for case in cases:
        results[case] = run_child(script, case, extra_args)
        for row in results[case]:
            print(f"[{case}] " + ", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / results_name).write_text(json.dumps(results, indent=2))
    print(f"results written to {OUT / results_name}")
    return results
