"""Contrastive refinement and the uniqueness filter (Pang et al. 2023, Sec. 4.3-4.5, Eqs. 6-12):
losses against cases computed by hand, what training learns on corpora with known structure,
checkpoints, scoring variants, and per-fold training in ``summarize eval --splits``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter1d
from scipy.stats import kendalltau

from summarize.errors import InputError, OutputError, UsageError
from summarize.networks import ContrastiveConfig, RefinementNet, load_checkpoint, save_checkpoint
from summarize.networks.contrastive import (contrastive_terms, filter_target, refinement_loss, segment_means,
                                          uniqueness_loss)
from summarize.scoring import get_scorer
from summarize.scoring.contrastive import ContrastiveScorer, minmax
from summarize.training import FeatureSequence
from summarize.training.contrastive import ContrastiveOptions, contrastive_recipe, resample_index, train_contrastive
from summarize.training.loop import train_model

R = 1 / math.sqrt(2)


def unit(rows) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float64)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


# Frozen features with one clear nearest neighbour each (no ties):
# a -> b, b -> a, c -> b (cos 0.436 against 0 and 0), d -> a (cos 0.3 against 0.27 and 0).
X = unit([[1, 0, 0], [0.9, 0.436, 0], [0, 1, 0], [0.3, 0, 0.954]])
# A projection in which the nearest neighbours would be others (c's nearest in z is a).
Z = unit([[1, 0], [0, 1], [0, -1], [R, R]])


# ---- losses by hand ------------------------------------------------------------------------


def test_alignment_takes_neighbours_from_the_frozen_features_and_distances_from_the_projection():
    align, _ = contrastive_terms(torch.tensor(X)[None], torch.tensor(X)[None], 1, z_rows=torch.tensor(Z)[None],
                                 z_all=torch.tensor(Z)[None])
    # a-b: |(1,0)-(0,1)|^2 = 2; b-a: 2; c-b: |(0,-1)-(0,1)|^2 = 4 (a, c's nearest in z, would give 2);
    # d-a: 2 - 2 cos 45 = 2 - sqrt2.
    assert align[0].tolist() == pytest.approx([2, 2, 4, 2 - math.sqrt(2)], abs=1e-12)


def test_uniformity_on_the_projection_leaves_the_frame_itself_out():
    _, uniform = contrastive_terms(torch.tensor(X)[None], torch.tensor(X)[None], 1, z_rows=torch.tensor(Z)[None],
                                   z_all=torch.tensor(Z)[None])
    # Squared distances in z: a-b 2, a-c 2, a-d 2-sqrt2; b-c 4, b-d 2-sqrt2; c-d 2+sqrt2.
    s2 = math.sqrt(2)
    expected = [
        math.log((math.exp(-4) + math.exp(-4) + math.exp(-2 * (2 - s2))) / 3),  # a
        math.log((math.exp(-4) + math.exp(-8) + math.exp(-2 * (2 - s2))) / 3),  # b
        math.log((math.exp(-4) + math.exp(-8) + math.exp(-2 * (2 + s2))) / 3),  # c
        math.log((math.exp(-2 * (2 - s2)) + math.exp(-2 * (2 - s2)) + math.exp(-2 * (2 + s2))) / 3),  # d
    ]
    assert uniform[0].tolist() == pytest.approx(expected, abs=1e-12)


def test_training_free_terms_are_the_same_function_without_a_projection():
    align, uniform = contrastive_terms(torch.tensor(X)[None], torch.tensor(X)[None], 1)
    cos = X @ X.T
    assert align[0].tolist() == pytest.approx([2 - 2 * cos[0, 1], 2 - 2 * cos[1, 0], 2 - 2 * cos[2, 1],
                                               2 - 2 * cos[3, 0]], abs=1e-12)
    d2 = 2 - 2 * cos
    expected = [math.log(sum(math.exp(-2 * d2[t, j]) for j in range(4) if j != t) / 3) for t in range(4)]
    assert uniform[0].tolist() == pytest.approx(expected, abs=1e-12)


def test_segment_means_are_normalised_means_of_whole_segments():
    z = torch.tensor(unit([[1, 0], [0, 1], [1, 0], [1, 0], [0, 1]]))[None]  # 5 frames, m = 2: the last dropped
    segments = segment_means(z, 2)
    assert segments.shape == (1, 2, 2)
    assert np.allclose(segments[0].numpy(), [[R, R], [1, 0]], atol=1e-12)


def test_uniqueness_loss_compares_only_with_other_videos_segments():
    e1, e2 = [1.0, 0.0], [0.0, 1.0]
    z = torch.tensor([[e1, e2], [e1, [0.0, -1.0]]], dtype=torch.float64)  # 2 videos x 2 frames
    segments = segment_means(z, 1)  # one frame per segment: the segments are the frames
    unique = uniqueness_loss(z, segments)
    # Video 0, frame e1 against video 1's {e1, -e2}: squared distances 0 and 2.
    # Video 0, frame e2 against {e1, -e2}: 2 and 4. Video 1, e1 against {e1, e2}: 0, 2; -e2: 2, 4.
    common, unique_frame = math.log((1 + math.exp(-4)) / 2), math.log((math.exp(-4) + math.exp(-8)) / 2)
    assert np.allclose(unique.numpy(), [[common, unique_frame], [common, unique_frame]], atol=1e-12)
    with pytest.raises(ValueError, match="two or more"):
        uniqueness_loss(z[:1], segments[:1])


# Three videos of four frames, segments of two frames (m = 2): A's segments are e1 and e2, B's
# are both the normalised mean of e1 and e2, (R, R), C's are -e1 and -e2.
E1, E2 = [1.0, 0.0], [0.0, 1.0]
THREE = torch.tensor([[E1, E1, E2, E2], [E1, E2, E1, E2], [[-1.0, 0.0]] * 2 + [[0.0, -1.0]] * 2],
                     dtype=torch.float64)


def test_uniqueness_loss_by_hand_with_and_without_the_frames_own_video():
    segments = segment_means(THREE, 2)
    assert np.allclose(segments.numpy(), [[E1, E2], [[R, R], [R, R]], [[-1, 0], [0, -1]]], atol=1e-12)
    # exp(-beta ||z - s||^2) with beta = 2 and ||z - s||^2 = 2 - 2 cos: cos 1 -> 1, cos R -> exp(-4 + 2 sqrt2),
    # cos 0 -> exp(-4), cos -1 -> exp(-8).
    same, near, right, opposite = 1.0, math.exp(-4 + 2 * math.sqrt(2)), math.exp(-4), math.exp(-8)
    other, ctvsum = uniqueness_loss(THREE, segments), uniqueness_loss(THREE, segments, target="ctvsum")
    # A's first frame, e1: its own segments e1, e2 (same, right); B's (near, near); C's -e1, -e2 (opposite, right).
    assert float(other[0, 0]) == pytest.approx(math.log((near + near + opposite + right) / 4), abs=1e-12)
    assert float(ctvsum[0, 0]) == pytest.approx(math.log((same + right + near + near + opposite + right) / 6),
                                                abs=1e-12)
    # B's second frame, e2: own (near, near); A's e1, e2 (right, same); C's (right, opposite).
    assert float(other[1, 1]) == pytest.approx(math.log((right + same + right + opposite) / 4), abs=1e-12)
    assert float(ctvsum[1, 1]) == pytest.approx(math.log((near + near + right + same + right + opposite) / 6),
                                                abs=1e-12)
    # The authors' target makes a video's frames look common to itself: A's e1 frames look less unique than
    # without their own segments, and the filter's target for them goes down.
    assert float(ctvsum[0, 0]) > float(other[0, 0])
    # With its own segments counted, a batch of one video has something to compare with.
    alone = uniqueness_loss(THREE[:1], segments[:1], target="ctvsum")
    assert alone[0].tolist() == pytest.approx([math.log((same + right) / 2)] * 2 + [math.log((right + same) / 2)] * 2)
    with pytest.raises(ValueError, match="unknown uniqueness target"):
        uniqueness_loss(THREE, segments, target="own")


def test_full_loss_takes_the_uniqueness_target_it_is_given():
    rng = np.random.default_rng(3)
    x = torch.tensor(unit(rng.normal(size=(60, 6))).reshape(3, 20, 6))
    z, logits = torch.tensor(rng.normal(size=(3, 20, 4))), torch.tensor(rng.normal(size=(3, 20)))
    zn = torch.nn.functional.normalize(z, dim=-1)
    for target in ("other", "ctvsum"):
        _, terms = refinement_loss(FixedOutputs(z, logits), x, k=2, segment_length=5, unique_target=target)
        unique = uniqueness_loss(zn, segment_means(zn, 5), target=target)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, filter_target(unique))
        assert terms["unique"] == pytest.approx(float(unique.mean()), rel=1e-12), target
        assert terms["filter"] == pytest.approx(float(bce), rel=1e-12), target
    assert refinement_loss(FixedOutputs(z, logits), x, 2, segment_length=5, unique_target="ctvsum")[1]["unique"] != \
        refinement_loss(FixedOutputs(z, logits), x, 2, segment_length=5)[1]["unique"]


def test_filter_target_is_one_minus_the_squeezed_min_max_of_the_uniqueness_loss():
    target = filter_target(torch.tensor([[-1.0, 3.0, 1.0]]))
    # min-max: 0, 1, 0.5 -> * 0.5 + 0.25: 0.25, 0.75, 0.5 -> y = 0.75, 0.25, 0.5
    assert target[0].tolist() == pytest.approx([0.75, 0.25, 0.5])


class FixedOutputs(torch.nn.Module):
    """Returns given (z, logits) whatever the input: the loss arithmetic on its own."""

    def __init__(self, z: torch.Tensor, logits: torch.Tensor) -> None:
        super().__init__()
        self.z, self.logits = z, logits

    def forward(self, x):
        return self.z, self.logits


def test_full_loss_is_eq_11_with_the_published_weights():
    rng = np.random.default_rng(0)
    x = torch.tensor(unit(rng.normal(size=(40, 6))).reshape(2, 20, 6))
    z = torch.tensor(rng.normal(size=(2, 20, 4)))
    logits = torch.tensor(rng.normal(size=(2, 20)))
    loss, terms = refinement_loss(FixedOutputs(z, logits), x, k=2, segment_length=5)
    zn = torch.nn.functional.normalize(z, dim=-1)
    align, uniform = contrastive_terms(x, x, 2, z_rows=zn, z_all=zn)
    unique = uniqueness_loss(zn, segment_means(zn, 5))
    y = filter_target(unique).numpy()
    r = 1 / (1 + np.exp(-logits.numpy()))
    bce = float(np.mean(-(y * np.log(r) + (1 - y) * np.log(1 - r))))  # Eq. 10 by hand
    expected = float(align.mean()) + 0.5 * float(uniform.mean()) + 0.1 * float(unique.mean()) + 0.1 * bce
    assert float(loss) == pytest.approx(expected, rel=1e-9)
    assert terms["filter"] == pytest.approx(bce, rel=1e-9)


def test_resampling_to_a_fixed_length():
    rng = np.random.default_rng(0)
    longer = resample_index(500, 200, rng)
    assert len(longer) == 200 and len(set(longer.tolist())) == 200 and np.all(np.diff(longer) > 0)
    assert resample_index(3, 6, rng).tolist() == [0, 0, 1, 1, 2, 2]  # nearest neighbour: each in turn
    assert resample_index(200, 200, rng).tolist() == list(range(200))


# ---- what training learns --------------------------------------------------------------------

DIM = 64


def background_corpus(rng: np.random.Generator, n_videos: int, length: int = 120):
    """Videos that mix three clusters of their own with one background cluster shared by all
    (street scenes, water: a frame that could be in any video). Returns (features, is_background)."""
    background = np.random.default_rng(123).normal(size=DIM)
    videos = []
    for _ in range(n_videos):
        centres = rng.normal(size=(3, DIM))
        labels: list[int] = []
        while len(labels) < length:  # every scene, the background (3) included, in a new order each round
            for label in rng.permutation(4):
                labels += [int(label)] * int(rng.integers(8, 20))
        labels_arr = np.array(labels[:length])
        base = np.where((labels_arr == 3)[:, None], background[None], centres[np.minimum(labels_arr, 2)])
        x = base + 0.35 * rng.normal(size=(length, DIM))
        videos.append((unit(x).astype(np.float32), labels_arr == 3))
    return videos


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(a positive scores above a negative), ties counting half."""
    greater = (positive[:, None] > negative[None]).mean()
    return float(greater + 0.5 * (positive[:, None] == negative[None]).mean())


