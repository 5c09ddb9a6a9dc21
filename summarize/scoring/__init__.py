"""Importance scorers: one score per sampled frame.

A new scorer is one new module with a ``Scorer`` subclass, added to ``SCORERS``.
"""

from __future__ import annotations

from typing import Any

from ..errors import UsageError
from .base import Scorer
from .contrastive import ContrastiveScorer
from .mae import MAEScorer
from .random_scores import RandomScorer

SCORERS: dict[str, type[Scorer]] = {cls.name: cls for cls in (ContrastiveScorer, MAEScorer, RandomScorer)}
DEFAULT_METHOD = ContrastiveScorer.name


def get_scorer(name: str = DEFAULT_METHOD, **params: Any) -> Scorer:
    """Build the scorer ``name`` with its keyword parameters."""
    try:
        cls = SCORERS[name]
    except KeyError:
        raise UsageError(f"unknown method {name!r}; choose one of: {', '.join(SCORERS)}") from None
    return cls(**params)


__all__ = ["DEFAULT_METHOD", "SCORERS", "Scorer", "get_scorer"]
