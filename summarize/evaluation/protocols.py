"""What an evaluation run did, rule by rule, in words and numbers (written into the JSON).

A ``Protocol`` is a description, not code: the code that applies each rule lives in
``metrics``, ``baselines`` and ``runner``; this module says which rules a run followed so
that a reader of the results can compare them with a paper's without reading our code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ZHANG_2016 = ("K. Zhang, W.-L. Chao, F. Sha, K. Grauman. Video Summarization with Long Short-term Memory. "
              "ECCV 2016")
OTANI_2019 = ("M. Otani, Y. Nakashima, E. Rahtu, J. Heikkila. Rethinking the Evaluation of Video Summaries. "
              "CVPR 2019")
SONG_2015 = "Y. Song, J. Vallmitjana, A. Stent, A. Jaimes. TVSum: Summarizing Web Videos Using Titles. CVPR 2015"
GYGLI_2014 = "M. Gygli, H. Grabner, H. Riemenschneider, L. Van Gool. Creating Summaries from User Videos. ECCV 2014"
POTAPOV_2014 = "D. Potapov, M. Douze, Z. Harchaoui, C. Schmid. Category-specific video summarization. ECCV 2014"

F1_RULE = {"tvsum": "mean", "summe": "max"}


@dataclass(frozen=True)
class Rule:
    name: str
    text: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Protocol:
    name: str
    dataset: str
    mode: str  # "features" (eccv16 h5 file) or "videos" (raw videos + original annotations)
    citations: tuple[str, ...]
    rules: tuple[Rule, ...]

    @property
    def f1_rule(self) -> str:
        return F1_RULE[self.dataset]

    def rule(self, name: str) -> Rule:
        return next(r for r in self.rules if r.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dataset": self.dataset, "mode": self.mode, "citations": list(self.citations),
                "rules": [asdict(r) for r in self.rules]}


def protocol_for(dataset: str, mode: str, budget: float = 0.15, fps: float | None = None,
                 random_draws: int = 10, splits: bool = False) -> Protocol:
    """The protocol ``summarize eval`` runs for ``dataset`` in ``mode``."""
    tvsum = dataset == "tvsum"
    if mode == "features":
        samples = Rule("samples", "the feature file's rows, at the source frames listed in its 'picks' "
                       "(every 15th frame in the eccv16 files)", {"source": "h5 picks"})
        shots = Rule("shots", "the feature file's 'change_points' (KTS shots of Zhang et al.); each row is "
                     "[first, last] with the last frame inclusive, i.e. the shot is frames first..last",
                     {"source": "h5 change_points", "end_frame": "inclusive"})
        user_summaries = Rule("user_summaries", "the feature file's 'user_summary' rows (one 0/1 keyshot "
                              "summary per user)", {"source": "h5 user_summary"})
    else:
        samples = Rule("samples", "the video decoded and sampled at k / fps seconds, each sample taking the "
                       "frame on screen at that instant; frames are counted as decoded, and where the decoded "
                       "and annotated frame counts differ both are cut to the shorter (from the end) and the "
                       "difference is reported per video", {"fps": fps, "alignment": "trim to the shorter"})
        shots = Rule("shots", "kernel temporal segmentation (Potapov et al. 2014) of the sampled features, "
                     "linear kernel (vmax and block size under parameters.data.kts; vmax = 1 by default); a shot "
                     "runs from the frame of its first sample to the frame before the next shot's first sample",
                     {"source": "KTS", "citation": POTAPOV_2014})
        if tvsum:
            user_summaries = Rule("user_summaries", "as Zhang et al. built them for TVSum: each annotator's "
                                  "frame scores are turned into a 0/1 keyshot summary by the same 0/1 knapsack "
                                  "over the same shots at the same budget", {"source": "annotations + knapsack"})
        else:
            user_summaries = Rule("user_summaries", "each user's selection in the SumMe ground truth: frame in "
                                  "the summary when user_score > 0", {"source": "GT user_score > 0"})
    rules = [
        samples,
        shots,
        Rule("frame_scores", "every frame takes the score of the last sample at or before it (the benchmark "
             "convention); a shot's value is the mean score of its frames", {}),
        Rule("selection", "exact 0/1 knapsack over whole shots (never split): maximise the sum of shot values "
             "with total length at most floor(budget x frames)", {"budget": budget, "shots_split": False,
                                                                    "solver": "OR-Tools divide and conquer"}),
        user_summaries,
        Rule("f1", "per user: precision = |S and G| / |S|, recall = |S and G| / |G|, F1 = 2PR / (P + R), "
             "0 when P + R = 0; per video: the " + ("mean over users (TVSum)" if tvsum else
                                                    "maximum over users (SumMe), with that user's P and R")
             + "; dataset: mean over videos", {"over_users": F1_RULE[dataset], "citation": ZHANG_2016}),
        Rule("rank_correlation", "Kendall's tau-b and Spearman's rho between the method's scores at the sampled "
             "positions and each annotator's " + ("importance scores 1-5" if tvsum else "0/1 selection")
             + " at the same positions; mean over annotators, then over videos. Ties take average ranks "
             "(SciPy): tau-b is corrected for ties on both sides, rho is Pearson's r of the average ranks. "
             "A pair where either side is constant is 0/0 and counts as 0 (reported as constant_pairs)",
             {"annotator_scores": "importance 1-5" if tvsum else "binary selection", "ties": "average ranks",
              "kendall_variant": "b", "constant_pair": 0, "citation": OTANI_2019}),
        Rule("videos", ("the mean over the 5 folds of the mean over each fold's test videos (--splits)"
                        if splits else "all videos of the dataset (a training-free method sees none of them "
                        "beforehand)"), {"splits": splits}),
        Rule("random", f"reference: scores drawn uniformly from [0, 1) per sample, through the same shots and "
             f"knapsack; every measure is averaged over {random_draws} seeded draws",
             {"draws": random_draws}),
        Rule("uniform", "reference: evenly spaced shots, no scores: of the same shots, those containing the "
             "centres of K equal parts of the video, with the K whose shots fill the most of the budget "
             "without exceeding it; it ranks nothing, so it has no rank correlation", {}),
        Rule("human", "reference: each user's summary (and each annotator's scores) taken in turn as the "
             "prediction and evaluated against the other users with the same rules, then averaged over "
             "users (leave one out)", {}),
    ]
    name = f"{dataset}:f1-zhang2016+rank-otani2019:{mode}"
    citations = (ZHANG_2016, OTANI_2019, SONG_2015 if tvsum else GYGLI_2014)
    return Protocol(name, dataset, mode, citations, tuple(rules))
