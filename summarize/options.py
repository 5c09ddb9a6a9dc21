"""What a summary is made with: ``SummaryOptions`` and the checks of its values.

A light module (NumPy at most: no PyTorch, no PyAV): the command line checks the options it was given
before it loads the networks, so a wrong value is answered at once. The names it checks
against are those of ``summarize.names`` (the registries', checked equal by the tests);
the registries themselves (``summarize.backbones``, ``summarize.scoring``) are consulted
again when a ``Summarizer`` is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .names import (BACKBONE_NAMES, CUT_MODES, DECODERS, DEFAULT_BACKBONE, DEFAULT_CUT, DEFAULT_METHOD,
                    DEFAULT_MIN_SHOT, RUNTIMES, SAMPLING_MODES, SELECTIONS, X264_PRESETS)
from .segmentation import DEFAULT_BLOCK_SIZE, DEFAULT_VMAX

# Options that decide only how or where the work runs, never what a summary contains.
# (``runtime`` as ``device``: features equal up to float rounding, see backbones/onnx_runtime.py)
RUN_ONLY_OPTIONS = frozenset({"device", "batch_size", "decoder", "cache", "cache_dir", "threads", "runtime"})


@dataclass
class SummaryOptions:
    """Everything that decides what a summary contains (and where it goes)."""

    method: str = DEFAULT_METHOD
    method_params: dict[str, Any] = field(default_factory=dict)
    budget: float = 0.15
    duration: float | None = None  # seconds the summary may last, instead of the fraction ``budget``
    selection: str = "total"  # one of SELECTIONS
    min_shot: float = DEFAULT_MIN_SHOT  # total: no kept shot is shorter (seconds)
    fps: float = 2.0
    backbone: str = DEFAULT_BACKBONE
    weights: str | None = None
    device: str = "auto"
    batch_size: int = 32
    min_fill: float = 0.8  # benchmark: shots are halved until the kept ones fill this share of the budget
    kts_vmax: float = DEFAULT_VMAX
    kts_block_size: int = DEFAULT_BLOCK_SIZE
    decoder: str = "auto"
    video_preset: str = "superfast"  # libx264 speed/size trade-off for the summary MP4
    video_crf: int = 23  # libx264 quality: lower is better and larger (0-51)
    video_cut: str = DEFAULT_CUT  # exact (copy whole GOPs, encode the rest), keyframe (copy only), reencode
    cache: bool = True
    cache_dir: Path | None = None
    threads: int = 0  # decoder and video encoder threads per video (0: FFmpeg's choice, every core)
    salvage: bool = False  # summarize what decodes of a damaged or truncated file, recording what is lost
    sampling: str = "uniform"  # uniform (fps samples a second) or keyframes (triage: one per keyframe, fast)
    runtime: str = "auto"  # the network on a CPU: torch, onnxruntime, or auto (ONNX Runtime when installed)
    start: float = 0.0  # summarize the part of the file from here (seconds of the file)...
    end: float | None = None  # ...to here (None: its end); all times stay the file's

    def validate(self) -> "SummaryOptions":
        if not (0 < self.budget <= 1):
            raise UsageError(f"--budget must be in (0, 1] (a fraction of the duration), got {self.budget:g}")
        if self.duration is not None and not (math.isfinite(self.duration) and self.duration > 0):
            raise UsageError(f"--duration must be a positive number of seconds, got {self.duration:g}")
        if self.selection not in SELECTIONS:
            raise UsageError(f"unknown --selection {self.selection!r}; choose one of: {', '.join(SELECTIONS)}")
        if not (math.isfinite(self.min_shot) and self.min_shot >= 0):
            raise UsageError(f"--min-shot must be 0 or more seconds, got {self.min_shot:g}")
        if not self.fps > 0:
            raise UsageError(f"--fps must be positive, got {self.fps:g}")
        if self.batch_size < 1:
            raise UsageError(f"--batch-size must be at least 1, got {self.batch_size}")
        if not 0 <= self.min_fill <= 1:
            raise UsageError(f"min_fill must be in [0, 1], got {self.min_fill:g}")
        if self.video_preset not in X264_PRESETS:
            raise UsageError(f"unknown --preset {self.video_preset!r}; choose one of: {', '.join(X264_PRESETS)}")
        if not 0 <= self.video_crf <= 51:
            raise UsageError(f"--crf must be in [0, 51], got {self.video_crf}")
        if self.video_cut not in CUT_MODES:
            raise UsageError(f"unknown --cut {self.video_cut!r}; choose one of: {', '.join(CUT_MODES)}")
        if not (math.isfinite(self.kts_vmax) and self.kts_vmax >= 0):  # a NaN gave one shot silently
            raise UsageError(f"kts_vmax must be a finite number of 0 or more, got {self.kts_vmax}")
        if self.kts_block_size < 2:
            raise UsageError(f"kts_block_size must be at least 2 samples, got {self.kts_block_size}")
        if self.threads < 0:
            raise UsageError(f"threads must be 0 (automatic) or more, got {self.threads}")
        if self.sampling not in SAMPLING_MODES:
            raise UsageError(f"unknown --sampling {self.sampling!r}; choose one of: {', '.join(SAMPLING_MODES)}")
        if self.runtime not in RUNTIMES:
            raise UsageError(f"unknown --runtime {self.runtime!r}; choose one of: {', '.join(RUNTIMES)}")
        if self.decoder not in DECODERS:
            raise UsageError(f"unknown decoder {self.decoder!r}; choose one of: {', '.join(DECODERS)}")
        if not (math.isfinite(self.start) and self.start >= 0):
            raise UsageError(f"--start must be a time of 0 or more, got {self.start:g}")
        if self.end is not None and not (math.isfinite(self.end) and self.end > self.start):
            raise UsageError(f"--end must come after --start ({self.start:g} s), got {self.end:g}")
        if self.backbone not in BACKBONE_NAMES:
            raise UsageError(f"unknown backbone {self.backbone!r}; choose one of: {', '.join(BACKBONE_NAMES)}")
        return self