@pytest.fixture(scope="module")
def background_model():
    rng = np.random.default_rng(0)
    train = [x for x, _ in background_corpus(rng, 10)]
    recipe = contrastive_recipe(train, ContrastiveOptions(epochs=30, batch_size=4, seed=0))
    held_out = background_corpus(rng, 6)
    return train_model(recipe), held_out


@pytest.mark.slow  # trains a model for tens of seconds: out of the quick subset
def test_uniqueness_filter_scores_the_shared_background_down_on_held_out_videos(background_model):
    model, held_out = background_model
    trained, free = ContrastiveScorer(refine=True).with_model(model), ContrastiveScorer(sigma=0)
    trained_auc = [auc(t[~bg], t[bg]) for x, bg in held_out for t in [trained.terms(x)["unique"]]]
    free_auc = [auc(f[~bg], f[bg]) for x, bg in held_out for f in [free.score(x)]]
    # Own frames rank above the background on every held-out video once the filter is trained...
    assert min(trained_auc) >= 0.9, trained_auc
    # ...while the training-free scores cannot tell a shared background from a video's own scenes.
    assert np.mean(free_auc) <= 0.6, free_auc


SEMANTIC, NUISANCE = 16, 48


def rare_scene_corpus(rng: np.random.Generator, n_videos: int, length: int = 200, corrupted: float = 0.3):
    """Videos of long scenes and short, rare ones, whose oracle importance is the rarity of a
    frame's scene (-log of its share of the video): what local dissimilarity is meant to find.

    The features hold the scene (16 dimensions) plus a 48-dimension nuisance part that is
    near zero except on a random 30% of frames, where it is as strong as the scene (sensor
    noise, compression, motion blur): an ImageNet feature carries much that is not the
    content. The training-free score takes those frames for unusual ones; refinement, trained
    on many videos, can learn a projection that leaves the nuisance out. Returns a list of
    (features, oracle, features without the nuisance)."""
    videos = []
    for _ in range(n_videos):
        sizes: list[int] = []
        while sum(sizes) < length:
            sizes.append(int(rng.integers(6, 16)) if rng.random() < 0.4 else int(rng.integers(30, 70)))
        labels = np.repeat(np.arange(len(sizes)), sizes)[:length]
        counts = np.bincount(labels)
        scene = unit(rng.normal(size=(len(counts), SEMANTIC))[labels] + 0.5 * rng.normal(size=(length, SEMANTIC)))
        strength = np.where(rng.random(length) < corrupted, 1.0, 0.0)[:, None]
        nuisance = (strength * rng.normal(size=(length, NUISANCE))
                    + 0.05 * rng.normal(size=(length, NUISANCE))) / math.sqrt(NUISANCE)
        x = np.concatenate([scene, nuisance], axis=1).astype(np.float32)
        clean = np.concatenate([scene, np.zeros_like(nuisance)], axis=1).astype(np.float32)
        videos.append((x, -np.log(counts[labels] / length), clean))
    return videos


