"""The backbone on ONNX Runtime: the network's CPU path (``pip install 'summarize[onnx]'``).

On a 2-core x86-64 CPU ONNX Runtime runs EfficientNet-Lite0 in about half the CPU time of
PyTorch's eager kernels (batch-norm folded into the convolutions, fused activations), for
features equal to PyTorch's up to float rounding (cosine similarity >= 0.99999 per frame,
``tests/test_onnx_runtime.py``). The network is exported to ONNX once per (backbone,
weights, PyTorch and ONNX Runtime versions) and kept in the cache directory.

As with PyTorch (``summarize/threads.py``), every call runs on one thread
(``intra_op_num_threads=1``) and the cores encode micro-batches side by side: features do
not depend on the number of cores or on the batch size.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..errors import UsageError

if TYPE_CHECKING:
    from .base import Backbone

RUNTIMES = ("auto", "torch", "onnxruntime")
HINT = "pip install 'summarize[onnx]' (or: pip install onnxruntime onnx)"
_INPUT = "images"


def available() -> bool:
    """Whether ONNX Runtime and the exporter's ``onnx`` package are installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def resolve_runtime(runtime: str, device: torch.device) -> str:
    """The runtime ``runtime`` stands for on ``device``: on a GPU always PyTorch; ``auto`` on
    a CPU is ONNX Runtime when it is installed, PyTorch otherwise."""
    if runtime not in RUNTIMES:
        raise UsageError(f"unknown --runtime {runtime!r}; choose one of: {', '.join(RUNTIMES)}")
    if device.type != "cpu":
        return "torch"
    if runtime == "auto":
        return "onnxruntime" if available() else "torch"
    if runtime == "onnxruntime" and not available():
        raise UsageError(f"--runtime onnxruntime needs ONNX Runtime: {HINT}")
    return runtime


def _model_path(backbone: "Backbone", directory: Path) -> Path:
    import onnxruntime

    versions = f"torch{torch.__version__}-ort{onnxruntime.__version__}".replace("+", "_")
    weights = backbone.weights_digest or "default"
    return directory / f"{backbone.name}-{weights}-{versions}.onnx"


def _export(backbone: "Backbone", path: Path) -> bytes:
    """The network as ONNX (batch size free), written to ``path`` when it can be (best effort:
    an unwritable cache only costs the export again next time)."""
    import io
    import warnings

    side = backbone.weights_meta.crop
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(backbone.eval(), (torch.zeros(1, 3, side, side),), buffer, input_names=[_INPUT],
                          output_names=["features"], dynamic_axes={_INPUT: {0: "n"}, "features": {0: "n"}},
                          opset_version=17, dynamo=False)
    data = buffer.getvalue()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return data


class OnnxRuntimeNet:
    """``backbone.forward`` on ONNX Runtime: normalised float32 NCHW images -> features."""

    def __init__(self, backbone: "Backbone", cache_dir: Path) -> None:
        import onnxruntime

        path = _model_path(backbone, Path(cache_dir) / "onnx")
        model = None
        if path.is_file():
            with contextlib.suppress(OSError):
                model = path.read_bytes()
        if model is None:
            model = _export(backbone, path)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one thread per call: see the module docstring
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        try:
            self.session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        except Exception:  # a damaged cache entry: export again, once
            model = _export(backbone, path)
            self.session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        x = np.ascontiguousarray(images.numpy(), dtype=np.float32)
        return torch.from_numpy(self.session.run(None, {_INPUT: x})[0])
