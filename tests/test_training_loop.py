"""The training loop every trained scorer shares (``summarize.training.loop``), on a tiny masked
autoencoder (a second a run): what a step does, the checkpoints a run writes and when, resuming,
``--init``, the refusals, and the seeding that makes runs repeat exactly."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch

from summarize.digest import text_digest
from summarize.errors import OutputError, UsageError
from summarize.networks import MAEConfig, load_checkpoint
from summarize.training import FeatureSequence, TrainOptions
from summarize.training import loop
from summarize.training.loop import (Distributed, data_fingerprint, distributed, fit, make_optimizer, train_model,
                                     train_steps)
from summarize.training.mae import MAERecipe
from tests.test_mae import TINY, walk

BACKBONE = "efficientnet-lite0"


def corpus(*lengths: int, dim: int = 16) -> list[FeatureSequence]:
    return [FeatureSequence(f"v{i}", walk(n, dim=dim, seed=10 + i), f"v{i}") for i, n in enumerate(lengths)]


def recipe(sequences=None, config=TINY, **options) -> MAERecipe:
    sequences = sequences or corpus(90, 60)
    options = {"steps": 5, "batch_size": 4, "base_lr": 1e-2, "seed": 3, "warmup_fraction": 0.4, **options}
    return MAERecipe([s.features for s in sequences], config, TrainOptions(**options), backbone=BACKBONE,
                     sampling_fps=2.0)


def run(out, sequences=None, progress=None, **kwargs):
    sequences = sequences or corpus(90, 60)
    options = kwargs.pop("options", {})
    return fit(recipe(sequences, **options), out, backbone=kwargs.pop("backbone", BACKBONE),
               fingerprint=data_fingerprint(sequences), progress=progress, **kwargs)


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def by_hand(model, r: MAERecipe, steps: range) -> list[float]:
    """The steps as the loop's docstring says them: this step's rate, the loss, one optimizer step."""
    optimizer = r.optimizer(model)
    model.train()
    losses = []
    for step in steps:
        for group in optimizer.param_groups:
            group["lr"] = r.learning_rate(step)
        loss = r.loss(model, r.batch(step))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return losses


# ---- the optimizer and one step ------------------------------------------------------------


def test_the_optimizer_decays_matrices_only_with_the_rate_and_betas_asked():
    model = recipe().new_seeded_model()
    optimizer = make_optimizer(model, 0.25, 0.05, betas=(0.8, 0.9))
    decay, plain = optimizer.param_groups
    assert isinstance(optimizer, torch.optim.AdamW)
    assert {id(p) for p in decay["params"]} == {id(p) for p in model.parameters() if p.ndim >= 2}
    assert {id(p) for p in plain["params"]} == {id(p) for p in model.parameters() if p.ndim < 2}
    assert decay["params"] and plain["params"]
    assert (decay["weight_decay"], plain["weight_decay"]) == (0.05, 0.0)
    assert decay["lr"] == plain["lr"] == 0.25 and decay["betas"] == plain["betas"] == (0.8, 0.9)
    assert make_optimizer(model, 0.1, 0.0).param_groups[0]["betas"] == (0.9, 0.999)


def test_each_step_takes_its_rate_and_loss_and_reports_them():
    r = recipe(steps=5)
    model = r.new_seeded_model().eval()
    twin = copy.deepcopy(model)
    optimizer = r.optimizer(model)
    seen = []
    last = train_steps(model, r, optimizer, 0, 5, torch.device("cpu"), progress=lambda *a: seen.append(a))
    expected = by_hand(twin, r, range(5))
    assert model.training  # dropout and the like in training mode
    assert [s[:2] for s in seen] == [(k, 5) for k in range(1, 6)]
    assert [s[3] for s in seen] == [r.learning_rate(k) for k in range(5)]
    assert len({s[3] for s in seen}) == 4  # warm-up (2 steps), peak, decay
    assert [s[2] for s in seen] == expected and last == expected[-1]
    assert optimizer.param_groups[0]["lr"] == r.learning_rate(4)
    assert same_weights(model.state_dict(), twin.state_dict())


def test_steps_from_the_middle_continue_the_run():
    r = recipe(steps=5)
    whole, part = r.new_seeded_model(), r.new_seeded_model()
    cpu = torch.device("cpu")
    train_steps(whole, r, r.optimizer(whole), 0, 5, cpu)
    optimizer = r.optimizer(part)
    train_steps(part, r, optimizer, 0, 2, cpu)
    assert not same_weights(part.state_dict(), whole.state_dict())
    train_steps(part, r, optimizer, 2, 5, cpu)
    assert same_weights(part.state_dict(), whole.state_dict())
    assert np.isnan(train_steps(part, r, optimizer, 5, 5, cpu))  # no step, no loss


# ---- seeds --------------------------------------------------------------------------------


def test_a_seeded_model_leaves_the_global_generator_as_it_was():
    r = recipe(seed=4)
    torch.manual_seed(11)
    before = torch.rand(3)
    torch.manual_seed(11)
    a = r.new_seeded_model().state_dict()
    assert torch.equal(torch.rand(3), before)
    assert same_weights(a, recipe(seed=4).new_seeded_model().state_dict())
    assert not same_weights(a, recipe(seed=5).new_seeded_model().state_dict())


def test_a_step_seed_fixes_what_the_model_draws_and_restores_the_generator():
    with loop._seeded(7, torch.device("cpu")):
        inside = torch.rand(4)
    torch.manual_seed(7)
    assert torch.equal(inside, torch.rand(4))
    torch.manual_seed(1)
    expected = torch.rand(2)
    torch.manual_seed(1)
    with loop._seeded(9, torch.device("cpu")):
        torch.rand(10)
    assert torch.equal(torch.rand(2), expected)  # restored after
    torch.manual_seed(1)
    with loop._seeded(None, torch.device("cpu")):
        unseeded = torch.rand(2)
    assert torch.equal(unseeded, expected)  # no seed: the global generator, untouched

    class Dropping(MAERecipe):  # a recipe whose model draws (dropout): seeded by (step, rank)
        def step_seed(self, step, rank=0):
            return 100 + step

        def loss(self, model, batch):
            return super().loss(model, batch) + torch.rand(()) * 0

    r = Dropping([s.features for s in corpus(90, 60)], TINY, TrainOptions(steps=2, batch_size=4, seed=3))
    draws = []
    real = loop._seeded

    def spy(seed, device):
        draws.append(seed)
        return real(seed, device)

    loop._seeded = spy
    try:
        train_steps(r.new_seeded_model(), r, r.optimizer(r.new_seeded_model()), 0, 2, torch.device("cpu"))
    finally:
        loop._seeded = real
    assert draws == [100, 101]
    assert MAERecipe([], TINY, TrainOptions()).step_seed(3) is None


def test_other_options_make_a_new_recipe_and_leave_this_one_alone():
    r = recipe(steps=5)
    other = r.with_options(TrainOptions(steps=9))
    assert other.options.steps == 9 and r.options.steps == 5
    assert other.sequences is r.sequences and type(other) is MAERecipe


# ---- processes ------------------------------------------------------------------------------


def test_one_process_without_torchrun(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with distributed("cpu") as dist:
        assert (dist.rank, dist.world_size, dist.local_rank, dist.device) == (0, 1, 0, torch.device("cpu"))
        assert dist.is_main
        dist.barrier()  # nothing to wait for
    monkeypatch.setenv("WORLD_SIZE", "1")
    with distributed("cpu") as dist:
        assert dist.world_size == 1
    plain = Distributed()
    assert (plain.rank, plain.world_size, plain.device, plain.is_main) == (0, 1, torch.device("cpu"), True)
    assert not Distributed(rank=1, world_size=2).is_main


def test_the_data_fingerprint_is_the_names_and_lengths_in_order():
    a = corpus(90, 60)
    assert data_fingerprint(a) == text_digest(json.dumps([["v0", 90], ["v1", 60]]))
    other_values = [FeatureSequence(s.name, s.features * 2, s.source) for s in a]
    assert data_fingerprint(other_values) == data_fingerprint(a)
    assert data_fingerprint(a[::-1]) != data_fingerprint(a)
    assert data_fingerprint(corpus(90, 61)) != data_fingerprint(a)


# ---- whole runs -----------------------------------------------------------------------------


def test_a_run_saves_every_few_steps_then_the_finished_weights(tmp_path, monkeypatch):
    saved = []
    real = loop.save_checkpoint

    def spy(path, model, meta, training=None):
        saved.append((meta.steps, None if training is None else
                      {k: v for k, v in training.items() if k not in ("optimizer", "seconds", "last_loss")}))
        assert training is None or training["optimizer"]["state"]  # the optimizer state, to resume with
        real(path, model, meta, training)

    monkeypatch.setattr(loop, "save_checkpoint", spy)
    seen = []
    sequences = corpus(90, 60)
    result = run(tmp_path / "a.ckpt", sequences, options={"save_every": 2}, progress=lambda *a: seen.append(a),
                 trained_on="two walks", command="summarize train mae")
    options = {**TrainOptions(steps=5, batch_size=4, base_lr=1e-2, seed=3, warmup_fraction=0.4, save_every=2).__dict__}
    fingerprint = data_fingerprint(sequences)
    assert saved == [(2, {"step": 2, "options": options, "data": fingerprint}),
                     (4, {"step": 4, "options": options, "data": fingerprint}), (5, None)]
    assert [s[0] for s in seen] == [1, 2, 3, 4, 5]
    assert result.final_loss == seen[-1][2] and result.resumed_from == 0 and result.path == tmp_path / "a.ckpt"
    ckpt = load_checkpoint(tmp_path / "a.ckpt")
    assert ckpt.training is None and ckpt.meta.steps == 5 and result.meta.steps == 5
    assert (ckpt.meta.trained_on, ckpt.meta.command, ckpt.meta.device, ckpt.meta.world_size) == (
        "two walks", "summarize train mae", "cpu", 1)
    assert ckpt.meta.train_seconds == round(ckpt.meta.train_seconds, 1) >= 0
    # the same steps as training in this process without checkpoints
    trained = train_model(recipe(sequences, save_every=2))
    assert not trained.training
    assert same_weights(trained.state_dict(), ckpt.model.state_dict())


def test_an_interrupted_run_resumes_with_its_own_options_and_records(tmp_path):
    sequences = corpus(90, 60)
    run(tmp_path / "whole.ckpt", sequences, options={"save_every": 2})

    def stop(step, total, loss, lr):
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "part.ckpt", sequences, options={"save_every": 2}, progress=stop, trained_on="first words",
            command="first command")
    part = load_checkpoint(tmp_path / "part.ckpt")
    assert part.training["step"] == 2 and part.meta.steps == 2
    seen = []
    result = run(tmp_path / "part.ckpt", sequences, options={"steps": 50, "base_lr": 1.0}, resume=True,
                 trained_on="other words", command="other", progress=lambda *a: seen.append(a))
    assert result.resumed_from == 2 and result.meta.steps == 5  # its own options, not these
    assert [s[:2] for s in seen] == [(3, 5), (4, 5), (5, 5)]
    assert (result.meta.trained_on, result.meta.command) == ("first words", "first command")
    assert result.meta.train_seconds >= part.training["seconds"] - 0.05
    whole, resumed = load_checkpoint(tmp_path / "whole.ckpt"), load_checkpoint(tmp_path / "part.ckpt")
    assert resumed.training is None and same_weights(whole.model.state_dict(), resumed.model.state_dict())
    # --resume with nothing saved yet: a fresh run
    fresh = run(tmp_path / "new.ckpt", sequences, resume=True)
    assert fresh.resumed_from == 0 and same_weights(load_checkpoint(tmp_path / "new.ckpt").model.state_dict(),
                                                    whole.model.state_dict())


def test_init_starts_from_a_checkpoints_weights(tmp_path):
    sequences = corpus(90, 60)
    run(tmp_path / "first.ckpt", sequences, trained_on="first data")
    expected = load_checkpoint(tmp_path / "first.ckpt").model
    by_hand(expected, recipe(sequences, steps=2, seed=99), range(2))
    for init in (tmp_path / "first.ckpt", load_checkpoint(tmp_path / "first.ckpt")):  # a path, or loaded already
        out = tmp_path / f"on-{type(init).__name__}.ckpt"
        result = run(out, sequences, options={"steps": 2, "seed": 99}, init=init, trained_on="more")
        assert result.meta.trained_on == "more (starting from first.ckpt: first data)"
        assert same_weights(load_checkpoint(out).model.state_dict(), expected.state_dict())


def test_refusals_name_what_to_do(tmp_path):
    sequences = corpus(90, 60)
    out = tmp_path / "a.ckpt"
    run(out, sequences)
    with pytest.raises(OutputError) as refused:
        run(out, sequences)
    assert str(refused.value) == f"{out} already exists (use --resume to continue its run or --overwrite to replace it)"
    assert run(out, sequences, overwrite=True, options={"steps": 1}).meta.steps == 1
    with pytest.raises(UsageError) as refused:
        run(out, sequences, resume=True)
    assert str(refused.value) == (f"{out} is a finished checkpoint (1 steps): nothing to resume (to train further "
                                  "from it, use --init with a new --out)")

    def stop(step, total, loss, lr):
        if step == 2:
            raise KeyboardInterrupt

    part = tmp_path / "part.ckpt"
    with pytest.raises(KeyboardInterrupt):
        run(part, sequences, options={"save_every": 1}, progress=stop)
    with pytest.raises(UsageError) as refused:
        run(part, sequences, resume=True, backbone="googlenet")
    assert str(refused.value) == f"{part} was trained on {BACKBONE} features, not googlenet"
    with pytest.raises(UsageError) as refused:
        run(part, corpus(90, 61), resume=True)
    assert str(refused.value) == f"the training data differ from those of the run saved in {part}"
    with pytest.raises(UsageError) as refused:
        run(tmp_path / "b.ckpt", sequences, init=out, backbone="googlenet")
    assert str(refused.value) == f"--init {out} was trained on {BACKBONE} features, not googlenet"
    wide = corpus(90, 60, dim=32)
    with pytest.raises(UsageError) as refused:
        fit(recipe(wide, config=MAEConfig(**{**TINY.to_dict(), "feature_dim": 32})), tmp_path / "c.ckpt", backbone=BACKBONE, fingerprint=data_fingerprint(wide), init=out)
    assert str(refused.value) == "the MAE model takes 16-d features, the data have 32-d ones"
    assert not (tmp_path / "b.ckpt").exists() and not (tmp_path / "c.ckpt").exists()
    with pytest.raises(UsageError, match="--steps must be at least 1"):
        run(tmp_path / "d.ckpt", sequences, options={"steps": 0})


def test_a_run_makes_the_folder_of_its_checkpoint(tmp_path):
    out = tmp_path / "new" / "folder" / "a.ckpt"
    run(out, options={"steps": 1})
    assert load_checkpoint(out).meta.steps == 1


def test_train_model_trains_a_given_model_or_a_fresh_seeded_one():
    r = recipe(steps=3)
    given = r.new_seeded_model()
    twin = copy.deepcopy(given)
    returned = train_model(r, "cpu", model=given)
    assert returned is given and not returned.training
    by_hand(twin, r, range(3))
    assert same_weights(returned.state_dict(), twin.state_dict())
    seen = []
    fresh = train_model(recipe(steps=3), progress=lambda *a: seen.append(a))
    assert same_weights(fresh.state_dict(), twin.state_dict()) and [s[0] for s in seen] == [1, 2, 3]
    with pytest.raises(UsageError, match="--steps must be at least 1"):
        train_model(recipe(steps=0))


def test_tiny_is_what_these_tests_train():
    assert TINY == MAEConfig(feature_dim=16, clip_length=30, encoder_dim=32, encoder_depth=1, encoder_heads=2,
                             decoder_dim=16, decoder_depth=1, decoder_heads=2)


# ---- two processes (torchrun's environment, gloo on CPU) ------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_rank(rank: int, port: int, out: str, losses=None, cwd: str | None = None) -> None:
    """One of two processes: torchrun's variables, then the run (this test's own process is rank 0;
    ``cwd``: the first process's folder, where a spawned one would not start by itself)."""
    import os

    if cwd is not None:
        os.chdir(cwd)
    os.environ.update(WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    try:
        sequences = corpus(90, 60)
        with distributed("cpu") as dist:
            assert (dist.rank, dist.world_size, dist.is_main) == (rank, 2, rank == 0)
            fit(recipe(sequences, steps=3, save_every=2), out, backbone=BACKBONE,
                fingerprint=data_fingerprint(sequences), dist=dist,
                progress=None if losses is None else lambda *a: losses.append(a[2]))
    finally:
        for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
            os.environ.pop(key, None)


@pytest.mark.slow  # a second Python process, and mutmut cannot follow it: out of the quick subset
def test_two_processes_train_as_one_with_the_whole_batch(tmp_path):
    """Each process takes half of every batch and DDP averages the gradients: the same weights
    as one process with the whole batch; the loss shown is the mean over the processes; only
    the first process writes."""
    import multiprocessing
    import os

    port = _free_port()
    other = multiprocessing.get_context("spawn").Process(target=_as_rank, args=(1, port, str(tmp_path / "two.ckpt"), None, os.getcwd()))
    other.start()
    losses: list[float] = []
    try:
        _as_rank(0, port, str(tmp_path / "two.ckpt"), losses)
    finally:
        other.join(120)
    assert other.exitcode == 0
    alone: list[float] = []
    run(tmp_path / "one.ckpt", options={"steps": 3, "save_every": 2}, progress=lambda *a: alone.append(a[2]))
    two, one = load_checkpoint(tmp_path / "two.ckpt"), load_checkpoint(tmp_path / "one.ckpt")
    assert (two.meta.world_size, one.meta.world_size, two.meta.steps) == (2, 1, 3) and two.training is None
    # Attention's key bias gets no gradient (softmax ignores it): its rounding noise, which
    # Adam scales up to the rate, differs with the order of the sums; every other tensor agrees
    # to float32 rounding.
    rate = recipe(steps=3).options.peak_lr
    for key, value in one.model.state_dict().items():
        tolerance = rate if key.endswith("in_proj_bias") else 1e-6
        assert torch.allclose(value, two.model.state_dict()[key], rtol=0, atol=tolerance), key
    assert losses == pytest.approx(alone, rel=1e-4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.ckpt", "two.ckpt"]


def test_a_run_records_no_words_unless_given_and_only_its_own_seconds(tmp_path):
    import time

    started = time.perf_counter()
    result = run(tmp_path / "a.ckpt")
    took = time.perf_counter() - started
    assert (result.meta.trained_on, result.meta.command) == ("", "")
    assert 0 <= result.meta.train_seconds <= took + 0.05


def test_another_kind_resumes_and_starts_from_its_own_checkpoints(tmp_path):
    """The loop reads checkpoints of the recipe's kind (a contrastive model here, not an MAE)."""
    from summarize.networks import ContrastiveConfig
    from summarize.training.contrastive import ContrastiveOptions, contrastive_recipe

    sequences = corpus(40, 50, 30)
    config = ContrastiveConfig(feature_dim=16, d_model=32, layers=1, ffn_dim=64)

    def contrastive(out, **kwargs):
        r = contrastive_recipe(sequences, ContrastiveOptions(epochs=2, batch_size=2, save_every=1, seed=5), config,
                               backbone=BACKBONE, sampling_fps=2.0)
        return fit(r, out, backbone=BACKBONE, fingerprint=data_fingerprint(sequences), **kwargs)

    contrastive(tmp_path / "whole.ckpt")

    def stop(step, total, loss, lr):
        if step == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        contrastive(tmp_path / "part.ckpt", progress=stop)
    assert contrastive(tmp_path / "part.ckpt", resume=True).resumed_from == 1
    whole = load_checkpoint(tmp_path / "whole.ckpt", "contrastive").model.state_dict()
    assert same_weights(load_checkpoint(tmp_path / "part.ckpt", "contrastive").model.state_dict(), whole)
    started = contrastive(tmp_path / "on.ckpt", init=tmp_path / "whole.ckpt")
    assert started.meta.trained_on.startswith(" (starting from whole.ckpt")


def test_the_seconds_recorded_are_the_training_steps_own_summed_over_a_resumed_run(tmp_path, monkeypatch):
    """A clock that moves 0.25 s between readings: the loop reads it around each stretch of
    steps between checkpoints (5 steps, a checkpoint every 2: three stretches), and a resumed
    run adds its stretches to the seconds saved."""
    from types import SimpleNamespace

    ticks = iter(np.arange(0, 1000, 0.25))
    monkeypatch.setattr(loop, "time", SimpleNamespace(perf_counter=lambda: float(next(ticks))))
    assert run(tmp_path / "a.ckpt", options={"save_every": 2}).meta.train_seconds == 0.8  # 3 x 0.25, to 0.1

    def stop(step, total, loss, lr):
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "b.ckpt", options={"save_every": 2}, progress=stop)
    saved = load_checkpoint(tmp_path / "b.ckpt")
    assert saved.training["seconds"] == 0.25 and saved.meta.train_seconds == 0.2  # one stretch
    assert run(tmp_path / "b.ckpt", resume=True).meta.train_seconds == 0.8  # and two more


def test_the_second_of_two_processes_takes_its_share_reports_the_mean_and_writes_nothing(tmp_path, monkeypatch):
    """One process as the second of two, the collectives faked (the other process's loss is
    taken to be 3): its half of each batch and its own dropout seed, the loss shown is the mean
    over both, its model is wrapped for DDP (no device ids on a CPU), it waits at each
    checkpoint and leaves the writing to the first process."""
    shares, seeds, reduced, waits, wrapped = [], [], [], [], []

    class Spying(MAERecipe):
        def batch(self, step, rank=0, world_size=1):
            shares.append((step, rank, world_size))
            return super().batch(step, rank, world_size)

        def step_seed(self, step, rank=0):
            seeds.append((step, rank))
            return None

    def all_reduce(tensor):
        reduced.append(float(tensor))
        tensor += 3.0

    class FakeDDP(torch.nn.Module):
        def __init__(self, module, device_ids=None):
            super().__init__()
            self.module = module
            wrapped.append(device_ids)

        def forward(self, *args, **kwargs):
            return self.module(*args, **kwargs)

    monkeypatch.setattr(torch.distributed, "all_reduce", all_reduce)
    monkeypatch.setattr(torch.distributed, "barrier", lambda: waits.append(1))
    monkeypatch.setattr(torch.nn.parallel, "DistributedDataParallel", FakeDDP)
    sequences = corpus(90, 60)
    r = Spying([s.features for s in sequences], TINY,
               TrainOptions(steps=3, batch_size=4, base_lr=1e-2, seed=3, save_every=2), backbone=BACKBONE)
    losses = []
    fit(r, tmp_path / "a.ckpt", backbone=BACKBONE, fingerprint=data_fingerprint(sequences),
        dist=Distributed(rank=1, world_size=2), progress=lambda *a: losses.append(a[2]))
    assert shares == [(0, 1, 2), (1, 1, 2), (2, 1, 2)] and seeds == [(0, 1), (1, 1), (2, 1)]
    assert losses == pytest.approx([(x + 3.0) / 2 for x in reduced]) and len(reduced) == 3
    assert wrapped == [None] and len(waits) == 2  # after steps 2 and 3
    assert list(tmp_path.iterdir()) == []
    # and each half is that process's share of the whole batch
    whole, first, second = r.batch(0), r.batch(0, 0, 2), r.batch(0, 1, 2)
    assert torch.equal(torch.cat([first[0], second[0]]), whole[0])
