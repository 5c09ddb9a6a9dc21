"""The backbone and its weights decide the features, hence the scores and the summary: changing
either (to a state dict written here) changes what a user gets and the ``options``
fingerprint, like every other option in tests/test_options_matter.py."""

import numpy as np
import pytest
import torch
from torchvision import models

from summarize import Summarizer
from summarize.backbones.efficientnet_lite0 import EfficientNetLite0
from summarize.errors import InputError
from tests.test_options_matter import BASE, SCENES, _what_a_user_gets
from tests.synthetic import write_video

pytestmark = pytest.mark.slow  # three feature extractions, two of them with a network built here


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("backbones") / "scenes.mp4", SCENES, width=160, height=120,
                       fps=25).path


@pytest.fixture(scope="module")
def base(video):
    summarizer = Summarizer(**BASE)
    return summarizer, summarizer.analyze(video)


def _other_efficientnet_weights(path):
    """The shipped weights with the head convolution's output channels shuffled (seeded): the
    same network and file format, other features."""
    state = EfficientNetLite0().state_dict()
    order = torch.randperm(1280, generator=torch.Generator().manual_seed(0))
    state["_conv_head.weight"] = state["_conv_head.weight"][order]
    torch.save(state, path)
    return path


def _googlenet_weights(path):
    torch.manual_seed(0)
    torch.save(models.googlenet(weights=None, aux_logits=True, transform_input=True,
                                init_weights=True).state_dict(), path)
    return path


def _assert_all_changed(base, other, video, option):
    summarizer, analysis = base
    again = other.analyze(video)
    assert not np.allclose(again.features.features[:, :8], analysis.features.features[:, :8], atol=1e-3)
    assert _what_a_user_gets(again) != _what_a_user_gets(analysis), f"{option} changed nothing"
    assert other.options_fingerprint() != summarizer.options_fingerprint()
    assert other.output_options()[option] != summarizer.output_options()[option]
    return again


def test_other_weights_for_the_same_backbone_change_the_summary_and_its_fingerprint(base, video, tmp_path):
    weights = _other_efficientnet_weights(tmp_path / "shuffled.pth")
    other = base[0].with_options(weights=str(weights))
    _assert_all_changed(base, other, video, "weights")
    assert other.output_options()["weights"] == str(weights.resolve())
    assert base[0].output_options()["weights"] == "default"


def test_another_backbone_changes_the_summary_and_its_fingerprint(base, video, tmp_path):
    other = base[0].with_options(backbone="googlenet", weights=str(_googlenet_weights(tmp_path / "g.pth")))
    again = _assert_all_changed(base, other, video, "backbone")
    assert again.features.features.shape[1] == 1024 and base[1].features.features.shape[1] == 1280
    assert other.output_options()["backbone"] == "googlenet"


def test_new_weights_at_the_same_path_change_the_fingerprint(tmp_path):
    """A batch keeps a summary whose fingerprint matches: weights replaced under the same name
    give other features, so they must give another fingerprint (and an unreadable file one line)."""
    path = tmp_path / "weights.pth"
    torch.save(EfficientNetLite0().state_dict(), path)
    before = Summarizer(**BASE, weights=str(path))
    fingerprint, digest = before.options_fingerprint(), before.output_options()["weights_blake2b"]
    _other_efficientnet_weights(path)
    after = Summarizer(**BASE, weights=str(path))
    assert after.output_options()["weights"] == before.output_options()["weights"] == str(path.resolve())
    assert after.output_options()["weights_blake2b"] != digest
    assert after.options_fingerprint() != fingerprint
    assert after.backbone.weights_digest == after.output_options()["weights_blake2b"]
    assert "weights_blake2b" not in Summarizer(**BASE).output_options()
    path.unlink()
    with pytest.raises(InputError, match="cannot read the weights"):
        Summarizer(**BASE, weights=str(path)).options_fingerprint()
