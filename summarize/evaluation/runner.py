"""``evaluate(...)``: every method and reference row on every video, one feature pass.

Videos are loaded one at a time (features read or extracted once, shots found once) and
every method is evaluated on them before the next video; only the per-video numbers are
kept. Methods are scorers from ``summarize.scoring.SCORERS`` (so a new scorer is
evaluated with ``--method NAME`` and no change here) plus the reference rows of
``baselines``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import inspect
import json
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .._version import __version__
from ..device import resolve_device
from ..errors import UsageError
from ..outputs import atomic_output, dumps, ensure_writable_dir
from ..pipeline import SummaryOptions
from ..scoring import SCORERS, Scorer, get_scorer
from ..scoring.contrastive import CTVSUM_POST, REFINE_BATCH_SIZE
from ..training.data import l2_normalised
from ..selection import capacity_frames, frame_scores, select_shots
from ..threads import one_torch_thread
from .baselines import REFERENCES, human_correlation, human_f1, uniform_selection
from .datasets import DATASETS, Fold, read_folds
from .metrics import AnnotatorScores, F1Score, RankCorrelation, f1_against_users
from .protocols import Protocol, protocol_for
from .sources import EvalVideo, FeatureFileSource, VideoFolderSource, summary_mask

FORMAT = "summarize.evaluation"
FORMAT_VERSION = 1
BASELINES = ("uniform", "human")  # reference rows that are not scorers
ProgressFn = Callable[[str, float], None]


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class MethodSpec:
    """A method to evaluate: a scorer (with parameters) or a baseline, under a row label."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    kind: str = "method"  # or "reference"
    text: str | None = None  # the label as the user wrote it, when the params were resolved since

    @property
    def label(self) -> str:
        if self.text is not None:
            return self.text
        if not self.params:
            return self.name
        return f"{self.name}:" + ",".join(f"{k}={v}" for k, v in self.params.items())

    def for_dataset(self, dataset: str) -> "MethodSpec":
        """Parameters that follow a dataset's convention, resolved: ``post=ctvsum`` (the authors'
        post-processing for TVSum or for SumMe) and, for ``contrastive:refine=1`` without a
        ``batch_size``, the videos per training step of the authors' code for the dataset (8 on
        SumMe, 32 on TVSum). The label stays as written."""
        params = dict(self.params)
        if params.get("post") == "ctvsum":
            params["post"] = CTVSUM_POST[dataset]
        if self.name == "contrastive" and params.get("refine") and "batch_size" not in params:
            params["batch_size"] = REFINE_BATCH_SIZE[dataset]
        return self if params == self.params else replace(self, params=params, text=self.label)

    @classmethod
    def parse(cls, text: str, kind: str = "method") -> "MethodSpec":
        """``contrastive`` or ``contrastive:variant=align,ratio=0.2`` (values read as JSON if they parse)."""
        name, _, rest = text.strip().partition(":")
        params = {}
        for item in filter(None, (part.strip() for part in rest.split(","))):
            key, eq, value = item.partition("=")
            if not eq or not key.strip():
                raise UsageError(f"--method {text!r}: parameters are written NAME:key=value,key=value")
            params[key.strip()] = _parse_value(value.strip())
        spec = cls(name, params, kind)
        spec.check()
        return spec

    def check(self) -> None:
        if self.name in BASELINES:
            if self.params:
                raise UsageError(f"the {self.name} reference takes no parameters")
            return
        if self.name not in SCORERS:
            raise UsageError(f"unknown method {self.name!r}; choose one of: {', '.join([*SCORERS, *BASELINES])}")
        accepted = inspect.signature(SCORERS[self.name]).parameters
        unknown = [k for k in self.params if k not in accepted]
        if unknown:
            raise UsageError(f"method {self.name} has no parameter {unknown[0]!r}; it takes: "
                             f"{', '.join(accepted) or 'none'}")

    @functools.cached_property
    def draws_seeds(self) -> bool:
        """A stochastic scorer (see ``Scorer.stochastic``) whose ``seed`` the user did not fix is
        averaged over several draws; a deterministic one is scored once."""
        return (self.name in SCORERS and "seed" in inspect.signature(SCORERS[self.name]).parameters
                and "seed" not in self.params and get_scorer(self.name, **self.params).stochastic)


