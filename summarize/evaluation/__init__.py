"""Benchmark evaluation with the published protocols (``summarize eval``).

    from summarize.evaluation import evaluate
    result = evaluate("summe", videos="SumMe/videos", annotations="SumMe/GT")
    result.method("contrastive").f1, result.method("contrastive").kendall_tau
    result.write_json("summe.eval.json")

Modules: ``datasets`` (readers for the feature files and the annotations), ``sources``
(one ready-to-evaluate video at a time, from a feature file or from raw videos),
``metrics`` (keyshot F1, rank correlation), ``baselines`` (uniform and human
leave-one-out reference rows; the random one is the ``random`` scorer), ``protocols``
(the rules a run followed, in words), ``runner`` (``evaluate``).
"""

from .baselines import REFERENCES
from .datasets import DATASETS, AnnotatedVideo, FeatureFile, FeatureVideo, read_summe, read_tvsum
from .metrics import AnnotatorScores, F1Score, RankCorrelation, f1_against_users, rank_correlations
from .protocols import Protocol, protocol_for
from .runner import EvaluationResult, MethodResult, MethodSpec, VideoScore, evaluate

__all__ = [
    "DATASETS",
    "REFERENCES",
    "AnnotatedVideo",
    "AnnotatorScores",
    "EvaluationResult",
    "F1Score",
    "FeatureFile",
    "FeatureVideo",
    "MethodResult",
    "MethodSpec",
    "Protocol",
    "RankCorrelation",
    "VideoScore",
    "evaluate",
    "f1_against_users",
    "protocol_for",
    "rank_correlations",
    "read_summe",
    "read_tvsum",
]
