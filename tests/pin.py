"""Reference numbers of what a user gets, pinned in ``tests/pinned/reference.json``.

Each case below computes, on fixed inputs, the shots a method selects and (on the SumMe
videos) the method's F1, precision, recall, Kendall's tau and Spearman's rho.
``tests/test_pinned.py`` recomputes them and fails on any difference, so a change to what a
user gets is always a decision: when it is intended, regenerate the file and commit it in
the same commit, saying why the numbers moved::

    SUMMARIZE_DATA=/path/to/data python -m tests.pin --update            # every case
    SUMMARIZE_DATA=/path/to/data python -m tests.pin --update four_scenes/random
    python -m tests.pin                                                    # check only

A new scorer is pinned by adding its method string to ``METHODS`` and running ``--update``
for its cases. Trained variants are pinned with a checkpoint trained here, in seconds, on a
seeded corpus (``trained_contrastive``: seeded CPU training is deterministic), so the case
follows the training code as well as the scorer: ``four_scenes/contrastive-trained``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

PINNED = Path(__file__).with_name("pinned") / "reference.json"
# Method strings as on the command line (NAME or NAME:key=value): every one is pinned.
METHODS = ("contrastive", "contrastive:variant=align", "random", "mae")
SUMME_VIDEOS = ("paluma_jump", "playing_ball")
FLOAT_TOLERANCE = 1e-4  # measures are pinned to 4 decimals: CPUs may differ in the last bits of a sum
FOUR_SCENES = [(0, 6.0), (1, 6.0), (2, 6.0), (3, 6.0)]  # as tests/conftest.py's four_scene_video


def _options(method: str) -> dict[str, Any]:
    from summarize.evaluation.runner import MethodSpec

    spec = MethodSpec.parse(method)
    options: dict[str, Any] = {"method": spec.name, "method_params": dict(spec.params), "device": "cpu"}
    if spec.name == "mae":
        options["backbone"] = "efficientnet-lite0"
    return options


def shots_of(analysis) -> dict[str, Any]:
    """What ``summarize VIDEO`` decides: the shots (frame ranges), where they start on a
    picture cut, and which are kept."""
    sel = analysis.selection
    return {
        "change_points": [int(c) for c in analysis.change_points],
        "cuts": [b.frame for b in analysis.boundaries if b.kind == "cut"],
        "selected": [[int(a), int(b)] for (a, b), keep in zip(sel.bounds, sel.selected) if keep],
        "n_shots": int(len(sel.bounds)),
        "selected_frames": int(sel.selected_frames),
        "shots_split": int(sel.n_split),
    }


_work: dict[str, Path] = {}


def _workdir() -> Path:
    if "dir" not in _work:
        _work["dir"] = Path(tempfile.mkdtemp(prefix="summarize-pin-"))
    return _work["dir"]


def _four_scenes() -> Path:
    from tests.synthetic import write_video

    path = _workdir() / "four_scenes.mp4"
    if not path.exists():
        write_video(path, FOUR_SCENES, width=320, height=240, fps=25)
    return path


def _data() -> Path:
    value = os.environ.get("SUMMARIZE_DATA")
    if not value:
        raise RuntimeError("SUMMARIZE_DATA is not set (point it at the shared benchmark data)")
    return Path(value)


def _summarizer(method: str, **options: Any):
    from summarize import Summarizer

    return Summarizer(cache_dir=_workdir() / "cache", **_options(method), **options)


def generated(method: str) -> dict[str, Any]:
    return shots_of(_summarizer(method).analyze(_four_scenes()))


TRAINED_DIM = 1280  # efficientnet-lite0's features, the default backbone


def trained_contrastive() -> Path:
    """A contrastive checkpoint trained on a seeded corpus (four videos of three scenes each in
    1280-d), two epochs of two steps: a few seconds on a CPU, the same weights every time."""
    path = _workdir() / "contrastive-trained.ckpt"
    if not path.exists():
        import numpy as np

        from summarize.training import FeatureSequence
        from summarize.training.contrastive import ContrastiveOptions, train_contrastive

        rng = np.random.default_rng(14)
        corpus = []
        for i in range(4):
            centres = rng.normal(size=(3, TRAINED_DIM))
            x = centres[np.repeat(rng.permutation(3), 20)] + 0.35 * rng.normal(size=(60, TRAINED_DIM))
            x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
            corpus.append(FeatureSequence(f"v{i}", x, f"v{i}"))
        train_contrastive(corpus, path, backbone="efficientnet-lite0", sampling_fps=2.0,
                          options=ContrastiveOptions(epochs=2, batch_size=2, seed=0), trained_on="tests/pin.py")
    return path


def generated_trained(variant: str | None = None) -> dict[str, Any]:
    """What the trained contrastive method selects on the generated video, and its scores."""
    method = f"contrastive:checkpoint={trained_contrastive()}" + (f",variant={variant}" if variant else "")
    analysis = _summarizer(method).analyze(_four_scenes())
    return {**shots_of(analysis), "scores": [round(float(v), 6) for v in analysis.scores]}


def summe_video(name: str, **options: Any) -> dict[str, Any]:
    return shots_of(_summarizer("contrastive", **options).analyze(_data() / "summe" / "videos" / f"{name}.mp4"))


def summe_eval() -> dict[str, Any]:
    from summarize.evaluation import evaluate

    data = _data() / "summe"
    result = evaluate("summe", videos=data / "videos", annotations=data / "GT", methods=list(METHODS),
                      backbone="efficientnet-lite0", device="cpu", cache_dir=_workdir() / "cache")
    keys = ("f1", "precision", "recall", "kendall_tau", "spearman_rho", "constant_pairs")
    out: dict[str, Any] = {}
    for row in result.methods:
        out[row.label] = {k: _round(getattr(row, k)) for k in keys}
        out[row.label]["per_video"] = {video: {k: _round(getattr(scores[row.label], k)) for k in keys}
                                       for video, scores in sorted(result.per_video.items())}
    return out


def protocol(dataset: str, mode: str) -> dict[str, Any]:
    """The protocol an evaluation run states in its JSON, word for word."""
    from summarize.evaluation.protocols import protocol_for

    return protocol_for(dataset, mode, fps=2.0 if mode == "videos" else None).to_dict()


def _round(value: Any) -> Any:
    return round(float(value), 6) if isinstance(value, float) else value


# name -> (how to compute it, needs the benchmark data and minutes: run with the slow tests)
CASES: dict[str, tuple[Callable[[], Any], bool]] = {
    **{f"four_scenes/{m}": ((lambda m=m: generated(m)), False) for m in METHODS},
    "four_scenes/contrastive-trained": (generated_trained, False),
    "four_scenes/contrastive-trained:variant=align+uniform": ((lambda: generated_trained("align+uniform")), False),
    **{f"summe/{v}/contrastive": ((lambda v=v: summe_video(v)), True) for v in SUMME_VIDEOS},
    # The published selection rule, as summarize VIDEO --selection benchmark applies it.
    **{f"summe/{v}/contrastive:selection=benchmark": ((lambda v=v: summe_video(v, selection="benchmark")), True)
       for v in SUMME_VIDEOS},
    "summe-eval": (summe_eval, True),
    **{f"protocol/{d}-{m}": ((lambda d=d, m=m: protocol(d, m)), False)
       for d in ("summe", "tvsum") for m in ("features", "videos")},
}


def load() -> dict[str, Any]:
    return json.loads(PINNED.read_text()) if PINNED.exists() else {}


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every place where ``actual`` differs from ``expected`` (floats within FLOAT_TOLERANCE)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(set(expected) | set(actual), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                out.append(f"{where}: pinned {expected[key]!r}, now missing")
            elif key not in expected:
                out.append(f"{where}: not pinned, now {actual[key]!r}")
            else:
                out += differences(expected[key], actual[key], where)
        return out
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{path}[{i}]")]
    if isinstance(expected, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return [] if abs(expected - actual) <= FLOAT_TOLERANCE else [f"{path}: pinned {expected!r}, now {actual!r}"]
    return [] if expected == actual else [f"{path}: pinned {expected!r}, now {actual!r}"]


def check(name: str, actual: Any) -> list[str]:
    pinned = load()
    if name not in pinned:
        return [f"{name}: no pinned value in {PINNED}"]
    return differences(pinned[name], actual)


def failure_message(name: str, problems: list[str]) -> str:
    return (f"pinned reference numbers of {name!r} changed:\n  " + "\n  ".join(problems[:20])
            + ("\n  ..." if len(problems) > 20 else "")
            + f"\nIf this change is intended, accept it on purpose: run\n"
              f"  SUMMARIZE_DATA=... python -m tests.pin --update {name}\n"
              f"and commit {PINNED.relative_to(PINNED.parents[2])} in the same commit, saying why.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.pin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="recompute and rewrite the pinned file")
    parser.add_argument("cases", nargs="*", help=f"cases (default: all): {', '.join(CASES)}")
    args = parser.parse_args(argv)
    names = args.cases or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    pinned, failed = load(), 0
    for name in names:
        actual = json.loads(json.dumps(CASES[name][0]()))
        problems = check(name, actual)
        if args.update:
            pinned[name] = actual
            print(f"{name}: {'updated' if problems else 'unchanged'}")
        elif problems:
            failed += 1
            print(failure_message(name, problems), file=sys.stderr)
        else:
            print(f"{name}: as pinned")
    if args.update:
        PINNED.parent.mkdir(parents=True, exist_ok=True)
        PINNED.write_text(json.dumps(dict(sorted(pinned.items())), indent=1) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