@dataclass
class VideoScore:
    """One method on one video."""

    f1: float
    precision: float
    recall: float
    kendall_tau: float | None
    spearman_rho: float | None
    selected_fraction: float | None
    constant_pairs: int = 0


@dataclass
class MethodResult:
    label: str
    method: str
    params: dict[str, Any]
    kind: str
    f1: float
    precision: float
    recall: float
    kendall_tau: float | None
    spearman_rho: float | None
    n_videos: int
    constant_pairs: int
    folds: list[dict[str, Any]] | None = None
    draws: int | None = None


@dataclass
class EvaluationResult:
    dataset: str
    protocol: Protocol
    parameters: dict[str, Any]
    methods: list[MethodResult]
    videos: list[dict[str, Any]]
    per_video: dict[str, dict[str, VideoScore]]  # video -> label -> score
    notes: list[str]
    timings: dict[str, float]
    device: str

    @property
    def mode(self) -> str:
        return self.protocol.mode

    def method(self, label: str) -> MethodResult:
        for result in self.methods:
            if result.label == label:
                return result
        raise KeyError(label)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "tool": {"name": "summarize", "version": __version__},
            "dataset": self.dataset,
            "mode": self.mode,
            "protocol": self.protocol.to_dict(),
            "parameters": self.parameters,
            "results": [_rounded(asdict(m)) for m in self.methods],
            "videos": self.videos,
            "per_video": [{"video": video, "label": label, **_rounded(asdict(score))}
                          for video, scores in self.per_video.items() for label, score in scores.items()],
            "notes": self.notes,
            "run": {"created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                    "device": self.device, "timings": {k: round(v, 3) for k, v in self.timings.items()}},
        }

    def write_json(self, path: str | Path) -> Path:
        """Write the results atomically (a temporary name, renamed when complete)."""
        path = Path(path)
        ensure_writable_dir(path.parent)
        with atomic_output(path) as tmp:
            tmp.write_text(dumps(self.to_dict()) + "\n", encoding="utf-8")
        return path


def _rounded(values: dict[str, Any], digits: int = 6) -> dict[str, Any]:
    return {k: round(v, digits) if isinstance(v, float) else v for k, v in values.items()}


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def _average_scores(scores: list[VideoScore]) -> VideoScore:
    """The mean of several random draws on one video."""
    return VideoScore(*(_mean([getattr(s, k) for s in scores]) for k in
                        ("f1", "precision", "recall", "kendall_tau", "spearman_rho", "selected_fraction")),
                      constant_pairs=sum(s.constant_pairs for s in scores))