@pytest.mark.slow
def test_refined_alignment_beats_the_training_free_one_against_an_oracle_on_held_out_videos():
    rng = np.random.default_rng(0)
    train = [x for x, _, _ in rare_scene_corpus(rng, 64)]
    held_out = rare_scene_corpus(rng, 12)
    # The paper's recipe (lr 1e-4, 200-sample sequences, alpha 0.5), batches of 16 videos.
    # The gain is modest and depends on the corpus drawn, as the paper finds for small corpora
    # (Sec. 5: refinement "hardly outperforms" with 20-159 videos): mean tau gains over corpora
    # drawn with seeds 0-3 were +0.083, +0.043, +0.022 and -0.029 (12 held-out videos each).
    # This pins seed 0 so that a refinement that stops learning (or scoring that ignores the
    # projection) fails; it does not claim a gain on every corpus.
    model = train_model(contrastive_recipe(train, ContrastiveOptions(epochs=40, batch_size=16, seed=0)))
    refined = ContrastiveScorer(variant="align", sigma=0, refine=True).with_model(model)
    free = ContrastiveScorer(variant="align", sigma=0)
    tau_refined = np.array([kendalltau(oracle, refined.score(x))[0] for x, oracle, _ in held_out])
    tau_free = np.array([kendalltau(oracle, free.score(x))[0] for x, oracle, _ in held_out])
    tau_clean = np.array([kendalltau(oracle, free.score(clean))[0] for _, oracle, clean in held_out])
    # The nuisance is what hurts the training-free score (on the same scenes without it, it ranks better)...
    assert tau_clean.mean() >= tau_free.mean() + 0.05, (tau_clean, tau_free)
    # ...and refinement recovers part of it on videos it never saw: better on average and on most videos.
    assert tau_refined.mean() >= tau_free.mean() + 0.04, (tau_refined, tau_free)
    assert (tau_refined > tau_free).sum() >= 7, (tau_refined, tau_free)


