"""Command-line interface (kept apart from the library: see ``summarize.pipeline``)."""

from .app import app, main, run

__all__ = ["app", "main", "run"]
