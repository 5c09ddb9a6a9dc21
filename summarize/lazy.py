"""Package attributes that load their module on first use (PEP 562).

``summarize.outputs`` and ``summarize.batch`` name what they offer without importing it, so
that importing one light module of theirs does not load PyAV, NumPy or PyTorch with the
rest: the command line checks its options and finds videos before the heavy imports.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy_names(package: str, homes: dict[str, str], namespace: dict[str, Any]) -> tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``homes`` maps a name to its submodule."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{home}"), name)

    def __dir__() -> list[str]:
        return sorted([*namespace, *homes])

    return __getattr__, __dir__
