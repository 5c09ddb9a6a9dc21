"""Mutation testing of the core modules, module by module, against the fast tests.

    python scripts/mutation.py                     # every module in [tool.mutmut] only_mutate
    python scripts/mutation.py selection segmentation
    python scripts/mutation.py --report            # the last results, without running

It runs ``mutmut run "summarize.MODULE.*"`` for each module (a file, or a package given as
``summarize/PACKAGE/*``: all its files count as one module), in the order of ``only_mutate``
(fewest mutants first), under ``nice -n 19`` with one OpenMP thread (PyTorch's thread pool
does not survive mutmut's fork). It then prints per module how many mutants the tests
killed (a timeout counts as killed, column ``t/o``, and so does a test run that aborts, such
as OR-Tools' check on a negative weight: column ``crash``), how many survived (a mutant of a function
no fast test calls counts as a survivor, ``no test``), how many survivors are known
equivalents (``scripts/mutation_equivalents.toml``, each with its reason), the score
(killed / all mutants), the seconds the module took and the load average over them, and
every survivor; ``mutmut show NAME`` prints a survivor's change. The last line is the
whole run's time. Results are kept in
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
import resource
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KILLED = {1, 3, 36, -24, 24, 152, 255}  # mutmut's exit codes for killed and timed out
# Timed out: over (tests' seconds + timeout_constant) x timeout_multiplier of wall time, or twice
# that of CPU. On a loaded machine a slow survivor can pass the wall limit: the column shows them.
TIMED_OUT = {36, -24, 24, 152, 255}
CRASHED = {-6, -11}  # the test process aborted (SIGABRT, SIGSEGV): the run fails, as a kill does
SURVIVED = {0}
NO_TESTS = {5, 33}  # no fast test calls the mutated function: nothing can fail


def modules() -> dict[str, list[str]]:
    """``selection`` -> ``["summarize/selection.py"]`` for every entry of ``only_mutate``: a
    file, or a package as mutmut's glob of its files (``summarize/outputs/exports/*`` is the
    module ``outputs.exports``, all its files)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    found = {}
    for entry in config["only_mutate"]:
        name = entry.removeprefix("summarize/").removesuffix(".py").removesuffix("/*").replace("/", ".")
        files = [entry] if not entry.endswith("*") else sorted(
            path.relative_to(ROOT).as_posix() for path in ROOT.glob(entry) if path.suffix == ".py")
        found[name] = files
    return found


def results(paths: list[str]) -> dict[str, tuple[str, int | None]]:
    """mutant name -> (the file it changes, mutmut's exit code) for the files of one module."""
    found = {}
    for path in paths:
        meta = ROOT / "mutants" / f"{path}.meta"
        if meta.exists():
            found.update({key: (path, code) for key, code in json.loads(meta.read_text())["exit_code_by_key"].items()})
    return found


TIMES = ROOT / "mutants" / "seconds_by_module.json"


def _times() -> dict[str, dict[str, float]]:
    """module -> {"seconds": wall time of its last run, "load": the 1-minute load average over it}."""
    times = json.loads(TIMES.read_text()) if TIMES.exists() else {}
    return {k: v if isinstance(v, dict) else {"seconds": v} for k, v in times.items()}


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
    print(f"{'module':22} {'mutants':>7} {'killed':>6} {'t/o':>4} {'crash':>5} {'survived':>8} {'no test':>7} {'equiv.':>6} "
          f"{'other':>5} {'score':>6} {'seconds':>7} {'cpu s':>6} {'load':>5}")
    for name in names:
        found = results(modules()[name])
        codes = {key: code for key, (_, code) in found.items()}
        killed = sum(c in KILLED for c in codes.values())
        crashed = sum(c in CRASHED for c in codes.values())
        timed_out = sum(c in TIMED_OUT for c in codes.values())
        survived = [k for k, c in codes.items() if c in SURVIVED or c in NO_TESTS]
        untested = sum(c in NO_TESTS for c in codes.values())
        why = {k: explained.get((k, mutated_line(found[k][0], k))) for k in survived}
        other = len(codes) - killed - crashed - len(survived)  # not run yet, suspicious
        score = (killed + crashed) / len(codes) if codes else 0.0
        below += score < bar
        run = times.get(name, {})
        print(f"{name:22} {len(codes):7} {killed:6} {timed_out:4} {crashed:5} {len(survived):8} {untested:7} "
              f"{sum(map(bool, why.values())):6} {other:5} {score:6.1%} {run.get('seconds', float('nan')):7.0f} "
              f"{run.get('cpu', float('nan')):6.0f} {run.get('load', float('nan')):5.1f}")
        for key in survived:
            label = "no test" if codes[key] in NO_TESTS else "survived"
            print(f"    {label}: {key}" + (f"  (equivalent: {why[key]})" if why[key] else "  NOT EXPLAINED"))
    total = times.get(" run", {})
    print(f"seconds in all: {sum(times.get(n, {}).get('seconds', 0) for n in names):.0f}"
          + (f"; the last run took {total['seconds']:.0f} s of wall time and {total['cpu']:.0f} s of CPU (load "
             f"{total['load']:.1f}) for {', '.join(total['modules'])}" if total else ""))
    return 1 if below else 0


def _timed(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run ``command``; its wall time, the CPU time of it and its children (what an idle machine
    with --jobs cores would need about 1/jobs of), and the mean 1-minute load average over it
    (sampled every 5 s)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, loads = time.monotonic(), [os.getloadavg()[0]]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    while True:
        try:
            process.wait(timeout=5)
            break
        except subprocess.TimeoutExpired:
            loads.append(os.getloadavg()[0])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"seconds": round(time.monotonic() - started, 1), "cpu": round(cpu, 1),
            "load": round(sum(loads) / len(loads), 1)}


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
        run_started, times = time.monotonic(), _times()
        # mutmut keeps which tests call which function from its last run and traces again only
        # tests with new names: a test changed to reach another function would never be run on
        # that function's mutants. Without the file it traces every selected test (a minute or two).
        (ROOT / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
        for name in names:
            times[name] = _timed(["nice", "-n", "19", sys.executable, "-m", "mutmut", "run", "--max-children",
                                  str(args.jobs), f"summarize.{name}.*"], env)
            TIMES.write_text(json.dumps(times, indent=1))
            print(f"{name}: {times[name]['seconds']:.0f} s of wall time, {times[name]['cpu']:.0f} s of CPU (load "
                  f"{times[name]['load']:.1f})", file=sys.stderr, flush=True)
        seconds = round(time.monotonic() - run_started, 1)
        load = round(sum(times[n]["load"] * times[n]["seconds"] for n in names) / max(seconds, 1e-9), 1)
        cpu = round(sum(times[n]["cpu"] for n in names), 1)
        times[" run"] = {"seconds": seconds, "cpu": cpu, "load": load, "modules": names}
        TIMES.write_text(json.dumps(times, indent=1))
        print(f"the whole run: {seconds:.0f} s of wall time, {cpu:.0f} s of CPU (load {load:.1f})", file=sys.stderr,
              flush=True)
    return report(names, args.bar)


if __name__ == "__main__":
    sys.exit(main())