class _Runner:
    def __init__(self, specs: list[MethodSpec], protocol: Protocol, budget: float, random_draws: int, seed: int,
                 device) -> None:
        self.specs, self.protocol, self.budget, self.device = specs, protocol, budget, device
        self.scorers: dict[str, list[Scorer]] = {}
        for spec in specs:
            if spec.name in BASELINES:
                continue
            if spec.draws_seeds:
                self.scorers[spec.label] = [get_scorer(spec.name, **spec.params, seed=seed + k)
                                            for k in range(random_draws)]
            else:
                self.scorers[spec.label] = [get_scorer(spec.name, **spec.params)]
        # Methods trained per fold: label -> one trained scorer per fold, and their scores per fold.
        self.trained = [s.label for s in specs if s.label in self.scorers and self.scorers[s.label][0].needs_training]
        self.fold_scorers: dict[str, list[Scorer]] = {}
        self.fold_scores: dict[str, list[dict[str, VideoScore]]] = {}
        self.folds: list[Fold] = []

    def train_folds(self, folds: list[Fold], source, keys: list[str], backbone: str,
                    progress: ProgressFn) -> list[dict[str, Any]]:
        """Train every per-fold method on each fold's training videos; returns what trained what."""
        self.folds = folds
        training = [fold.train if fold.train is not None else [k for k in keys if k not in fold.test]
                    for fold in folds]
        features = {key: l2_normalised(source.features(key)) for key in sorted({k for t in training for k in t})}
        record = []
        for i, (fold, train) in enumerate(zip(folds, training)):
            overlap = sorted(set(train) & set(fold.test))
            if overlap:
                raise UsageError(f"--splits fold {i} trains on {overlap[0]}, one of its own test videos")
            for label in self.trained:
                base = self.scorers[label][0]
                self.fold_scorers.setdefault(label, []).append(base.fitted(
                    [features[k] for k in train], backbone=backbone, device=self.device,
                    description=f"fold {i}: {len(train)} videos"))
                self.fold_scores.setdefault(label, []).append({})
            record.append({"fold": i, "train_keys": train, "test_keys": fold.test})
            progress("training", (i + 1) / len(folds))
        return record

    def fold_score(self, label: str, fold: int, key: str) -> VideoScore | None:
        return self.fold_scores[label][fold].get(key)

    def params(self, spec: MethodSpec) -> dict[str, Any]:
        """Every parameter of the method's scorer (the first draw's, seed aside, for a random one)."""
        if spec.label not in self.scorers:
            return {}
        params = dict(self.scorers[spec.label][0].params)
        if spec.draws_seeds:
            params.pop("seed", None)
        return params

    def video(self, video: EvalVideo) -> dict[str, VideoScore]:
        annotators = AnnotatorScores(video.annotator_scores)
        rule = self.protocol.f1_rule
        results = {}
        for spec in self.specs:
            if spec.name == "human":
                f1 = human_f1(video.user_summaries, rule)
                corr = human_correlation(annotators)
                if f1 is None or corr is None:
                    continue
                results[spec.label] = VideoScore(f1.f1, f1.precision, f1.recall, corr.kendall_tau, corr.spearman_rho,
                                                 None, corr.constant_pairs)
            elif spec.name == "uniform":
                chosen = uniform_selection(video.bounds, video.n_frames, self.budget)
                mask = summary_mask(video.bounds, chosen, video.n_frames)
                f1 = f1_against_users(mask, video.user_summaries, rule)
                results[spec.label] = VideoScore(f1.f1, f1.precision, f1.recall, None, None,
                                                 float(mask.mean()))
            elif spec.label in self.trained:
                for i, fold in enumerate(self.folds):
                    if video.name in fold.test:
                        scored = self._scored(self.fold_scorers[spec.label][i], video, annotators, rule)
                        self.fold_scores[spec.label][i][video.name] = scored
                        results.setdefault(spec.label, scored)  # per video: its first test fold
            else:
                draws = [self._scored(scorer, video, annotators, rule) for scorer in self.scorers[spec.label]]
                results[spec.label] = draws[0] if len(draws) == 1 else _average_scores(draws)
        return results

    def _scored(self, scorer: Scorer, video: EvalVideo, annotators: AnnotatorScores, rule: str) -> VideoScore:
        scorer.check_features(video.features, video.backbone)
        with one_torch_thread():  # as in the pipeline: numbers that do not depend on the cores (summarize/threads.py)
            # A chance draw is seeded by the video's key, never by its features (random_scores.py).
            scores = np.asarray(scorer.score_video(video.features, device=self.device, identity=video.name),
                                dtype=np.float64)
        if scores.shape != (len(video.positions),):
            raise ValueError(f"scorer {scorer.name} returned {scores.shape} scores for {len(video.positions)} samples")
        per_frame = frame_scores(scores, video.positions, video.n_frames)
        selection = select_shots(video.bounds, per_frame, self.budget, min_fill=0)
        mask = summary_mask(selection.bounds, selection.selected, video.n_frames)
        f1: F1Score = f1_against_users(mask, video.user_summaries, rule)
        corr: RankCorrelation = annotators.correlate(scores)
        return VideoScore(f1.f1, f1.precision, f1.recall, corr.kendall_tau, corr.spearman_rho,
                          float(mask.mean()), corr.constant_pairs)


def method_specs(methods: list[str | MethodSpec], references: tuple[str, ...] | list[str]) -> list[MethodSpec]:
    """The requested methods, then the reference rows not already among them."""
    specs: list[MethodSpec] = []
    for method in methods:
        spec = method if isinstance(method, MethodSpec) else MethodSpec.parse(method)
        spec.check()
        if spec.label not in [s.label for s in specs]:
            specs.append(spec)
    for name in references:
        if name not in REFERENCES:
            raise UsageError(f"unknown reference {name!r}; choose from: {', '.join(REFERENCES)}")
        if name not in [s.label for s in specs]:
            specs.append(MethodSpec(name, kind="reference"))
    specs = [replace(s, kind="reference") if s.label in REFERENCES else s for s in specs]
    if not specs:
        raise UsageError("nothing to evaluate: give at least one --method or keep the reference rows")
    return specs