def test_seeded_training_is_deterministic_on_cpu():
    rng = np.random.default_rng(1)
    train = [x for x, _ in background_corpus(rng, 4, length=60)]

    def trained(seed: int) -> dict[str, torch.Tensor]:
        return train_model(contrastive_recipe(train, ContrastiveOptions(epochs=2, batch_size=2, seed=seed))).state_dict()

    one, two, other = trained(0), trained(0), trained(1)
    assert all(torch.equal(one[k], two[k]) for k in one)
    assert not all(torch.equal(one[k], other[k]) for k in one)


def test_a_run_needs_two_videos_and_batches_of_two():
    x = unit(np.random.default_rng(0).normal(size=(30, 8))).astype(np.float32)
    with pytest.raises(UsageError, match="at least 2 training videos"):
        contrastive_recipe([x], ContrastiveOptions()).options.validate()
    with pytest.raises(UsageError, match="at least 2 videos per process"):
        contrastive_recipe([x, x], ContrastiveOptions(batch_size=1)).options.validate()
    recipe = contrastive_recipe([x] * 5, ContrastiveOptions(batch_size=4, epochs=3))
    # Five videos in batches of at most four: two steps an epoch, of 3 and 2 videos, each video once.
    assert recipe.options.steps == 6
    epoch = [recipe.videos(step) for step in (0, 1)]
    assert sorted(len(v) for v in epoch) == [2, 3] and sorted(np.concatenate(epoch).tolist()) == [0, 1, 2, 3, 4]
    assert recipe.batch(0)[0].shape == (len(epoch[0]), 200, 8)


def test_no_batch_holds_one_video_alone_unless_the_target_allows_it():
    x = unit(np.random.default_rng(0).normal(size=(30, 8))).astype(np.float32)
    # Three videos in batches of two would leave one alone (2 + 1): one batch of three instead.
    recipe = contrastive_recipe([x] * 3, ContrastiveOptions(batch_size=2, epochs=2))
    assert recipe.options.steps == 2 and [len(recipe.videos(s)) for s in (0, 1)] == [3, 3]
    train_model(recipe)  # trains (a batch of one would fail in the uniqueness loss)
    # The authors' target compares a video with its own segments too: one video is enough, batches of one too.
    ctvsum = contrastive_recipe([x] * 3, ContrastiveOptions(batch_size=2, epochs=1, unique_target="ctvsum"))
    assert sorted(len(ctvsum.videos(s)) for s in (0, 1)) == [1, 2]
    alone = contrastive_recipe([x], ContrastiveOptions(batch_size=1, epochs=2, unique_target="ctvsum"))
    assert alone.options.validate().steps == 2
    train_model(alone)
    with pytest.raises(UsageError, match="at least 2 training videos.*target, ctvsum"):
        contrastive_recipe([x], ContrastiveOptions()).options.validate()
    with pytest.raises(UsageError, match="unknown uniqueness target 'own'"):
        contrastive_recipe([x] * 2, ContrastiveOptions(unique_target="own")).options.validate()


