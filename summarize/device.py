"""One switch for where the networks run: ``auto`` takes the GPU when there is one.

``check_device`` answers ``--device cuda`` on a machine without a GPU before PyTorch is
imported (that takes seconds): it asks the NVIDIA driver itself, as PyTorch does.
``resolve_device`` (PyTorch) stays the last word.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from .errors import UsageError

if TYPE_CHECKING:
    import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda")
NO_CUDA = "--device cuda was asked for but no CUDA GPU is available (use --device cpu or auto)"
_DRIVER_LIBRARIES = {"win32": ("nvcuda.dll",), "darwin": ()}
_CUDA_SUCCESS, _CUDA_ERROR_NO_DEVICE = 0, 100


def cuda_device_count() -> int | None:
    """CUDA devices the NVIDIA driver shows this process (``CUDA_VISIBLE_DEVICES`` applies),
    asked through the driver library (``cuInit``, ``cuDeviceGetCount``: what PyTorch's CUDA
    runtime asks) without importing PyTorch. None when the driver cannot tell: an error other
    than "no device", or no NVIDIA driver on a machine with an AMD GPU (PyTorch's ROCm builds
    call it CUDA too)."""
    import ctypes

    names = _DRIVER_LIBRARIES.get(sys.platform, ("libcuda.so.1", "libcuda.so"))
    for name in names:
        try:
            driver = ctypes.CDLL(name)
            break
        except OSError:
            continue
    else:
        return None if os.path.exists("/dev/kfd") else 0  # /dev/kfd: the ROCm driver
    status = driver.cuInit(0)
    if status == _CUDA_ERROR_NO_DEVICE:
        return 0
    count = ctypes.c_int(0)
    if status != _CUDA_SUCCESS or driver.cuDeviceGetCount(ctypes.byref(count)) != _CUDA_SUCCESS:
        return None
    return count.value


def check_device(device: str) -> None:
    """Refuse ``cuda`` at once when the driver shows no GPU (else ``resolve_device`` decides)."""
    name = str(device).lower()
    if name not in DEVICE_CHOICES and not name.startswith("cuda:"):
        raise UsageError(f"unknown device {device!r}; choose one of: {', '.join(DEVICE_CHOICES)}")
    if name.startswith("cuda") and cuda_device_count() == 0:
        raise UsageError(NO_CUDA)


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    import torch

    if isinstance(device, torch.device):
        return device
    name = str(device).lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UsageError(NO_CUDA)
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise UsageError(f"unknown device {device!r}; choose one of: {', '.join(DEVICE_CHOICES)}")