def evaluate(dataset: str, *, data_dir: str | Path | None = None, videos: str | Path | None = None,
             annotations: str | Path | None = None, methods: list[str | MethodSpec] | tuple = ("contrastive",),
             references: tuple[str, ...] | list[str] = REFERENCES, splits: str | Path | None = None,
             budget: float = 0.15, random_draws: int = 10, seed: int = 0, progress: ProgressFn | None = None,
             ray: str | None = None, jobs: int = 0, retries: int = 2, **options: Any) -> EvaluationResult:
    """Evaluate ``methods`` on ``dataset`` with the published protocols.

    Feature-file mode: ``data_dir`` holds ``eccv16_dataset_{dataset}_google_pool5.h5``
    (TVSum also needs ``annotations``, found in ``data_dir`` when not given). Raw-video
    mode: ``videos`` is a folder of videos and ``annotations`` the SumMe ``GT`` folder or the
    TVSum annotation file; ``options`` are ``SummaryOptions`` fields (backbone, fps,
    device, weights, batch_size, cache, decoder, kts_vmax, kts_block_size).
    Methods are ``"name"`` or ``"name:key=value,..."`` strings or ``MethodSpec``s.
    ``ray``: raw videos are decoded, their features extracted and their shots found on a Ray
    cluster (``local``, ``auto`` or an address; ``jobs`` workers, see
    ``summarize.batch.ray_executor``); the scores and the evaluation stay here.
    """
    started = time.perf_counter()
    progress = progress or (lambda stage, fraction: None)
    if dataset not in DATASETS:
        raise UsageError(f"unknown dataset {dataset!r}; choose one of: {', '.join(DATASETS)}")
    if (data_dir is None) == (videos is None):
        raise UsageError("give either --data-dir DIR (a folder with the eccv16 feature file) or --videos DIR "
                         "(raw videos, with --annotations)")
    if not 0 < budget <= 1:
        raise UsageError(f"budget must be in (0, 1], got {budget:g}")
    if random_draws < 1:
        raise UsageError(f"random draws must be at least 1, got {random_draws}")
    specs = [spec.for_dataset(dataset) for spec in method_specs(list(methods), references)]
    fold_list = read_folds(splits) if splits is not None else None
    folds = [fold.test for fold in fold_list] if fold_list is not None else None
    summary_options = SummaryOptions(**options).validate()
    if ray is not None:
        from ..batch.ray_executor import import_ray

        import_ray()  # the install hint before any work
    if ray is not None and videos is None:
        raise UsageError("--ray spreads the decoding of raw videos (--videos); a feature file is read here")
    if videos is None:
        given = sorted(k for k in options if k not in ("device", "cache", "cache_dir"))
        if given:
            raise UsageError(f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to raw videos (--videos); "
                             "a feature file carries its own GoogLeNet features and shots")
        source = FeatureFileSource(dataset, data_dir, annotations)
    else:
        source = VideoFolderSource(dataset, videos, annotations, summary_options, budget)
    protocol = protocol_for(dataset, source.mode, budget, summary_options.fps if videos is not None else None,
                            random_draws, folds is not None)
    device = resolve_device(summary_options.device)
    try:
        keys = source.keys
        if folds is not None:
            unknown = sorted({k for fold in folds for k in fold} - set(keys))
            if unknown:
                raise UsageError(f"--splits names {unknown[0]}, which the data does not have "
                                 f"(it has {keys[0]} ... {keys[-1]})")
            unknown = sorted({k for fold in fold_list for k in fold.train or ()} - set(keys))
            if unknown:
                raise UsageError(f"--splits trains on {unknown[0]}, which the data does not have")
            all_keys = keys
            wanted = {k for fold in folds for k in fold}
            keys = [k for k in keys if k in wanted]
        runner = _Runner(specs, protocol, budget, random_draws, seed, device)
        trained_folds = None
        if runner.trained:
            if fold_list is None:
                raise UsageError(f"{runner.trained[0]} trains a model on each fold's training videos: give --splits "
                                 "FILE (or checkpoint=PATH for a model trained elsewhere)")
            t0 = time.perf_counter()
            progress("training", 0.0)
            trained_folds = runner.train_folds(fold_list, source, all_keys, source.backbone, progress)
            timings_training = time.perf_counter() - t0
        per_video: dict[str, dict[str, VideoScore]] = {}
        described, notes = [], []
        timings = {"load": 0.0, "evaluate": 0.0}
        if trained_folds is not None:
            timings["training"] = timings_training
        progress("videos", 0.0)
        loaded = (_loaded(source, keys, progress) if ray is None else
                  _loaded_on_ray(source, keys, progress, ray, jobs, retries))
        try:
            for i, (key, video, seconds) in enumerate(loaded):
                t0 = time.perf_counter() - seconds
                t1 = time.perf_counter()
                per_video[key] = runner.video(video)
                timings["load"] += t1 - t0
                timings["evaluate"] += time.perf_counter() - t1
                described.append(video.describe())
                if video.alignment is not None and video.alignment["trimmed_frames"]:
                    notes.append(f"{key}: {video.alignment['note']}")
                empty = _empty_selection_note(key, video, per_video[key], budget)
                if empty:
                    notes.append(empty)
                progress("videos", (i + 1) / len(keys))
        finally:
            loaded.close()  # a stop or an error ends the Ray workers now
        parameters = {
            "methods": [{"label": s.label, "method": s.name, "kind": s.kind, "params": runner.params(s),
                         "draws": random_draws if s.draws_seeds else None} for s in specs],
            "budget": budget, "random_draws": random_draws, "random_seeds": [seed + k for k in range(random_draws)],
            "splits": {"file": str(Path(splits).resolve()), "folds": folds,
                       "training": ({"methods": runner.trained, "folds": trained_folds}
                                    if trained_folds is not None else None)} if folds is not None else None,
            "data": source.describe(),
        }
        if videos is not None:
            opts = summary_options
            parameters["raw_video"] = {"backbone": opts.backbone, "weights": opts.weights or "default", "fps": opts.fps,
                                       "decoder": opts.decoder, "batch_size": opts.batch_size,
                                       "feature_cache": opts.cache}
            if opts.sampling != "uniform":  # --sampling keyframes: other samples, other numbers
                parameters["raw_video"]["sampling"] = opts.sampling
            if source.missing:
                notes.append(f"{len(source.missing)} annotated videos not found in {videos}, not evaluated")
        results = [_summarise(spec, runner.params(spec), per_video, folds, random_draws,
                              runner if spec.label in runner.trained else None) for spec in specs]
    finally:
        source.close()
    timings["total"] = time.perf_counter() - started
    return EvaluationResult(dataset, protocol, parameters, results, described, per_video, notes, timings, str(device))