def test_attention_has_64_d_heads_and_dropout_0_1_in_training_only():
    net = RefinementNet(ContrastiveConfig(feature_dim=DIM, heads=8))
    for block in [*net.blocks, net.unique_block]:
        assert block.qkv.weight.shape == (3 * 8 * 64, 128) and block.out.weight.shape == (128, 8 * 64)
        assert block.dropout == 0.1
    assert RefinementNet(ContrastiveConfig(feature_dim=DIM)).blocks[0].qkv.weight.shape == (3 * 64, 128)
    x = torch.tensor(unit(np.random.default_rng(0).normal(size=(50, DIM))), dtype=torch.float32)[None]
    net.train()
    torch.manual_seed(0)
    first = net(x)[0]
    torch.manual_seed(1)
    assert not torch.allclose(first, net(x)[0])  # the attention weights drop out
    torch.manual_seed(0)
    assert torch.equal(first, net(x)[0])
    net.eval()
    assert torch.equal(net(x)[0], net(x)[0])


def test_the_optimizer_is_adam_with_an_l2_penalty_on_every_weight():
    x = unit(np.random.default_rng(0).normal(size=(30, 8))).astype(np.float32)
    recipe = contrastive_recipe([x] * 2, ContrastiveOptions(weight_decay=3e-4))
    model = recipe.new_model()
    optimizer = recipe.optimizer(model)
    assert type(optimizer) is torch.optim.Adam  # coupled L2 (the authors' torch.optim.Adam), not AdamW
    (group,) = optimizer.param_groups
    assert group["weight_decay"] == 3e-4 and group["lr"] == 1e-4
    assert len(group["params"]) == len(list(model.parameters()))  # biases and LayerNorm gains too


# ---- checkpoints and scoring ---------------------------------------------------------------


def small_corpus(n: int = 4, length: int = 60, seed: int = 2) -> list[FeatureSequence]:
    rng = np.random.default_rng(seed)
    return [FeatureSequence(f"v{i}", x, f"v{i}") for i, (x, _) in enumerate(background_corpus(rng, n, length))]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "c.ckpt"
    train_contrastive(small_corpus(), path, backbone="efficientnet-lite0", sampling_fps=2.0,
                      options=ContrastiveOptions(epochs=2, batch_size=2), trained_on="test corpus")
    return path


def test_checkpoint_records_what_it_is_and_round_trips_to_identical_scores(checkpoint, tmp_path):
    raw = torch.load(checkpoint, weights_only=True)  # plain values and tensors only
    assert raw["format"] == "summarize.contrastive" and "training" not in raw
    loaded = load_checkpoint(checkpoint, "contrastive")
    meta = loaded.meta
    assert (meta.backbone, meta.feature_dim, meta.epochs, meta.steps, meta.n_videos) == (
        "efficientnet-lite0", DIM, 2, 4, 4)
    assert (meta.alpha, meta.lambda_unique, meta.lambda_filter, meta.lr, meta.weight_decay) == (0.5, 0.1, 0.1, 1e-4, 1e-4)
    assert (meta.sequence_length, meta.segment_length, meta.neighbour_ratio) == (200, 10, 0.1)
    assert meta.num_params == loaded.model.num_parameters and meta.size == "4x128/1x64h"
    assert set(meta.metrics["last_step_terms"]) == {"align", "uniform", "unique", "filter"}
    x = small_corpus(1, 90, seed=9)[0].features
    first = ContrastiveScorer(checkpoint=checkpoint).score(x)
    save_checkpoint(tmp_path / "copy.ckpt", loaded.model, loaded.meta)
    again = ContrastiveScorer(checkpoint=tmp_path / "copy.ckpt").score(x)
    in_memory = ContrastiveScorer(refine=True).with_model(loaded.model).score(x)
    assert np.array_equal(first, again) and np.array_equal(first, in_memory)
    # A checkpoint of the other kind is named, not misread.
    with pytest.raises(InputError, match="not a summarize MAE checkpoint.*--method contrastive"):
        load_checkpoint(checkpoint, "mae")


def test_checkpoint_records_the_uniqueness_target(tmp_path):
    path = tmp_path / "ctvsum.ckpt"
    train_contrastive(small_corpus(3), path, backbone="efficientnet-lite0", sampling_fps=2.0,
                      options=ContrastiveOptions(epochs=1, batch_size=2, unique_target="ctvsum"))
    raw = torch.load(path, weights_only=True)
    assert raw["format_version"] == 2 and raw["meta"]["unique_target"] == "ctvsum"
    assert raw["config"]["head_dim"] == 64 and raw["config"]["attention_dropout"] == 0.1
    meta = load_checkpoint(path, "contrastive").meta
    assert (meta.unique_target, meta.optimizer) == ("ctvsum", "adam")
    assert ContrastiveScorer(checkpoint=path).params["unique_target"] == "ctvsum"


def version_1(path, model: RefinementNet, meta, training: dict | None = None):
    """A checkpoint as the code before format 2 wrote it: its config and meta lacked the new
    fields, and its network had d_model / heads-d heads and no dropout."""
    from summarize.networks.checkpoint import checkpoint_dict

    data = checkpoint_dict(model, meta, training)
    data["format_version"] = 1
    for key in ("head_dim", "attention_dropout"):
        del data["config"][key]
    for key in ("unique_target", "optimizer"):
        del data["meta"][key]
        if training is not None:
            del data["training"]["options"][key]
    torch.save(data, path)


