"""Mutation testing of the core modules, module by module, against the fast tests.

    python scripts/mutation.py                     # every module in [tool.mutmut] only_mutate
    python scripts/mutation.py selection segmentation
    python scripts/mutation.py --report            # the last results, without running

It runs ``mutmut run "summarize.MODULE*"`` for each module, in the order of ``only_mutate``
(fewest mutants first), under ``nice -n 19`` with one OpenMP thread (PyTorch's thread pool
does not survive mutmut's fork). It then prints per module how many mutants the tests
killed (a timeout counts as killed), how many survivors are known equivalents
(``scripts/mutation_equivalents.toml``, each with its reason), the seconds the module took,
and every survivor; ``mutmut show NAME`` prints a survivor's change. Results are kept in
``mutants/`` (git-ignored); a module named again is tested again in full. Which modules and
which tests: ``[tool.mutmut]`` in pyproject.toml. Needs ``pip install -e '.[mutation]'`` and
SUMMARIZE_DATA for the evaluation tests. Exit status 1 when a module is below ``--bar``
(default 90% of the mutants tested).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import functools
import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KILLED = {1, 3, 36, -24, 24, 152, 255}  # mutmut's exit codes for killed and timed out
SURVIVED = {0}


def modules() -> dict[str, str]:
    """``selection`` -> ``summarize/selection.py`` for every file mutmut is told to mutate."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return {path.removeprefix("summarize/").removesuffix(".py").replace("/", "."): path
            for path in config["only_mutate"]}


def results(path: str) -> dict[str, int | None]:
    meta = ROOT / "mutants" / f"{path}.meta"
    return json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}


TIMES = ROOT / "mutants" / "seconds_by_module.json"


def _times() -> dict[str, float]:
    return json.loads(TIMES.read_text()) if TIMES.exists() else {}


EQUIVALENTS = ROOT / "scripts" / "mutation_equivalents.toml"


def equivalents() -> dict[tuple[str, str], str]:
    """(mutant name, mutated line) -> why it computes what the original does. The line is part
    of the key: after a code change mutmut renumbers mutants, and a stale reason must not
    excuse a different mutant."""
    if not EQUIVALENTS.exists():
        return {}
    entries = tomllib.loads(EQUIVALENTS.read_text()).get("equivalent", [])
    return {(e["name"], e["line"]): e["why"] for e in entries}


@functools.cache
def _functions(path: str) -> dict[str, list[str]]:
    """The lines of every function mutmut wrote into mutants/PATH, its own name as NAME."""
    source = (ROOT / "mutants" / path).read_text()
    lines = source.splitlines()
    return {node.name: [lines[node.lineno - 1].replace(node.name, "NAME", 1), *lines[node.lineno:node.end_lineno]]
            for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef)}


def mutated_line(path: str, key: str) -> str:
    """The line ``key`` changes, as mutmut wrote it into mutants/PATH (the first changed line)."""
    bodies = _functions(path)
    function = key.rsplit(".", 1)[-1]
    original = bodies.get(function.rsplit("__mutmut_", 1)[0] + "__mutmut_orig", [])
    changed = [line[1:].strip() for line in difflib.ndiff(original, bodies.get(function, []))
               if line.startswith("+ ")]
    return changed[0] if changed else ""


def report(names: list[str], bar: float) -> int:
    below, times, explained = 0, _times(), equivalents()
    print(f"{'module':28} {'mutants':>7} {'killed':>7} {'survived':>8} {'equiv.':>6} {'other':>6} {'score':>7} "
          f"{'seconds':>8}")
    for name in names:
        path = modules()[name]
        codes = results(path)
        killed = sum(c in KILLED for c in codes.values())
        survived = [k for k, c in codes.items() if c in SURVIVED]
        why = {k: explained.get((k, mutated_line(path, k))) for k in survived}
        other = len(codes) - killed - len(survived)  # not run yet, no tests, suspicious
        tested = killed + len(survived)
        score = killed / tested if tested else 0.0
        below += score < bar
        print(f"{name:28} {len(codes):7} {killed:7} {len(survived):8} {sum(map(bool, why.values())):6} {other:6} "
              f"{score:7.1%} {times.get(name, float('nan')):8.0f}")
        for key in survived:
            print(f"    survived: {key}" + (f"  (equivalent: {why[key]})" if why[key] else "  NOT EXPLAINED"))
    print(f"seconds in all: {sum(times.get(n, 0) for n in names):.0f}")
    return 1 if below else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"default: all of {', '.join(modules())}")
    parser.add_argument("--report", action="store_true", help="print the last results only")
    parser.add_argument("--bar", type=float, default=0.9, help="the least share of mutants killed (0.9)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (2)")
    args = parser.parse_args()
    names = args.modules or list(modules())
    unknown = [n for n in names if n not in modules()]
    if unknown:
        parser.error(f"not configured for mutation: {', '.join(unknown)}")
    if not args.report:
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        for name in names:
            started = time.monotonic()
            subprocess.run(["nice", "-n", "19", sys.executable, "-m", "mutmut", "run", "--max-children",
                            str(args.jobs), f"summarize.{name}*"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            times = {**_times(), name: round(time.monotonic() - started, 1)}
            TIMES.write_text(json.dumps(times, indent=1))
            print(f"{name}: {times[name]:.0f} s", file=sys.stderr, flush=True)
    return report(names, args.bar)


if __name__ == "__main__":
    sys.exit(main())