def _loaded(source, keys: list[str], progress: ProgressFn):
    """(key, video, seconds to load it) in order, loaded here."""
    for key in keys:
        t0 = time.perf_counter()
        video = source.load(key, progress)
        yield key, video, time.perf_counter() - t0


class _RayLoader:
    """What an eval actor runs: its own ``VideoFolderSource`` (one model), loading the videos sent."""

    def __init__(self, dataset: str, videos_dir: Path, annotations: Path, options: SummaryOptions,
                 budget: float, threads: int | None) -> None:
        if threads is not None:
            import torch

            torch.set_num_threads(threads)
        self.source = VideoFolderSource(dataset, videos_dir, annotations, options, budget)
        _ = self.source.summarizer.backbone

    def __call__(self, key: str, report: ProgressFn, stop) -> tuple[EvalVideo, float]:
        t0 = time.perf_counter()
        return self.source.load(key, report), time.perf_counter() - t0


def _loaded_on_ray(source: VideoFolderSource, keys: list[str], progress: ProgressFn, address: str, jobs: int,
                   retries: int):
    """``_loaded`` with the videos spread over Ray actors; yielded in order as they arrive."""
    from ..batch.ray_executor import RayPool, connect, disconnect, plan_actors
    from ..errors import InputError, SummarizeError

    started = connect(address, jobs or None)
    pool = None
    try:
        actors, cpus, gpus, threads = plan_actors(jobs, source.options.device)
        options = source.options if threads is None else replace(source.options, threads=threads)
        args = (source.dataset, source.videos_dir, source.annotations_path, options, source.budget, threads)
        pool = RayPool(lambda: _RayLoader(*args), min(actors, len(keys)), retries=retries, num_cpus=cpus,
                       num_gpus=gpus)
        arrived: dict[str, tuple[EvalVideo, float]] = {}
        position = 0
        for event in pool.map(keys):
            if event.kind == "done":
                arrived[event.task] = event.value
            elif event.kind == "failed":
                raise InputError(f"{event.task}: {event.reason}")
            elif event.kind == "error":
                if isinstance(event.value, SummarizeError):
                    raise event.value
                raise RuntimeError(f"{event.task}: a Ray worker failed:\n{event.reason}")
            while position < len(keys) and keys[position] in arrived:
                video, seconds = arrived.pop(keys[position])
                yield keys[position], _writable(video), seconds
                position += 1
    finally:
        if pool is not None:
            pool.close()
        disconnect(started)


