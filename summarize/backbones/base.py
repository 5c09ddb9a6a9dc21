"""The interface every image backbone implements, and the metadata its weights carry."""

from __future__ import annotations

import abc
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ..digest import file_digest
from ..errors import InputError, UsageError
from ..threads import map_one_thread_each

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class BackboneWeights:
    """What a set of weights is, in the spirit of torchvision's weights enums."""

    name: str
    feature_dim: int
    trained_on: str
    source: str
    resize: int = 256  # shorter side before the centre crop
    crop: int = 224
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    metrics: dict[str, float] = field(default_factory=dict)  # e.g. ImageNet top-1 of the source
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Backbone(nn.Module, abc.ABC):
    """An ImageNet CNN cut before its classifier.

    Subclasses build the network in ``__init__`` (loading ``weights_path`` when given,
    their default weights otherwise) and implement ``forward`` from normalised
    ``(N, 3, crop, crop)`` images to ``(N, feature_dim)`` pooled features. The shared
    ``encode`` does the centre crop, normalisation and L2 normalisation.
    """

    name: ClassVar[str]
    default_weights: ClassVar[BackboneWeights]

    def __init__(self) -> None:
        super().__init__()
        self.weights_meta = self.default_weights
        self.weights_file: str | None = None
        self.weights_digest: str | None = None
        # The network's CPU runtime: "torch" (``forward``) or "onnxruntime" (``cpu_net``, the
        # same network on ONNX Runtime, set by ``load_backbone``).
        self.runtime = "torch"
        self.cpu_net = None

    @property
    def feature_dim(self) -> int:
        return self.weights_meta.feature_dim

    @property
    def identity(self) -> str:
        """Names these exact weights (for caches): the default ones, or a file by its content,
        and the runtime when it is not PyTorch (its features differ in their last bits)."""
        runtime = "" if self.runtime == "torch" else f"+{self.runtime}"
        return f"{self.name}:{self.weights_digest or 'default'}{runtime}"

    def load_weights_file(self, path: str | Path, strict_prefixes_to_drop: tuple[str, ...] = (),
                          key_prefix: str = "") -> None:
        """Load a state dict (plain, ``{"state_dict": ...}`` or saved from DataParallel).

        Keys starting with ``strict_prefixes_to_drop`` (classifier heads) are ignored;
        ``key_prefix`` is where the wrapped network lives inside this module.
        """
        path = Path(path)
        if not path.is_file():
            raise UsageError(f"weights file not found: {path}")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # a corrupt or foreign file: say so in one line
            raise InputError(f"cannot read weights file {path}: {type(exc).__name__}") from None
        if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
            state = state["state_dict"]
        if not isinstance(state, dict):
            raise InputError(f"{path} does not hold a state dict")
        bare = {k.removeprefix("module.").removeprefix(key_prefix): v for k, v in state.items()}
        state = {key_prefix + k: v for k, v in bare.items() if not k.startswith(strict_prefixes_to_drop)}
        expected = self.state_dict()
        problems = []
        for label, keys in (
            ("missing", [k for k in expected if k not in state]),
            ("unexpected", [k for k in state if k not in expected]),
            ("wrong shape", [k for k in expected if k in state and state[k].shape != expected[k].shape]),
        ):
            if keys:
                problems.append(f"{len(keys)} {label} (e.g. {keys[0].removeprefix(key_prefix)})")
        if problems:
            raise InputError(f"{path} does not fit {self.name}: " + ", ".join(problems))
        self.load_state_dict(state, strict=True)
        self.weights_file = str(path.resolve())
        self.weights_digest = file_digest(path)

    # On a CPU, small batches keep the activations of the depthwise convolutions inside the
    # last-level cache. Each micro-batch runs on one PyTorch thread (the cores encode
    # micro-batches side by side): oneDNN splits a kernel's work by the thread count, so
    # with several threads per call features moved in their seventh digit with the number
    # of cores or batch jobs (see ``summarize/threads.py``); on one thread they are the
    # same for any micro-batch size. Two such threads sharing the cache encode 58 images/s
    # with batches of 2, 50 with batches of 4 (2-core machine).
    cpu_micro_batch: ClassVar[int] = 2

    @torch.inference_mode()
    def encode(self, frames: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Uint8 RGB frames ``(N, H, W, 3)`` already scaled to ``resize`` on their short side
        -> L2-normalised float32 features ``(N, feature_dim)`` on the CPU. On a CPU the
        result does not depend on the calling thread's PyTorch thread count (only the
        speed does: that many micro-batches are encoded at a time)."""
        param = next(self.parameters())
        frames = torch.as_tensor(frames)
        if len(frames) == 0:
            return torch.empty(0, self.feature_dim)
        if param.device.type != "cpu":
            return self._encode_chunk(frames)
        step = self.cpu_micro_batch
        chunks = [frames[start : start + step] for start in range(0, len(frames), step)]
        return torch.cat(map_one_thread_each(self._encode_chunk, chunks, torch.get_num_threads()))

    def _encode_chunk(self, frames: torch.Tensor) -> torch.Tensor:
        param = next(self.parameters())
        mean = torch.tensor(self.weights_meta.mean, device=param.device).view(1, 3, 1, 1) * 255.0
        std = torch.tensor(self.weights_meta.std, device=param.device).view(1, 3, 1, 1) * 255.0
        x = frames.to(param.device, non_blocking=True).permute(0, 3, 1, 2)
        x = centre_crop(x, self.weights_meta.crop)
        x = ((x.float() - mean) / std).to(param.dtype)
        if self.cpu_net is not None and param.device.type == "cpu":
            y = self.cpu_net(x.contiguous())
        else:
            y = self(x.contiguous(memory_format=torch.channels_last))
        return torch.nn.functional.normalize(y.float(), dim=1).cpu()


def centre_crop(x: torch.Tensor, size: int) -> torch.Tensor:
    """Centre-crop NCHW images to ``size`` (upscaling first if a side is smaller)."""
    h, w = x.shape[-2:]
    if h < size or w < size:
        scale = size / min(h, w)
        x = torch.nn.functional.interpolate(
            x.float(), size=(max(size, round(h * scale)), max(size, round(w * scale))),
            mode="bilinear", align_corners=False, antialias=False,
        )
        h, w = x.shape[-2:]
    top, left = (h - size) // 2, (w - size) // 2
    return x[..., top : top + size, left : left + size]
