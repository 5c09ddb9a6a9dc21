"""summarize: turn a long video into a short one.

    from summarize import summarize_video
    result = summarize_video("talk.mp4", budget=0.15)   # talk.summary.mp4 + talk.summary.json

The steps are usable one by one: ``summarize.decoding``, ``summarize.backbones``,
``summarize.features``, ``summarize.scoring``, ``summarize.segmentation``,
``summarize.selection`` and ``summarize.outputs``.
"""

from ._version import __version__  # noqa: E402

from .errors import InputError, OutputError, SummarizeError, UsageError  # noqa: E402

# The pipeline (and so PyTorch) loads on first use, so that ``summarize --help`` and the
# light submodules do not pay seconds of imports.
_PIPELINE_NAMES = ("Analysis", "SummaryOptions", "SummaryResult", "Summarizer", "summarize_video")


def __getattr__(name: str):
    if name in _PIPELINE_NAMES:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'summarize' has no attribute {name!r}")


__all__ = [
    "Analysis",
    "InputError",
    "OutputError",
    "SummarizeError",
    "SummaryOptions",
    "SummaryResult",
    "Summarizer",
    "UsageError",
    "__version__",
    "summarize_video",
]
