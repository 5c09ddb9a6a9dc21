"""GoogLeNet and ResNet-50 from torchvision, cut before their classifiers.

Their ImageNet weights come through torchvision's own loader (downloaded once into the
torch hub cache, so the first use needs internet) or from ``--weights PATH``, a state
dict such as torchvision's own ``googlenet-1378be20.pth``.
"""

from __future__ import annotations

from torch import nn

from ..errors import InputError
from ..loading import import_native
from .base import Backbone, BackboneWeights


def _version(package: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def torchvision_models():
    """``torchvision.models``, or one line when torchvision cannot load beside this PyTorch
    (a torchvision built for another torch fails in its C++ operators: ``operator
    torchvision::nms does not exist``, an undefined symbol, ...)."""
    try:
        return import_native("torchvision.models")
    except (ImportError, OSError, RuntimeError, AttributeError) as exc:
        import torch

        raise InputError(
            f"torchvision {_version('torchvision')} cannot be used with torch {torch.__version__} "
            f"({' '.join(str(exc).split())[:200]}); install the torchvision release made for this torch "
            f"(pip install --upgrade torch torchvision)") from None


def _download_weights(enum_member, name: str):
    """torchvision's own weights, or one clear line telling how to proceed offline."""
    try:
        return enum_member.get_state_dict(progress=False, check_hash=True)
    except Exception as exc:  # no network, proxy, interrupted download...
        raise InputError(
            f"cannot fetch the ImageNet weights of {name} ({type(exc).__name__}); connect to the "
            f"internet once, or pass --weights PATH to a saved state dict ({enum_member.url})"
        ) from None


class GoogLeNet(Backbone):
    """GoogLeNet (Inception v1): the 1024-d pool5 features the benchmark files use."""

    name = "googlenet"
    default_weights = BackboneWeights(
        name="googlenet",
        feature_dim=1024,
        trained_on="ImageNet-1k (ILSVRC 2012)",
        source="torchvision GoogLeNet_Weights.IMAGENET1K_V1",
        metrics={"imagenet_top1_published": 69.778},
        notes="pool5 (global average pool of inception 5b), as in the eccv16 feature files "
        "(those came from the Caffe model, so values differ slightly).",
    )

    def __init__(self, weights_path: str | None = None) -> None:
        models = torchvision_models()  # imported on use: 160 MB the default backbone never needs

        super().__init__()

        # transform_input=True is how torchvision's ImageNet weights expect their input.
        net = models.googlenet(weights=None, aux_logits=True, transform_input=True, init_weights=False)
        if weights_path is None:
            state = _download_weights(models.GoogLeNet_Weights.IMAGENET1K_V1, self.name)
            net.load_state_dict(state)
        net.aux_logits, net.aux1, net.aux2 = False, None, None
        net.fc = nn.Identity()
        net.dropout = nn.Identity()
        self.net = net
        if weights_path is not None:
            self.load_weights_file(weights_path, strict_prefixes_to_drop=("aux1.", "aux2.", "fc."),
                                   key_prefix="net.")

    def forward(self, x):
        return self.net(x)


class ResNet50(Backbone):
    """ResNet-50: 2048-d global average pool."""

    name = "resnet50"
    default_weights = BackboneWeights(
        name="resnet50",
        feature_dim=2048,
        trained_on="ImageNet-1k (ILSVRC 2012)",
        source="torchvision ResNet50_Weights.IMAGENET1K_V1",
        metrics={"imagenet_top1_published": 76.13},
        notes="2048-d global average pool before the classifier.",
    )

    def __init__(self, weights_path: str | None = None) -> None:
        models = torchvision_models()

        super().__init__()

        net = models.resnet50(weights=None)
        if weights_path is None:
            net.load_state_dict(_download_weights(models.ResNet50_Weights.IMAGENET1K_V1, self.name))
        net.fc = nn.Identity()
        self.net = net
        if weights_path is not None:
            self.load_weights_file(weights_path, strict_prefixes_to_drop=("fc.",), key_prefix="net.")

    def forward(self, x):
        return self.net(x)
