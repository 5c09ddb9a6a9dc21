"""Image backbones: ImageNet CNNs that turn frames into L2-normalised feature vectors.

A new backbone is one new module with a ``Backbone`` subclass, added to ``BACKBONES``.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..cache_dir import default_cache_dir
from ..device import resolve_device
from ..errors import InputError, UsageError
from .base import Backbone, BackboneWeights
from .efficientnet_lite0 import EfficientNetLite0
from .onnx_runtime import RUNTIMES, OnnxRuntimeNet, resolve_runtime
from .torchvision_models import GoogLeNet, ResNet50

BACKBONES: dict[str, type[Backbone]] = {
    cls.name: cls for cls in (EfficientNetLite0, GoogLeNet, ResNet50)
}
DEFAULT_BACKBONE = EfficientNetLite0.name


def backbone_class(name: str) -> type[Backbone]:
    try:
        return BACKBONES[name]
    except KeyError:
        raise UsageError(f"unknown backbone {name!r}; choose one of: {', '.join(BACKBONES)}") from None


def load_backbone(name: str = DEFAULT_BACKBONE, weights: str | None = None,
                  device: str | torch.device = "auto", runtime: str = "torch",
                  cache_dir: str | Path | None = None) -> Backbone:
    """Build ``name`` with its default weights (or ``weights``), in eval mode on ``device``.

    On CUDA the network runs in half precision; features are returned as float32. On a CPU
    ``runtime`` (``RUNTIMES``) picks PyTorch or ONNX Runtime (``onnx_runtime.py``; its model
    is kept under ``cache_dir``, default the cache folder, ``$SUMMARIZE_CACHE_DIR/onnx``).
    """
    cls = backbone_class(name)
    dev = resolve_device(device)
    chosen = resolve_runtime(runtime, dev)
    model = cls(weights_path=weights).eval()
    if chosen == "onnxruntime":
        if cache_dir is None:
            cache_dir = default_cache_dir()
        try:
            model.cpu_net = OnnxRuntimeNet(model, Path(cache_dir))
            model.runtime = chosen
        except Exception as exc:  # an export or a session that fails: auto stays on PyTorch (the JSON says so)
            if runtime == "onnxruntime":
                raise InputError(f"cannot run {name} on ONNX Runtime ({type(exc).__name__}: {exc}); "
                                 f"use --runtime torch") from None
    model = model.to(dev, memory_format=torch.channels_last)
    if dev.type == "cuda":
        model = model.half()
        # The first CUDA call (kernel loading, cuDNN's choice of algorithms) happens here,
        # counted as loading the model rather than in the first video's features.
        side = model.weights_meta.crop
        model.encode(torch.zeros((2, side, side, 3), dtype=torch.uint8))
        torch.cuda.synchronize(dev)
    return model


__all__ = ["BACKBONES", "DEFAULT_BACKBONE", "RUNTIMES", "Backbone", "BackboneWeights", "backbone_class",
           "load_backbone"]