def _writable(video: EvalVideo) -> EvalVideo:
    """Arrays from Ray's object store are read-only views; the scorers get their own copies."""
    return replace(video, **{f.name: np.array(getattr(video, f.name)) for f in fields(video)
                             if isinstance(getattr(video, f.name), np.ndarray)})


def _empty_selection_note(key: str, video: EvalVideo, scores: dict[str, VideoScore], budget: float) -> str | None:
    """Say so when a method's summary of a video is empty (F1 = 0 there)."""
    empty = [label for label, score in scores.items() if score.selected_fraction == 0]
    if not empty:
        return None
    capacity = capacity_frames(budget, video.n_frames)
    shortest = int((video.bounds[:, 1] - video.bounds[:, 0]).min())
    why = (f"each of its {len(video.bounds)} shots is longer than the budget of {capacity} frames and the protocol "
           "never splits a shot" if shortest > capacity else "no shot fitted the budget")
    return f"{key}: {', '.join(empty)} selected nothing ({why}), so F1 = 0 there"


def _summarise(spec: MethodSpec, params: dict[str, Any], per_video: dict[str, dict[str, VideoScore]],
               folds: list[list[str]] | None, random_draws: int, runner: _Runner | None = None) -> MethodResult:
    """The method's means (over folds when given). ``runner``: a method trained per fold, whose
    score of a video depends on the fold that tested it."""
    def mean_over(keys: list[str], fold: int | None = None) -> dict[str, Any]:
        if runner is not None and fold is not None:
            scores = [s for s in (runner.fold_score(spec.label, fold, k) for k in keys) if s is not None]
        else:
            scores = [per_video[k][spec.label] for k in keys if spec.label in per_video[k]]
        return {"n_videos": len(scores), "constant_pairs": sum(s.constant_pairs for s in scores),
                **{m: _mean([getattr(s, m) for s in scores]) for m in
                   ("f1", "precision", "recall", "kendall_tau", "spearman_rho")}}

    if folds is None:
        overall, fold_results = mean_over(list(per_video)), None
    else:
        fold_results = [{"fold": i, **mean_over(fold, i)} for i, fold in enumerate(folds)]
        if runner is not None:
            for i, result in enumerate(fold_results):
                result["trained_on"] = runner.fold_scorers[spec.label][i].trained_on
        overall = {m: _mean([f[m] for f in fold_results]) for m in
                   ("f1", "precision", "recall", "kendall_tau", "spearman_rho")}
        overall["n_videos"] = len({k for fold in folds for k in fold if spec.label in per_video.get(k, {})})
        overall["constant_pairs"] = sum(f["constant_pairs"] for f in fold_results)
    if overall["f1"] is None:
        raise UsageError(f"{spec.label}: no video could be evaluated (a human reference needs two or more users)")
    return MethodResult(label=spec.label, method=spec.name, params=params, kind=spec.kind,
                        folds=fold_results, draws=random_draws if spec.draws_seeds else None, **overall)
