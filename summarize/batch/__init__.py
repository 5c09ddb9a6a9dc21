"""Summarizing a folder of videos: discovery, output planning, resume rules, the run index.

    from summarize.batch import run_batch
    report = run_batch("camera-roll", "summaries", recursive=True, jobs=2, budget=...)

Each step is usable alone: ``find_videos``, ``plan_outputs``, ``check_outputs``,
``RunIndex``; ``run_batch`` puts them together. An executor runs the videos:
``LocalExecutor`` (threads, the default) or ``RayExecutor`` (a Ray cluster). The names
load their module on first use: the command line finds the videos (``discover``) before
it loads PyTorch.
"""

from __future__ import annotations

from ..lazy import lazy_names

_HOMES = {
    "COLUMNS": "index",
    "INDEX_FORMAT": "index",
    "VIDEO_EXTENSIONS": "discover",
    "BatchItem": "plan",
    "BatchProgress": "runner",
    "BatchReport": "runner",
    "Executor": "executor",
    "Freshness": "plan",
    "IndexEntry": "index",
    "LocalExecutor": "executor",
    "RayExecutor": "ray_executor",
    "RunIndex": "index",
    "check_outputs": "plan",
    "find_videos": "discover",
    "is_candidate": "discover",
    "plan_outputs": "plan",
    "run_batch": "runner",
}


__getattr__, __dir__ = lazy_names(__name__, _HOMES, globals())

__all__ = sorted(_HOMES)