def test_version_1_checkpoints_load_and_score_as_they_were_trained(checkpoint, tmp_path):
    from dataclasses import asdict, replace

    old_shape = ContrastiveConfig(feature_dim=DIM, heads=2, head_dim=64, attention_dropout=0.0)
    torch.manual_seed(0)
    model = RefinementNet(old_shape).eval()  # 2 heads of 64 = d_model 128 / 2: the old layout
    meta = load_checkpoint(checkpoint, "contrastive").meta
    version_1(tmp_path / "old.ckpt", model, meta)
    loaded = load_checkpoint(tmp_path / "old.ckpt", "contrastive")
    assert loaded.model.config == old_shape and loaded.meta.optimizer == "adamw"
    assert loaded.meta.unique_target == "other"  # the only target the code had
    x = small_corpus(1, 90, seed=9)[0].features
    scorer = ContrastiveScorer(checkpoint=tmp_path / "old.ckpt")
    assert np.array_equal(scorer.score(x), ContrastiveScorer(refine=True).with_model(model).score(x))
    assert scorer.params["unique_target"] == "other"
    # One head of 128: the old code's heads split d_model; the config says so once loaded.
    version_1(tmp_path / "one.ckpt", RefinementNet(replace(old_shape, heads=1, head_dim=128)), meta)
    assert load_checkpoint(tmp_path / "one.ckpt", "contrastive").model.config.head_dim == 128
    # An unfinished version-1 run resumes with the optimizer and target it began with.
    options = asdict(ContrastiveOptions(epochs=2, batch_size=2, n_videos=4))
    training = {"step": 1, "seconds": 1.0, "options": options, "data": "x", "optimizer": {}, "last_loss": 1.0}
    version_1(tmp_path / "part.ckpt", model, meta, training)
    resumed = ContrastiveOptions(**load_checkpoint(tmp_path / "part.ckpt", "contrastive").training["options"])
    assert (resumed.optimizer, resumed.unique_target) == ("adamw", "other")
    recipe = contrastive_recipe([s.features for s in small_corpus()], resumed)
    assert type(recipe.optimizer(model)) is torch.optim.AdamW
    # A newer format than this code knows is refused in one line.
    data = torch.load(checkpoint, weights_only=True)
    data["format_version"] = 3
    torch.save(data, tmp_path / "new.ckpt")
    with pytest.raises(InputError, match="newer summarize .*format 3"):
        load_checkpoint(tmp_path / "new.ckpt", "contrastive")


def test_variants_multiply_the_min_max_scaled_terms(checkpoint):
    x = small_corpus(1, 90, seed=9)[0].features
    scorer = ContrastiveScorer(checkpoint=checkpoint)
    assert scorer.variant == "align+uniform+unique"  # the full Eq. 12 is the default with a checkpoint
    terms = scorer.terms(x)
    assert set(terms) == {"align", "uniform", "unique"}
    for variant in ("align", "align+uniform", "align+unique", "align+uniform+unique"):
        product = np.prod([minmax(terms[name]) for name in variant.split("+")], axis=0)
        expected = gaussian_filter1d(product + 1e-6, 1.0, mode="nearest")
        assert np.allclose(ContrastiveScorer(checkpoint=checkpoint, variant=variant).score(x), expected), variant
    # The refined terms are not the training-free ones: the projection changed the distances.
    free = ContrastiveScorer(variant="align").terms(x)
    assert not np.allclose(minmax(terms["align"]), minmax(free["align"]))
    assert "unique" not in free


def test_authors_post_processing(checkpoint):
    x = small_corpus(1, 90, seed=9)[0].features
    product = minmax(ContrastiveScorer().terms(x)["align"]) * minmax(ContrastiveScorer().terms(x)["uniform"])
    assert np.allclose(ContrastiveScorer(post="exp").score(x), gaussian_filter1d(np.exp(product - 1), 1.0,
                                                                                  mode="nearest"))
    assert np.allclose(ContrastiveScorer(post="shift").score(x), gaussian_filter1d(product + 0.05, 1.0,
                                                                                    mode="nearest"))
    with pytest.raises(UsageError, match="depends on the dataset"):
        ContrastiveScorer(post="ctvsum")


def test_bad_requests_are_one_line_usage_errors(checkpoint, tmp_path):
    with pytest.raises(UsageError, match="needs the trained uniqueness filter.*--checkpoint"):
        get_scorer("contrastive", variant="align+unique")
    with pytest.raises(UsageError, match="refine=1 trains a model per fold"):
        get_scorer("contrastive", refine=1).score(small_corpus(1)[0].features)
    with pytest.raises(UsageError, match="either checkpoint=PATH .* or refine=1"):
        get_scorer("contrastive", checkpoint=str(checkpoint), refine=1)
    with pytest.raises(UsageError, match="checkpoint not found"):
        get_scorer("contrastive", checkpoint=str(tmp_path / "missing.ckpt"))
    with pytest.raises(OutputError, match="already exists"):
        train_contrastive(small_corpus(), checkpoint, backbone="efficientnet-lite0", sampling_fps=2.0)


