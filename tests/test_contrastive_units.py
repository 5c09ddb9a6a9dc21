"""Fast unit tests of summarize/scoring/contrastive.py that the mutation run relies on: a
checkpoint built by hand, a model trained per fold in a fraction of a second, the device a
score is computed on, the memory chunks, and the edges (two samples, dtypes, overflow)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import summarize.scoring.contrastive as contrastive
from summarize.errors import UsageError
from summarize.networks import ContrastiveConfig, RefinementNet, save_checkpoint
from summarize.digest import file_digest
from summarize.networks.checkpoint import ContrastiveWeights
from summarize.networks.contrastive import contrastive_terms
from summarize.scoring.contrastive import ContrastiveScorer, local_and_global, minmax, neighbour_count

X = np.random.default_rng(11).normal(size=(10, 8)).astype(np.float32)
TINY = ContrastiveConfig(feature_dim=8, d_model=16, layers=1, heads=1, ffn_dim=32)


def tiny_model(seed: int = 0) -> RefinementNet:
    torch.manual_seed(seed)
    return RefinementNet(TINY).eval()


def weights(**changes) -> ContrastiveWeights:
    fields = dict(backbone="efficientnet-lite0", feature_dim=8, sampling_fps=2.0, size=TINY.size_name,
                  num_params=tiny_model().num_parameters, trained_on="by hand", steps=0, batch_size=2, seed=0,
                  created="2026-01-01T00:00:00+00:00", code_version="test", epochs=1, sequence_length=200, lr=1e-4,
                  weight_decay=1e-4, alpha=0.5, lambda_unique=0.1, lambda_filter=0.1, neighbour_ratio=0.1,
                  segment_length=10, n_videos=2)
    return ContrastiveWeights(**{**fields, **changes})


@pytest.fixture
def saved(tmp_path, monkeypatch):
    """A checkpoint of the tiny model written by hand, named by a path relative to the cwd."""
    monkeypatch.chdir(tmp_path)
    save_checkpoint(tmp_path / "tiny.ckpt", tiny_model(), weights())
    return tmp_path / "tiny.ckpt"


def test_a_checkpoint_gives_its_model_meta_digest_and_resolved_path(saved):
    scorer = ContrastiveScorer(checkpoint="tiny.ckpt")  # relative: recorded as the absolute path
    assert scorer.checkpoint == str(saved) and scorer.digest == file_digest(saved, "sha256", 16) and len(scorer.digest) == 16
    assert scorer.meta == weights() and scorer.required_backbone == "efficientnet-lite0"
    assert scorer.variant == "align+uniform+unique" and scorer.trained_on is None and not scorer.needs_training
    assert all(torch.equal(v, tiny_model().state_dict()[k]) for k, v in scorer.model.state_dict().items())
    assert {k: scorer.params[k] for k in ("checkpoint", "checkpoint_sha256", "backbone", "model", "trained_on")} == {
        "checkpoint": str(saved), "checkpoint_sha256": scorer.digest, "backbone": "efficientnet-lite0",
        "model": "1x16/1x64h", "trained_on": "by hand"}
    # The loaded model scores exactly as the same model given in memory.
    in_memory = ContrastiveScorer(refine=True).with_model(tiny_model())
    assert np.array_equal(scorer.score(X), in_memory.score(X))


def test_a_checkpoint_refuses_features_of_another_backbone_or_size(saved):
    scorer = ContrastiveScorer(checkpoint=saved)
    scorer.check_features(X, "efficientnet-lite0")
    scorer.check_features(X)  # no backbone named (a feature file): only the size is checked
    with pytest.raises(UsageError) as other:
        scorer.check_features(X, "googlenet")
    assert str(other.value) == (f"contrastive checkpoint {saved} was trained on efficientnet-lite0 features, not "
                                "googlenet: use --backbone efficientnet-lite0 or a checkpoint trained on googlenet")
    with pytest.raises(UsageError) as size:
        scorer.check_features(X[:, :5], "efficientnet-lite0")
    assert str(size.value) == f"contrastive checkpoint {saved} takes 8-d efficientnet-lite0 features, got 5-d ones"
    ContrastiveScorer().check_features(X[:, :5], "googlenet")  # training-free: any features


def test_a_model_in_memory_is_named_by_what_trained_it():
    assert ContrastiveScorer(refine=True).with_model(tiny_model()).trained_on == ""
    assert ContrastiveScorer().trained_on is None


def test_refined_terms_by_hand_with_another_beta_and_float64_features():
    model = tiny_model(3)
    with torch.inference_mode():
        z, logits = model(torch.nn.functional.normalize(torch.as_tensor(X), dim=1)[None])
    unique = torch.sigmoid(logits[0]).double().numpy()
    # Neighbours on the features, distances on the projection, as float64 from float32 rows.
    xn = torch.nn.functional.normalize(torch.as_tensor(X), dim=1)
    zn = torch.nn.functional.normalize(z[0], dim=1)
    align, uniform = contrastive_terms(xn[None], xn[None], neighbour_count(10, 0.1), 1.0, zn[None], zn[None])
    scorer = ContrastiveScorer(refine=True, beta=1.0).with_model(model)
    for features in (X, X.astype(np.float64)):  # float64 features are fed to the float32 model as float32
        terms = scorer.terms(features)
        assert np.allclose(terms["align"], align[0].double().numpy(), atol=1e-6)
        assert np.allclose(terms["uniform"], uniform[0].double().numpy(), atol=1e-6)
        assert np.allclose(terms["unique"], unique, atol=1e-7)
    # beta = 2 is another uniformity: beta is passed on.
    assert not np.allclose(ContrastiveScorer(refine=True).with_model(model).terms(X)["uniform"], terms["uniform"])


def test_a_model_trained_for_a_fold_is_the_seeded_recipe_trained_on_its_device(monkeypatch):
    from summarize.training import loop
    from summarize.training.contrastive import ContrastiveOptions, contrastive_recipe

    rng = np.random.default_rng(0)
    videos = [rng.normal(size=(30, 8)).astype(np.float32) for _ in range(2)]
    devices = []
    real = loop.train_model

    def spy(recipe, device):
        devices.append(device)
        # The scorer's seed and epochs (not the defaults 0 and 40) make the recipe: checked before training.
        assert (recipe.options.seed, recipe.options.epochs) == (3, 1)
        return real(recipe, device)

    monkeypatch.setattr(loop, "train_model", spy)
    base = ContrastiveScorer(refine=True, seed=3, epochs=1)
    fold = base.fitted(videos, backbone="efficientnet-lite0", description="fold 0: 2 videos")
    assert devices == ["cpu"] and base.model is None and base.needs_training and not fold.needs_training
    assert fold.trained_on == "fold 0: 2 videos" and fold.variant == "align+uniform+unique" and fold.seed == 3
    # The same weights as the recipe trained by hand.
    expected = real(contrastive_recipe(videos, ContrastiveOptions(seed=3, epochs=1)), "cpu")
    state = fold.model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in expected.state_dict().items())
    assert not fold.model.training
    # The device asked for is the one used; no description, no name.
    monkeypatch.setattr(loop, "train_model", lambda recipe, device: devices.append(device) or expected)
    assert base.fitted(videos, device=torch.device("cpu")).trained_on == ""
    assert devices[-1] == torch.device("cpu")


class _Seen(Exception):
    """Raised by a spy once it has seen what it was called with."""


def test_scoring_sends_the_model_the_features_and_the_terms_to_the_device_asked_for(monkeypatch):
    # A fake device ("meta") shows where each tensor is sent without a GPU.
    meta = torch.device("meta")
    seen = {}

    class Spy(torch.nn.Module):
        def to(self, device):
            seen["model"] = device
            return self

        def forward(self, x):
            seen["input"] = x.device
            return torch.as_tensor(X).expand(1, -1, -1), torch.zeros(1, len(X))

    def terms_spy(features, ratio, beta, device=None, projected=None):
        seen["terms"] = device
        raise _Seen

    monkeypatch.setattr(contrastive, "local_and_global", terms_spy)
    with pytest.raises(_Seen):
        ContrastiveScorer(refine=True).with_model(Spy()).score(X, device=meta)
    assert seen == {"model": meta, "input": meta, "terms": meta}


def test_distances_are_computed_on_the_device_asked_for(monkeypatch):
    meta = torch.device("meta")
    seen = {}

    def spy(x_rows, x_all, k, beta, z_rows=None, z_all=None, offset=0):
        seen.update(x=(x_rows.device, x_all.device), z=(z_rows.device, z_all.device), dtype=z_all.dtype)
        raise _Seen

    monkeypatch.setattr(contrastive, "contrastive_terms", spy)
    with pytest.raises(_Seen):
        local_and_global(X.astype(np.float64), device=meta, projected=X[:, :4])
    assert seen == {"x": (meta, meta), "z": (meta, meta), "dtype": torch.float64}


@pytest.mark.parametrize("dtype, size", [(np.float64, 8), (np.float32, 4)])
def test_similarity_rows_come_in_the_largest_chunks_that_fit_the_memory_given(monkeypatch, dtype, size):
    # Without a projection a chunk holds 3 row buffers of T similarities, with one 5: rows = bytes // (3|5 x T x size).
    calls = []
    real = contrastive.contrastive_terms

    def spy(x_rows, x_all, k, beta, z_rows=None, z_all=None, offset=0):
        calls.append((offset, x_rows.shape[1], z_rows is not None))
        return real(x_rows, x_all, k, beta, z_rows, z_all, offset=offset)

    monkeypatch.setattr(contrastive, "contrastive_terms", spy)
    x = np.random.default_rng(1).normal(size=(20, 6)).astype(dtype)
    whole = local_and_global(x)
    assert calls == [(0, 20, False)]
    for projected, buffers in ((None, 3), (x[:, ::-1].copy(), 5)):
        for rows, expected in ((4, [(0, 4), (4, 4), (8, 4), (12, 4), (16, 4)]), (7, [(0, 7), (7, 7), (14, 6)])):
            calls.clear()
            chunked = local_and_global(x, chunk_bytes=buffers * 20 * size * rows + buffers * 20 * size - 1,
                                       projected=projected)
            assert calls == [(offset, n, projected is not None) for offset, n in expected]
            reference = local_and_global(x, projected=projected)
            assert np.allclose(chunked[0], reference[0], atol=1e-6) and np.allclose(chunked[1], reference[1], atol=1e-6)
        calls.clear()
        local_and_global(x, chunk_bytes=1, projected=projected)  # too little for one row: one row at a time
        assert [n for _, n, _ in calls] == [1] * 20
    assert np.allclose(whole[0], local_and_global(x, chunk_bytes=1)[0], atol=1e-6)


def test_two_samples_are_enough_and_their_terms_are_known():
    # Two orthogonal unit vectors: each is the other's only neighbour at squared distance 2,
    # and the consistency is log(exp(-beta x 2)) = -4.
    local, consistency = local_and_global(np.array([[1.0, 0.0], [0.0, 3.0]]))
    assert local.tolist() == [2.0, 2.0] and consistency.tolist() == pytest.approx([-4.0, -4.0], abs=1e-12)
    # The two terms are equal for both samples: both are scaled to 0, and the score is epsilon.
    assert ContrastiveScorer().score(np.array([[1.0, 0.0], [0.0, 3.0]])).tolist() == pytest.approx([1e-6, 1e-6])
    assert neighbour_count(2, 1.0) == 1 and neighbour_count(2, 0.1) == 1  # never the sample itself


def test_features_and_projections_of_any_dtype_are_scored_in_float32_or_float64():
    x64 = np.random.default_rng(2).normal(size=(12, 5))
    x32 = x64.astype(np.float32)
    # float32 features are scored in float32: the same bits as the float32 computation by hand.
    xn = torch.nn.functional.normalize(torch.as_tensor(x32), dim=1)
    align, uniform = contrastive_terms(xn[None], xn[None], neighbour_count(12, 0.1), 2.0)
    local, consistency = local_and_global(x32)
    assert local.dtype == np.float64 and np.array_equal(local, align[0].double().numpy())
    assert np.array_equal(consistency, uniform[0].double().numpy())
    assert not np.array_equal(local, local_and_global(x64)[0])
    # Integer features (a quantised feature file) are scored as float32.
    ints = np.rint(x64 * 10).astype(np.int64)
    assert np.array_equal(local_and_global(ints)[0], local_and_global(ints.astype(np.float32))[0])
    # A float32 projection of float64 features is measured in float64.
    z = np.random.default_rng(3).normal(size=(12, 4)).astype(np.float32)
    assert np.array_equal(local_and_global(x64, projected=z)[0], local_and_global(x64, projected=z.astype(np.float64))[0])


def test_the_projection_is_normalised_row_by_row():
    z = np.random.default_rng(4).normal(size=(12, 4))
    scaled = z * np.arange(1, 13)[:, None]  # every row stretched by another factor
    for a, b in zip(local_and_global(X[:12], projected=scaled), local_and_global(X[:12], projected=z)):
        assert np.allclose(a, b, atol=1e-12)
    zn = torch.nn.functional.normalize(torch.as_tensor(z), dim=1)
    xn = torch.nn.functional.normalize(torch.as_tensor(X[:12], dtype=torch.float32), dim=1)
    align, _ = contrastive_terms(xn[None], xn[None], 1, 2.0, zn[None].float(), zn[None].float())
    assert np.allclose(local_and_global(X[:12], projected=scaled)[0], align[0].numpy(), atol=1e-6)


def test_min_max_scaling_returns_float64_and_treats_an_overflowing_range_as_constant():
    assert minmax(np.array([3, 3, 3])).dtype == np.float64
    assert minmax(np.array([1, 2], dtype=np.float32)).dtype == np.float64
    assert minmax(np.array([1, 3, 2])).tolist() == [0.0, 1.0, 0.5]
    # max - min overflows to inf (no scale exists): zeros, not NaN.
    with np.errstate(over="ignore"):
        assert minmax(np.array([-1e308, 1e308])).tolist() == [0.0, 0.0]

