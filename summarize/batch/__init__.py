"""Summarizing a folder of videos: discovery, output planning, resume rules, the run index.

    from summarize.batch import run_batch
    report = run_batch("camera-roll", "summaries", recursive=True, jobs=2, budget=...)

Each step is usable alone: ``find_videos``, ``plan_outputs``, ``check_outputs``,
``RunIndex``; ``run_batch`` puts them together. An executor runs the videos:
``LocalExecutor`` (threads, the default) or ``RayExecutor`` (a Ray cluster).
"""

from .discover import VIDEO_EXTENSIONS, find_videos, is_candidate
from .executor import Executor, LocalExecutor
from .index import COLUMNS, INDEX_FORMAT, IndexEntry, RunIndex
from .plan import BatchItem, Freshness, check_outputs, plan_outputs
from .ray_executor import RayExecutor
from .runner import BatchProgress, BatchReport, run_batch

__all__ = [
    "COLUMNS",
    "INDEX_FORMAT",
    "VIDEO_EXTENSIONS",
    "BatchItem",
    "BatchProgress",
    "BatchReport",
    "Executor",
    "Freshness",
    "IndexEntry",
    "LocalExecutor",
    "RayExecutor",
    "RunIndex",
    "check_outputs",
    "find_videos",
    "is_candidate",
    "plan_outputs",
    "run_batch",
]