def test_backbone_mismatch_is_refused_before_decoding(checkpoint):
    from summarize import Summarizer

    scorer = ContrastiveScorer(checkpoint=checkpoint)
    assert scorer.required_backbone == "efficientnet-lite0"
    with pytest.raises(UsageError, match="trained on efficientnet-lite0 features, not googlenet"):
        scorer.check_features(small_corpus(1)[0].features, "googlenet")
    with pytest.raises(UsageError, match=f"takes {DIM}-d"):
        scorer.check_features(np.ones((10, 1280), np.float32), "efficientnet-lite0")
    # The summarizer refuses at construction, before any video is opened.
    with pytest.raises(UsageError, match="needs efficientnet-lite0 features.*--backbone efficientnet-lite0"):
        Summarizer(method="contrastive", method_params={"checkpoint": str(checkpoint)}, backbone="googlenet",
                   cache=False)


@pytest.mark.slow  # trains a model for tens of seconds: out of the quick subset
def test_resumed_contrastive_run_equals_uninterrupted_run(tmp_path):
    common = dict(backbone="efficientnet-lite0", sampling_fps=2.0,
                  options=ContrastiveOptions(epochs=3, batch_size=2, save_every=2, seed=3))
    seqs = small_corpus()
    train_contrastive(seqs, tmp_path / "whole.ckpt", **common)

    def crash(step, total, loss, lr):
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_contrastive(seqs, tmp_path / "part.ckpt", progress=crash, **common)
    assert load_checkpoint(tmp_path / "part.ckpt", "contrastive").training["step"] == 2
    result = train_contrastive(seqs, tmp_path / "part.ckpt", resume=True, **common)
    assert result.resumed_from == 2 and result.meta.steps == 6
    whole = load_checkpoint(tmp_path / "whole.ckpt", "contrastive").model.state_dict()
    resumed = load_checkpoint(tmp_path / "part.ckpt", "contrastive").model.state_dict()
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)


def test_init_starts_from_the_checkpoints_weights_and_shape(tmp_path, monkeypatch):
    from summarize.training import loop

    common = dict(backbone="efficientnet-lite0", sampling_fps=2.0)
    first = tmp_path / "first.ckpt"
    train_contrastive(small_corpus(), first, options=ContrastiveOptions(epochs=1, batch_size=2),
                      config=ContrastiveConfig(feature_dim=DIM, d_model=32, layers=1, ffn_dim=64),
                      trained_on="test corpus", **common)
    start = load_checkpoint(first, "contrastive")
    reads = []
    real = loop.load_checkpoint
    monkeypatch.setattr(loop, "load_checkpoint", lambda *a, **k: reads.append(a) or real(*a, **k))
    # Almost no step (lr 1e-12): the result is the starting weights, in the starting shape.
    options = ContrastiveOptions(epochs=1, batch_size=2, lr=1e-12, weight_decay=0.0)
    result = train_contrastive(small_corpus(), tmp_path / "on.ckpt", options=options, init=first,
                               trained_on="more", **common)
    assert reads == []  # read once, by the caller that needed its shape, not again by the loop
    after = load_checkpoint(tmp_path / "on.ckpt", "contrastive")
    assert after.model.config == start.model.config and after.model.config.d_model == 32
    assert all(torch.allclose(v, start.model.state_dict()[k], atol=1e-9) for k, v in after.model.state_dict().items())
    assert result.meta.trained_on == "more (starting from first.ckpt: test corpus)"
    with pytest.raises(UsageError, match="trained on efficientnet-lite0 features, not resnet50"):
        train_contrastive(small_corpus(), tmp_path / "other.ckpt", backbone="resnet50", sampling_fps=2.0,
                          options=options, init=first)


# ---- evaluation: per-fold training -----------------------------------------------------------


def test_eval_trains_one_model_per_fold_on_that_folds_training_videos(tmp_path):
    from tests.eval_synthetic import write_dataset

    from summarize.evaluation import evaluate

    write_dataset(tmp_path, "tvsum", n_videos=6, seed=4, lengths=[900] * 6, dim=32)
    keys = [f"video_{i}" for i in range(1, 7)]
    folds = [{"train_keys": [k for k in keys if k not in keys[i::3]], "test_keys": keys[i::3]} for i in range(3)]
    splits = tmp_path / "splits.json"
    splits.write_text(json.dumps(folds))
    label = "contrastive:refine=1,epochs=2"
    result = evaluate("tvsum", data_dir=tmp_path, methods=["contrastive", label, "contrastive:post=ctvsum"],
                      references=(), splits=splits)
    trained = result.method(label)
    assert trained.n_videos == 6 and len(trained.folds) == 3
    training = result.parameters["splits"]["training"]
    assert training["methods"] == [label]
    for i, fold in enumerate(training["folds"]):
        assert fold["train_keys"] == folds[i]["train_keys"] and fold["test_keys"] == folds[i]["test_keys"]
        assert trained.folds[i]["trained_on"] == "fold %d: 4 videos" % i
        assert trained.folds[i]["n_videos"] == 2
    assert trained.params["refine"].startswith("trained per evaluation fold") and trained.params["epochs"] == 2
    # The authors' post-processing keeps its label and is resolved for the dataset (TVSum: exp(s - 1)).
    assert result.method("contrastive:post=ctvsum").params["post"].startswith("exp(s - 1)")
    # Rank correlation does not change: exp is increasing and the smoothing is the same.
    free, post = result.method("contrastive"), result.method("contrastive:post=ctvsum")
    assert post.kendall_tau == pytest.approx(free.kendall_tau, abs=0.02)
    # A trained model differs from the training-free scores.
    assert trained.kendall_tau != free.kendall_tau
    with pytest.raises(UsageError, match="trains a model on each fold.*--splits"):
        evaluate("tvsum", data_dir=tmp_path, methods=[label], references=())


