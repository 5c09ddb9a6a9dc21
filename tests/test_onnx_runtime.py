"""The network on ONNX Runtime (``--runtime``): features as PyTorch's up to float rounding,
independent of the cores and the batch size, kept apart in the cache, recorded in the JSON."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from summarize.backbones import load_backbone, onnx_runtime
from summarize.errors import UsageError
from tests.synthetic import N_KINDS, scene_image

# Per-frame cosine similarity of ONNX Runtime's features to PyTorch's (both float32 on a
# CPU; they differ in the order of the sums, folded batch norm and fused activations).
MIN_COSINE = 0.99999


@pytest.fixture(scope="module")
def nets():
    return load_backbone(device="cpu", runtime="torch"), load_backbone(device="cpu", runtime="onnxruntime")


def _frames(n: int = 8) -> np.ndarray:
    """Textures at the backbone's input size (short side 256), one of each kind and more."""
    return np.stack([scene_image(k % N_KINDS, 320, 256, seed=k // N_KINDS) for k in range(n)])


def _cosines(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    return torch.nn.functional.cosine_similarity(a, b, dim=1).numpy()


def test_features_match_pytorch_per_frame(nets):
    torch_net, ort_net = nets
    assert ort_net.runtime == "onnxruntime" and ort_net.cpu_net is not None
    frames = _frames()
    ours, reference = ort_net.encode(frames), torch_net.encode(frames)
    cos = _cosines(ours, reference)
    assert cos.min() >= MIN_COSINE, cos
    assert not torch.equal(ours, reference)  # really another runtime, not PyTorch again
    assert torch.allclose(ours.norm(dim=1), torch.ones(len(frames)), atol=1e-5)


def test_features_do_not_depend_on_threads_or_batch_size(nets):
    _, ort_net = nets
    frames = _frames(6)
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = ort_net.encode(frames)
        torch.set_num_threads(2)
        two = ort_net.encode(frames)
    finally:
        torch.set_num_threads(previous)
    singles = torch.cat([ort_net.encode(frames[i : i + 1]) for i in range(len(frames))])
    assert torch.equal(one, two) and torch.equal(one, singles)


def test_runtime_names_the_features_and_the_model_is_exported_once(nets, monkeypatch):
    torch_net, ort_net = nets
    assert torch_net.identity == "efficientnet-lite0:default"
    assert ort_net.identity == "efficientnet-lite0:default+onnxruntime"  # another feature cache entry

    def no_export(*args):
        raise AssertionError("exported again although the model is in the cache folder")

    monkeypatch.setattr(onnx_runtime, "_export", no_export)
    again = load_backbone(device="cpu", runtime="onnxruntime")
    assert torch.equal(again.encode(_frames(2)), ort_net.encode(_frames(2)))


def test_auto_takes_onnx_runtime_when_installed_and_explains_when_not(monkeypatch):
    cpu = torch.device("cpu")
    assert onnx_runtime.resolve_runtime("auto", cpu) == "onnxruntime"
    assert onnx_runtime.resolve_runtime("onnxruntime", torch.device("cuda")) == "torch"
    monkeypatch.setattr(onnx_runtime, "available", lambda: False)
    assert onnx_runtime.resolve_runtime("auto", cpu) == "torch"
    with pytest.raises(UsageError, match=r"pip install 'summarize\[onnx\]'"):
        onnx_runtime.resolve_runtime("onnxruntime", cpu)
    with pytest.raises(UsageError, match="unknown --runtime"):
        onnx_runtime.resolve_runtime("tensorrt", cpu)


@pytest.mark.slow
def test_real_footage_and_the_summary_agree_across_runtimes(bikes, tmp_path):
    """Real frames (bikes, 10 s): per-frame cosine >= MIN_COSINE; the same shots and
    selection, the same options fingerprint (a run-only option), the runtime in the JSON."""
    from summarize import Summarizer

    results = {}
    for runtime in ("torch", "onnxruntime"):
        s = Summarizer(cache=False, device="cpu", runtime=runtime)
        results[runtime] = s.summarize(bikes, tmp_path / runtime, write_video=False)
    a, b = (results[r] for r in ("torch", "onnxruntime"))
    cos = _cosines(torch.from_numpy(a.analysis.features.features), torch.from_numpy(b.analysis.features.features))
    assert cos.min() >= MIN_COSINE, (cos.min(), cos.mean())
    assert a.document["run"]["runtime"] == "torch" and b.document["run"]["runtime"] == "onnxruntime"
    assert a.document["options"] == b.document["options"]
    def shots(result):
        return [(s["start_frame"], s["end_frame"], s["selected"]) for s in result.document["shots"]]

    assert shots(a) == shots(b)


def test_a_model_onnx_runtime_cannot_run_stays_on_pytorch_under_auto(monkeypatch):
    import summarize.backbones as backbones
    from summarize.errors import InputError

    def broken(*args):
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(backbones, "OnnxRuntimeNet", broken)
    net = load_backbone(device="cpu", runtime="auto")
    assert net.runtime == "torch" and net.cpu_net is None
    with pytest.raises(InputError, match="--runtime torch"):
        load_backbone(device="cpu", runtime="onnxruntime")
