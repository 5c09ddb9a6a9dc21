"""The masked-autoencoder scorer: masking, clip sampling, training, checkpoints, adaptation, CLI."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from summarize.errors import OutputError, UsageError
from summarize.networks import DEFAULT_CHECKPOINT, MAEConfig, MaskedAutoencoder, load_checkpoint, masked_mse, standardize
from summarize.networks.clips import centred_clips, masked_count, random_masks, sample_clips, scoring_stride
from summarize.networks.mae import sinusoidal_positions
from summarize.scoring import SCORERS, get_scorer
from summarize.scoring.mae import MAEScorer, reconstruction_scores
from summarize.training import FeatureSequence, TrainOptions, adapt, learning_rate, train_mae
from summarize.training.mae import ClipBatches, new_model

TINY = MAEConfig(feature_dim=16, clip_length=30, encoder_dim=32, encoder_depth=1, encoder_heads=2,
                 decoder_dim=16, decoder_depth=1, decoder_heads=2)
ROOT = Path(__file__).resolve().parent.parent


def walk(length: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    """A slowly drifting L2-normalised feature sequence (neighbours predict each other)."""
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.standard_normal((length, dim)) * 0.15, axis=0) + rng.standard_normal(dim) * 2
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def tiny_checkpoint(path: Path, steps: int = 4, seed: int = 0, backbone: str = "efficientnet-lite0") -> Path:
    seqs = [FeatureSequence("a", walk(90, seed=1), "a"), FeatureSequence("b", walk(60, seed=2), "b")]
    train_mae(seqs, path, backbone=backbone, sampling_fps=2.0, config=TINY, overwrite=True,
              options=TrainOptions(steps=steps, batch_size=4, base_lr=1e-2, seed=seed))
    return path


# ---- the network -----------------------------------------------------------------------


def test_sizes_and_parameter_counts():
    small = MaskedAutoencoder(MAEConfig.sized("small", feature_dim=1280))
    assert small.num_parameters == 4_082_432
    base = MAEConfig.sized("base", feature_dim=1024)
    assert (base.encoder_dim, base.encoder_depth, base.encoder_heads) == (768, 12, 12)
    assert (base.decoder_dim, base.decoder_depth, base.decoder_heads) == (384, 4, 6)
    assert base.size_name == "base" and TINY.size_name == "custom"


def test_sinusoidal_positions_by_hand():
    table = sinusoidal_positions(3, 4)  # frequencies 1 and 1/100
    assert table[0].tolist() == pytest.approx([0, 0, 1, 1])
    assert table[2].tolist() == pytest.approx([math.sin(2), math.sin(0.02), math.cos(2), math.cos(0.02)], abs=1e-6)


def test_linear_layers_are_xavier_uniform():
    model = new_model(MAEConfig.sized("small", feature_dim=1280), seed=0)
    w = model.embed.weight.detach()  # fan_in 1280, fan_out 256
    bound = math.sqrt(6 / (1280 + 256))
    assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0.95 * bound
    assert float(w.std()) == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert float(model.embed.bias.detach().abs().max()) == 0.0


def test_masked_frames_are_invisible_and_only_they_are_masked():
    torch.manual_seed(0)
    model = MaskedAutoencoder(TINY).eval()
    x = torch.randn(2, 30, 16)
    mask = torch.from_numpy(random_masks(2, 30, 0.5, np.random.default_rng(0)))
    assert mask.sum(dim=1).tolist() == [15, 15]
    with torch.no_grad():
        base = model(x, mask)
        hidden = x.clone()
        hidden[mask] = torch.randn(int(mask.sum()), 16) * 5  # change every masked frame
        assert torch.equal(model(hidden, mask), base)  # the model never saw them
        seen = x.clone()
        first_visible = int((~mask[0]).nonzero()[0])
        seen[0, first_visible] += 1.0  # change one unmasked frame
        changed = model(seen, mask)
    assert not torch.allclose(changed[0], base[0])
    assert torch.equal(changed[1], base[1])  # clips of a batch do not see each other


def test_loss_is_mse_on_masked_frames_only():
    target = torch.zeros(1, 4, 2)
    recon = torch.tensor([[[1.0, 1.0], [3.0, 1.0], [100.0, -50.0], [0.0, 2.0]]])
    mask = torch.tensor([[True, True, False, True]])
    # Per masked frame mean over dims: 1, 5, 2 -> mean 8/3; the unmasked frame is ignored.
    assert float(masked_mse(recon, target, mask)) == pytest.approx(8 / 3)
    recon[0, 2] = 0.0
    assert float(masked_mse(recon, target, mask)) == pytest.approx(8 / 3)


def test_uneven_masks_are_refused():
    model = MaskedAutoencoder(TINY)
    mask = torch.zeros(2, 30, dtype=torch.bool)
    mask[0, :3], mask[1, :4] = True, True
    with pytest.raises(ValueError, match="same number"):
        model(torch.randn(2, 30, 16), mask)


def test_standardize_gives_unit_mean_square():
    x = torch.randn(5, 1280) * 7
    assert standardize(x).pow(2).mean(dim=1).tolist() == pytest.approx([1.0] * 5, rel=1e-5)


# ---- clips -------------------------------------------------------------------------------


def test_masks_have_the_ratio_and_cover_every_position():
    assert masked_count(30, 0.5) == 15 and masked_count(3, 0.01) == 1 and masked_count(3, 0.99) == 2
    mask = random_masks(4000, 30, 0.5, np.random.default_rng(1))
    assert (mask.sum(axis=1) == 15).all()
    assert mask.mean(axis=0) == pytest.approx(np.full(30, 0.5), abs=0.04)


@pytest.mark.parametrize("lengths", [[30], [31, 59, 60], [200, 45, 1000], [233]])
def test_training_clips_stay_inside_their_video(lengths):
    rng = np.random.default_rng(2)
    sequence, frames = sample_clips(lengths, 5000, rng, clip_length=30, max_stride=8)
    length = np.asarray(lengths)[sequence]
    assert frames.min() >= 0 and (frames.max(axis=1) <= length - 1).all()
    strides = np.diff(frames, axis=1)
    assert (strides == strides[:, :1]).all()  # one stride per clip
    stride = strides[:, 0]
    assert stride.min() >= 1 and stride.max() <= 8
    assert ((stride - 1) * 29 <= length - 1).all()
    long = length >= 1 + 29 * 8
    if long.any():  # the full range of strides and of starts is used
        assert set(stride[long]) == set(range(1, 9))
    assert (frames[length == 30] == np.arange(30)).all()  # a video of exactly one clip


def test_training_clips_are_drawn_in_proportion_to_length():
    sequence, _ = sample_clips([100, 300], 20000, np.random.default_rng(3))
    assert (sequence == 1).mean() == pytest.approx(0.75, abs=0.02)


def test_training_clips_refuse_short_sequences():
    with pytest.raises(ValueError):
        sample_clips([29, 100], 3, np.random.default_rng(0))


def test_scoring_clip_is_centred_on_its_target_inside_the_video():
    frames, position, stride = centred_clips(200, 30, 2)
    assert stride == 2 and frames.shape == (200, 30)
    assert (frames[np.arange(200), position] == np.arange(200)).all()
    assert frames.min() == 0 and frames.max() == 199
    assert (np.diff(frames, axis=1) == 2).all()
    # Interior targets: 15 frames before, 14 after.
    assert position[30] == 15 and frames[30, 0] == 0 and frames[100, 0] == 70
    # At the start the clip is shifted right: target 0 is the first frame, target 3 the second.
    assert position[0] == 0 and (frames[0] == np.arange(0, 60, 2)).all()
    assert position[3] == 1 and frames[3, 0] == 1
    # At the end the target moves towards the clip's end.
    assert position[199] == 29 and frames[199, -1] == 199


@pytest.mark.parametrize("n, clip, stride", [(2, 30, 2), (29, 30, 2), (30, 30, 2), (58, 30, 2), (59, 30, 2),
                                             (60, 30, 2), (100, 30, 5), (1200, 30, 2), (61, 30, 3), (97, 10, 7)])
def test_scoring_clips_never_leave_the_video(n, clip, stride):
    frames, position, used = centred_clips(n, clip, stride)
    length = min(clip, n)
    assert frames.shape == (n, length) and 1 <= used <= stride
    assert frames.min() >= 0 and frames.max() <= n - 1
    assert (frames[np.arange(n), position] == np.arange(n)).all()
    assert (np.diff(frames, axis=1) == used).all()
    assert used == scoring_stride(n, clip, stride)
    if used < stride:  # the next stride up would not fit every target
        targets = np.arange(n)
        s = used + 1
        assert ((length - 1 - (n - 1 - targets) // s) > targets // s).any()


# ---- training ----------------------------------------------------------------------------


def test_learning_rate_schedule():
    opts = TrainOptions(steps=100, batch_size=64, base_lr=4e-4, warmup_fraction=0.1)
    peak = 4e-4 * 64 / 256  # linear scaling rule
    lrs = [learning_rate(s, opts) for s in range(100)]
    assert lrs[0] == pytest.approx(peak / 10) and lrs[9] == pytest.approx(peak)
    assert lrs[99] == pytest.approx(1e-6)
    assert all(a >= b for a, b in zip(lrs[9:], lrs[10:]))
    middle = 10 + (99 - 10) / 2  # half-way through the cosine: half-way between peak and min
    assert learning_rate(int(middle), opts) == pytest.approx((peak + 1e-6) / 2, rel=0.02)


def test_batches_are_reproducible_and_shared_between_processes():
    seqs = [walk(100, seed=1), walk(70, seed=2)]
    batches = ClipBatches(seqs, 30, TrainOptions(batch_size=8, seed=5))
    x, m = batches.batch(3)
    x2, m2 = batches.batch(3)
    assert torch.equal(x, x2) and torch.equal(m, m2)
    assert not torch.equal(batches.batch(4)[0], x)
    halves = [batches.batch(3, rank, 2) for rank in (0, 1)]
    assert torch.equal(torch.cat([h[0] for h in halves]), x) and torch.equal(torch.cat([h[1] for h in halves]), m)


@pytest.mark.slow  # trains a model for tens of seconds: out of the quick subset
def test_short_training_lowers_the_loss(tmp_path):
    losses = []
    seqs = [FeatureSequence("walk", walk(400, seed=4), "walk")]
    train_mae(seqs, tmp_path / "toy.ckpt", backbone="efficientnet-lite0", sampling_fps=2.0, config=TINY,
              options=TrainOptions(steps=150, batch_size=16, base_lr=2e-2, seed=0),
              progress=lambda step, total, loss, lr: losses.append(loss))
    assert len(losses) == 150
    assert np.mean(losses[-10:]) < 0.4 * np.mean(losses[:10])


def test_resumed_run_equals_uninterrupted_run(tmp_path):
    seqs = [FeatureSequence("walk", walk(200, seed=6), "walk")]
    opts = TrainOptions(steps=6, batch_size=4, base_lr=1e-2, save_every=3, seed=2)
    common = dict(backbone="efficientnet-lite0", sampling_fps=2.0, config=TINY)
    train_mae(seqs, tmp_path / "whole.ckpt", options=opts, **common)

    def crash(step, total, loss, lr):
        if step == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_mae(seqs, tmp_path / "part.ckpt", options=opts, progress=crash, **common)
    saved = load_checkpoint(tmp_path / "part.ckpt")
    assert saved.training is not None and saved.training["step"] == 3 and saved.meta.steps == 3
    with pytest.raises(OutputError, match="--resume"):
        train_mae(seqs, tmp_path / "part.ckpt", options=opts, **common)
    result = train_mae(seqs, tmp_path / "part.ckpt", options=TrainOptions(steps=999), resume=True, **common)
    assert result.resumed_from == 3 and result.meta.steps == 6  # the saved run's options, not the new ones
    whole, resumed = load_checkpoint(tmp_path / "whole.ckpt"), load_checkpoint(tmp_path / "part.ckpt")
    assert resumed.training is None  # a finished checkpoint carries no optimizer state
    for key, value in whole.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key
    with pytest.raises(UsageError, match="nothing to resume"):
        train_mae(seqs, tmp_path / "part.ckpt", options=opts, resume=True, **common)
    other = [FeatureSequence("other", walk(150, seed=7), "other")]
    with pytest.raises(KeyboardInterrupt):
        train_mae(seqs, tmp_path / "again.ckpt", options=opts, progress=crash, **common)
    with pytest.raises(UsageError, match="training data differ"):
        train_mae(other, tmp_path / "again.ckpt", options=opts, resume=True, **common)


def test_checkpoint_metadata(tmp_path):
    ckpt = load_checkpoint(tiny_checkpoint(tmp_path / "m.ckpt", steps=3))
    meta = ckpt.meta
    assert (meta.backbone, meta.feature_dim, meta.clip_length, meta.steps) == ("efficientnet-lite0", 16, 30, 3)
    assert meta.size == "custom" and meta.num_params == ckpt.model.num_parameters
    assert meta.sampling_fps == 2.0 and meta.mask_ratio == 0.5 and meta.max_stride == 8
    assert meta.code_version.startswith("0.") and meta.created[:2] == "20"
    raw = torch.load(tmp_path / "m.ckpt", weights_only=True)  # plain values and tensors only
    assert raw["format"] == "summarize.mae" and "training" not in raw


def test_damaged_or_foreign_checkpoints_are_one_line_errors(tmp_path):
    from summarize.errors import InputError

    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path / "junk.ckpt")
    torch.save({"state_dict": {}}, tmp_path / "foreign.ckpt")
    with pytest.raises(InputError, match="not a summarize MAE checkpoint"):
        load_checkpoint(tmp_path / "foreign.ckpt")
    with pytest.raises(UsageError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "missing.ckpt")


# ---- scoring and adaptation --------------------------------------------------------------


def test_scores_are_one_minus_cosine_of_the_masked_reconstruction(tmp_path):
    path = tiny_checkpoint(tmp_path / "m.ckpt")
    model = load_checkpoint(path).model
    x = walk(80, seed=9)
    scores = reconstruction_scores(model, x, stride=2, batch_size=7)
    frames, position, _ = centred_clips(80, 30, 2)
    t = 41
    mask = torch.zeros(1, 30, dtype=torch.bool)
    mask[0, position[t]] = True
    with torch.no_grad():
        recon = model(torch.from_numpy(x[frames[t]])[None], mask)[0, position[t]]
    expected = 1 - float(torch.nn.functional.cosine_similarity(recon, torch.from_numpy(x[t]), dim=0))
    assert scores[t] == pytest.approx(expected, abs=1e-6)
    assert reconstruction_scores(model, x, stride=2, batch_size=1000) == pytest.approx(scores, abs=1e-6)
    smoothed = MAEScorer(path, stride=2).score(x)
    from scipy.ndimage import gaussian_filter1d

    assert smoothed == pytest.approx(gaussian_filter1d(scores, 1.0, mode="nearest"), abs=1e-6)


def test_checkpoint_round_trip_gives_identical_scores(tmp_path):
    path = tiny_checkpoint(tmp_path / "m.ckpt", steps=5)
    x = walk(120, seed=10)
    first = MAEScorer(path).score(x)
    loaded = load_checkpoint(path)
    from summarize.networks import save_checkpoint

    save_checkpoint(tmp_path / "copy.ckpt", loaded.model, loaded.meta)
    assert np.array_equal(MAEScorer(tmp_path / "copy.ckpt").score(x), first)
    assert np.array_equal(MAEScorer(path).score(x), first)


def test_adapt_is_deterministic_changes_the_scores_and_leaves_the_checkpoint_alone(tmp_path):
    path = tiny_checkpoint(tmp_path / "m.ckpt")
    x = walk(150, seed=11)
    plain = MAEScorer(path)
    before = {k: v.clone() for k, v in plain.model.state_dict().items()}
    adapted = MAEScorer(path, adapt=10, seed=3, adapt_lr=1e-2)
    a = adapted.score(x)
    assert np.array_equal(adapted.score(x), a)  # same seed, same scores, twice from one scorer
    assert np.array_equal(MAEScorer(path, adapt=10, seed=3, adapt_lr=1e-2).score(x), a)
    assert not np.allclose(MAEScorer(path, adapt=10, seed=4, adapt_lr=1e-2).score(x), a, atol=1e-6)
    assert not np.allclose(plain.score(x), a, atol=1e-4)
    for key, value in adapted.model.state_dict().items():  # the loaded weights are untouched
        assert torch.equal(value, before[key]), key
    assert adapted.params["adapt_steps"] == 10 and adapted.params["adapt_seed"] == 3
    short = walk(12, seed=12)  # shorter than one clip: adapts on whole-video clips
    assert MAEScorer(path, adapt=3).score(short).shape == (12,)


def test_adapt_function_copies():
    model = new_model(TINY, 0)
    tuned = adapt(model, walk(90), 3, seed=0, base_lr=1e-2)
    assert tuned is not model
    assert not torch.equal(tuned.embed.weight, model.embed.weight)


def test_backbone_mismatch_is_refused(tmp_path):
    path = tiny_checkpoint(tmp_path / "m.ckpt")
    scorer = MAEScorer(path)
    assert scorer.required_backbone == "efficientnet-lite0"
    with pytest.raises(UsageError, match="trained on efficientnet-lite0 features, not googlenet.*--backbone"):
        scorer.check_features(walk(50), "googlenet")
    with pytest.raises(UsageError, match="takes 16-d"):
        scorer.check_features(walk(50, dim=1024), "efficientnet-lite0")
    scorer.check_features(walk(50), "efficientnet-lite0")
    from summarize import Summarizer

    with pytest.raises(UsageError, match="needs efficientnet-lite0 features.*--backbone efficientnet-lite0"):
        Summarizer(method="mae", method_params={"checkpoint": str(path)}, backbone="googlenet", cache=False)


def test_scorer_registry_and_bad_parameters():
    assert "mae" in SCORERS
    with pytest.raises(UsageError, match="--stride"):
        get_scorer("mae", stride=0)
    with pytest.raises(UsageError, match="--adapt"):
        get_scorer("mae", adapt=-1)


def test_mae_options_do_not_reach_contrastive():
    from summarize._cli.options import method_params

    # The contrastive scorer takes a checkpoint of its own (a refinement model), never MAE's stride/adapt/seed.
    assert method_params("contrastive", "align", Path("x.ckpt"), 4, 100, 7) == {"variant": "align",
                                                                                 "checkpoint": "x.ckpt"}
    assert method_params("mae", "align", None, 4, 100, 7) == {"checkpoint": None, "stride": 4, "adapt": 100,
                                                               "seed": 7}


# ---- the shipped checkpoint and the command line -------------------------------------------


def test_shipped_checkpoint():
    assert DEFAULT_CHECKPOINT.is_file() and DEFAULT_CHECKPOINT.stat().st_size <= 20 * 2**20
    ckpt = load_checkpoint()
    meta = ckpt.meta
    from summarize.backbones import DEFAULT_BACKBONE

    assert meta.backbone == DEFAULT_BACKBONE and meta.feature_dim == 1280 and meta.sampling_fps == 2.0
    assert meta.size == "small" and meta.num_params == 4_082_432 and ckpt.training is None
    assert DEFAULT_CHECKPOINT.with_suffix(".md").is_file()  # its model card
    assert get_scorer("mae").params["checkpoint"] == "default"


def test_shipped_checkpoint_is_in_models_and_installs_with_the_package(tmp_path):
    # The checkpoint lives in the top-level models/ folder and a wheel carries it as the
    # package summarize.checkpoints (the default checkpoint is looked up there).
    assert DEFAULT_CHECKPOINT.parent.name in ("models", "checkpoints")
    assert (ROOT / "models" / DEFAULT_CHECKPOINT.name).is_file()
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    import zipfile

    (wheel,) = tmp_path.glob("summarize-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert f"summarize/checkpoints/{DEFAULT_CHECKPOINT.name}" in names
    assert "summarize/checkpoints/mae-small-efficientnet-lite0.md" in names
    assert "summarize/outputs/summary.schema.json" in names


def test_the_shipped_checkpoint_says_what_it_is_worth(tmp_path):
    note = get_scorer("mae").note
    assert "trained on 8 generated videos" in note and "below chance" in note
    assert note.endswith("summarize train mae --videos DIR") and "\n" not in note
    # The card gives the figure the note quotes.
    assert "-0.062" in DEFAULT_CHECKPOINT.with_suffix(".md").read_text() and "tau -0.06)" in note
    # A checkpoint of one's own, and the other methods, have nothing to say.
    assert get_scorer("mae", checkpoint=tiny_checkpoint(tmp_path / "own.ckpt")).note is None
    assert get_scorer("contrastive").note is None and get_scorer("random").note is None


@pytest.mark.slow  # two summaries of a generated video: about 10 s each on a busy 2-core machine
def test_the_note_is_one_line_on_stderr_unless_quiet_and_always_in_the_json(tmp_path, capsys, four_scene_video):
    from summarize._cli import main

    note = get_scorer("mae").note

    def run(*extra):
        try:
            main([str(four_scene_video.path), "--method", "mae", "-o", str(tmp_path), "--no-cache", "--no-video",
                  "--overwrite", "--device", "cpu", *extra])
        except SystemExit as stop:
            assert stop.code in (0, None)
        return capsys.readouterr().err, json.loads((tmp_path / "four_scenes.summary.json").read_text())

    err, doc = run()
    assert [line for line in err.splitlines() if "note" in line] == [f"summarize: note: {note}"]
    assert doc["method"]["note"] == note and "note" not in doc["method"]["params"]
    err, doc = run("-q")  # quiet: nothing on stderr, the JSON still says it
    assert err == "" and doc["method"]["note"] == note


@pytest.mark.slow
def test_cli_summarizes_a_real_video_with_the_shipped_checkpoint(data_dir, tmp_path):
    video = data_dir / "summe" / "videos" / "paluma_jump.mp4"
    result = subprocess.run([sys.executable, "-m", "summarize", str(video), "--method", "mae", "-o", str(tmp_path),
                             "--no-cache", "--device", "cpu"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "paluma_jump.summary.json").read_text())
    import jsonschema

    from summarize.outputs import schema

    jsonschema.validate(doc, schema())
    assert doc["method"]["name"] == "mae" and doc["method"]["params"]["checkpoint"] == "default"
    scores = np.array(doc["samples"]["score"])
    assert len(scores) == doc["sampling"]["n_samples"] == 172
    assert np.isfinite(scores).all() and scores.min() >= 0 and scores.std() > 0
    assert (tmp_path / "paluma_jump.summary.mp4").is_file()
    assert 0 < doc["selection"]["achieved"] <= doc["selection"]["budget"]


def _toy_h5(path: Path, dim: int = 1280) -> Path:
    import h5py

    with h5py.File(path, "w") as h5:
        for i in range(2):
            h5.create_group(f"video_{i + 1}").create_dataset("features", data=walk(80 + 40 * i, dim=dim, seed=i) * 3)
    return path


def _cli(args, **env):
    return subprocess.run([sys.executable, "-m", "summarize", *map(str, args)], capture_output=True, text=True,
                          timeout=600, env={**os.environ, **env})


@pytest.mark.slow
def test_cli_train_from_feature_file_then_errors(tmp_path):
    h5 = _toy_h5(tmp_path / "toy.h5")
    out = tmp_path / "toy.ckpt"
    result = _cli(["train", "mae", "--features", h5, "--out", out, "--steps", "3", "--batch-size", "4", "-q"])
    assert result.returncode == 0, result.stderr
    meta = load_checkpoint(out).meta
    assert meta.steps == 3 and meta.backbone == "efficientnet-lite0" and "2 sequences, 200 samples" in meta.trained_on
    again = _cli(["train", "mae", "--features", h5, "--out", out, "--steps", "3", "-q"])
    assert again.returncode == 1 and again.stderr.strip() == (
        f"summarize: error: {out} already exists (use --resume to continue its run or --overwrite to replace it)")
    resumed = _cli(["train", "mae", "--features", h5, "--out", out, "--resume", "-q"])
    assert resumed.returncode == 2 and "nothing to resume" in resumed.stderr
    wrong = _cli(["train", "mae", "--features", h5, "--out", tmp_path / "g.ckpt", "--backbone", "googlenet", "-q"])
    assert wrong.returncode == 1 and "1280-d features but googlenet gives 1024-d" in wrong.stderr
    nothing = _cli(["train", "mae", "--out", tmp_path / "n.ckpt"])
    assert nothing.returncode == 2 and "no training data" in nothing.stderr
    for bad in (result, again, resumed, wrong, nothing):
        assert "Traceback" not in bad.stderr


@pytest.mark.slow
def test_ddp_on_two_cpu_processes_matches_one_process(tmp_path):
    """torchrun + gloo: two processes with half the batch each train exactly as one with all of it."""
    h5 = _toy_h5(tmp_path / "toy.h5")
    args = ["train", "mae", "--features", h5, "--steps", "4", "--batch-size", "4", "--lr", "0.01", "--device", "cpu",
            "-q"]
    single = _cli([*args, "--out", tmp_path / "one.ckpt"])
    assert single.returncode == 0, single.stderr
    ddp = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          "-m", "summarize", *map(str, args), "--out", str(tmp_path / "two.ckpt")],
                         capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert ddp.returncode == 0, ddp.stderr
    one, two = load_checkpoint(tmp_path / "one.ckpt"), load_checkpoint(tmp_path / "two.ckpt")
    assert two.meta.world_size == 2 and one.meta.world_size == 1
    for key, value in one.model.state_dict().items():
        assert torch.allclose(value, two.model.state_dict()[key], atol=1e-5), key
    moved = any(not torch.allclose(value, new_model(one.model.config, 0).state_dict()[key])
                for key, value in one.model.state_dict().items())
    assert moved


@pytest.mark.parametrize("extra, pattern", [
    (["--backbone", "googlenet"], r"needs efficientnet-lite0 features, not googlenet: add --backbone efficientnet-lite0"),
    (["--checkpoint", "missing.ckpt"], r"checkpoint not found: missing\.ckpt"),
    (["--stride", "0"], r"--stride must be at least 1"),
    (["--adapt", "-3"], r"--adapt must be >= 0"),
])
def test_cli_mae_usage_errors_come_before_any_work(extra, pattern, tmp_path, capsys, four_scene_video, monkeypatch):
    import re

    import summarize.pipeline as pipeline
    from summarize._cli import main

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded a video although the request was refused")

    monkeypatch.setattr(pipeline, "extract_features", no_decoding)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main([str(four_scene_video.path), "--method", "mae", "-o", str(tmp_path), "--no-cache", *extra])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and re.search(pattern, lines[0]), err
    assert "Traceback" not in out + err and os.listdir(tmp_path) == []


def test_training_data_from_a_video_folder_and_an_h5_file(tmp_path, four_scene_video):
    import shutil

    from summarize.backbones import load_backbone
    from summarize.errors import InputError
    from summarize.features import FeatureCache
    from summarize.training import training_sequences
    from summarize.training.data import check_sequences, video_files

    folder = tmp_path / "videos"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(four_scene_video.path, folder / "sub" / "scenes.mp4")
    (folder / "notes.txt").write_text("not a video")
    assert video_files(folder) == [folder / "sub" / "scenes.mp4"]
    h5 = _toy_h5(tmp_path / "toy.h5")
    cache = FeatureCache(tmp_path / "cache")
    calls = []
    sequences = training_sequences(folder, [h5], load_backbone("efficientnet-lite0", device="cpu"), fps=2.0,
                                   cache=cache, rank=1, world_size=2, barrier=lambda: calls.append("barrier"))
    assert calls == ["barrier"]  # each process extracts its share, then all read the cache
    assert [s.name for s in sequences] == ["scenes", "video_1", "video_2"]
    assert [len(s.features) for s in sequences] == [48, 80, 120]
    for seq in sequences:
        assert np.allclose(np.linalg.norm(seq.features, axis=1), 1.0, atol=1e-5)  # h5 features were scaled by 3
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    kept = check_sequences(sequences + [FeatureSequence("short", walk(29, dim=1280), "short")], 1280, 30,
                           "efficientnet-lite0")
    assert [s.name for s in kept] == ["scenes", "video_1", "video_2"]
    with pytest.raises(InputError, match="no video files"):
        video_files(tmp_path / "cache")