def test_refine_trains_in_batches_of_8_on_summe_and_32_on_tvsum_as_the_authors_code(tmp_path, monkeypatch):
    from tests.eval_synthetic import write_dataset

    from summarize.evaluation import evaluate
    from summarize.evaluation.runner import MethodSpec
    from summarize.training import contrastive as training

    for dataset, size in (("summe", 8), ("tvsum", 32)):
        spec = MethodSpec.parse("contrastive:refine=1,unique_target=ctvsum").for_dataset(dataset)
        assert spec.params["batch_size"] == size and spec.label == "contrastive:refine=1,unique_target=ctvsum"
    assert MethodSpec.parse("contrastive:refine=1,batch_size=5").for_dataset("summe").params["batch_size"] == 5
    assert "batch_size" not in MethodSpec.parse("contrastive").for_dataset("summe").params
    write_dataset(tmp_path, "summe", n_videos=12, seed=4, lengths=[600] * 12, dim=16)
    keys = [f"video_{i}" for i in range(1, 13)]
    splits = tmp_path / "splits.json"
    splits.write_text(json.dumps([{"train_keys": keys[:10], "test_keys": keys[10:]}]))
    made = []
    real = training.contrastive_recipe
    monkeypatch.setattr(training, "contrastive_recipe", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    label = "contrastive:refine=1,epochs=1,unique_target=ctvsum,seed=2"
    result = evaluate("summe", data_dir=tmp_path, methods=[label], references=(), splits=splits)
    (recipe,) = made
    opts = recipe.options
    assert (opts.batch_size, opts.unique_target, opts.seed, opts.n_videos) == (8, "ctvsum", 2, 10)
    assert [len(recipe.videos(step)) for step in range(opts.steps)] == [5, 5]  # 10 videos: 2 steps, not 1 of 10
    params = result.method(label).params
    assert (params["batch_size"], params["unique_target"], params["seed"]) == (8, "ctvsum", 2)
    with pytest.raises(UsageError, match="unique_target is a training option"):
        get_scorer("contrastive", unique_target="ctvsum")
    with pytest.raises(UsageError, match="unknown unique_target 'own'"):
        get_scorer("contrastive", refine=1, unique_target="own")


# ---- the command line, end to end ------------------------------------------------------------


def cli(*args, cwd=None):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "summarize", *map(str, args)], capture_output=True, text=True,
                          timeout=600, cwd=cwd)


@pytest.mark.slow
def test_train_then_summarize_and_evaluate_from_the_command_line(tmp_path, bikes):
    from tests.eval_synthetic import write_dataset

    # Training data for each backbone: community-layout h5 files of their feature sizes.
    write_dataset(tmp_path / "goog", "tvsum", n_videos=4, seed=5, lengths=[600] * 4, dim=1024)
    write_dataset(tmp_path / "eff", "summe", n_videos=4, seed=6, lengths=[600] * 4, dim=1280)
    goog, eff = tmp_path / "goog.ckpt", tmp_path / "eff.ckpt"
    trained = cli("train", "contrastive", "--features", tmp_path / "goog/eccv16_dataset_tvsum_google_pool5.h5",
                  "--backbone", "googlenet", "--epochs", "2", "--batch-size", "2", "-o", goog)
    assert trained.returncode == 0, trained.stderr
    assert "wrote" in trained.stdout and "contrastive model 4x128/1x64h" in trained.stdout
    trained = cli("train", "contrastive", "--features", tmp_path / "eff/eccv16_dataset_summe_google_pool5.h5",
                  "--epochs", "2", "--batch-size", "2", "-o", eff, "-q")
    assert trained.returncode == 0 and trained.stdout == "", trained.stderr
    # A checkpoint of another backbone is refused before anything is decoded.
    refused = cli(bikes, "--method", "contrastive", "--checkpoint", goog, "-o", tmp_path, "--no-cache")
    assert refused.returncode == 2 and "--backbone googlenet" in refused.stderr
    assert refused.stderr.count("\n") == 1 and not list(tmp_path.glob("bikes.summary.*"))
    done = cli(bikes, "--method", "contrastive", "--checkpoint", eff, "--variant", "align+unique", "--no-video",
               "-o", tmp_path, "-q", "--no-cache")
    assert done.returncode == 0, done.stderr
    params = json.loads((tmp_path / "bikes.summary.json").read_text())["method"]["params"]
    assert params["variant"] == "align+unique" and params["checkpoint"] == str(eff.resolve())
    # The same checkpoint evaluated elsewhere (the paper's "random videos" setting).
    evaluated = cli("eval", "--dataset", "tvsum", "--data-dir", tmp_path / "goog", "-m", f"contrastive:checkpoint={goog}",
                    "--no-reference", "--json", tmp_path / "eval.json", "-q")
    assert evaluated.returncode == 0, evaluated.stderr
    row = json.loads((tmp_path / "eval.json").read_text())["results"][0]
    assert row["params"]["checkpoint"] == str(goog.resolve()) and row["params"]["variant"] == "align+uniform+unique"
