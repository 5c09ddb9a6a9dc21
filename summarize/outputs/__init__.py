"""Writers for what a run produces: the summary video and the summary JSON.

The names below load their module on first use, so that importing one light module of
this package (``summarize.outputs.atomic``, ``summarize.outputs.exports``) does not load
PyAV and NumPy with the video writer: the command line checks its options with them
before PyTorch is imported, and ``summarize.networks.checkpoint`` writes atomically
without the package importing it back.
"""

from __future__ import annotations

from ..lazy import lazy_names

_HOMES = {
    "FORMAT": "summary_json",
    "FORMAT_VERSION": "summary_json",
    "VideoWriteStats": "video",
    "atomic_output": "atomic",
    "atomic_outputs": "atomic",
    "dumps": "summary_json",
    "ensure_writable_dir": "atomic",
    "schema": "summary_json",
    "write_json": "summary_json",
    "write_summary_video": "video",
}


__getattr__, __dir__ = lazy_names(__name__, _HOMES, globals())

__all__ = sorted(_HOMES)
