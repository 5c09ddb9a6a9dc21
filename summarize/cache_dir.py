"""Where summarize keeps what it can make again (features, exported networks): a leaf module."""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """``SUMMARIZE_CACHE_DIR``, else ``$XDG_CACHE_HOME/summarize`` (``~/.cache/summarize``)."""
    if os.environ.get("SUMMARIZE_CACHE_DIR"):
        return Path(os.environ["SUMMARIZE_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "summarize"
