"""``--seed`` of ``summarize train mae|contrastive``, through the command line on CPU: it fixes
the initial weights themselves (two seeds start from different weights, one seed from the
same), not only the batches drawn; and one seed gives bit-identical checkpoints.

The weights a run starts from are read where training begins (the loop's first step), so
whatever made them (the recipe, the seeding around it) is what is tested.
"""

from __future__ import annotations

from dataclasses import asdict

import pytest
import torch

import summarize.training.loop as loop
from summarize._cli import main
from summarize.networks import MAEConfig, load_checkpoint
from summarize.training.mae import new_model
from tests.test_mae import _toy_h5

pytestmark = pytest.mark.slow  # five runs of the command line (a minute): out of the quick subset

ARGS = {"mae": ["--steps", "2", "--batch-size", "4"], "contrastive": ["--epochs", "1", "--batch-size", "2"]}


@pytest.fixture
def starts(monkeypatch):
    """The weights of every run that starts training from step 0 in this test, in order."""
    seen: list[dict[str, torch.Tensor]] = []
    real = loop.train_steps

    def first_step(model, recipe, optimizer, start, stop, *args, **kwargs):
        if start == 0:
            seen.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        return real(model, recipe, optimizer, start, stop, *args, **kwargs)

    monkeypatch.setattr(loop, "train_steps", first_step)
    return seen


def _train(kind: str, h5, out, seed: int):
    with pytest.raises(SystemExit) as done:
        main(["train", kind, "--features", str(h5), "-o", str(out), "--seed", str(seed), "--device", "cpu", "-q",
              *ARGS[kind]])
    assert done.value.code == 0
    return load_checkpoint(out, kind)


def _equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    """Bit for bit: the same tensors, dtypes and values."""
    return a.keys() == b.keys() and all(a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]) for k in a)


def _drawn(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> list[str]:
    """The tensors two initialisations drew differently; asserts every other one is a constant
    (zero biases, unit gains, fixed position tables): a random tensor the seed left alone fails."""
    same = [k for k in a if torch.equal(a[k], b[k])]
    for k in same:
        assert a[k].numel() == 1 or a[k].unique().numel() == 1 or k.endswith("pos"), \
            f"{k}: drawn at random, yet the same under two seeds"
    return [k for k in a if k not in same]


@pytest.mark.parametrize("kind", ["mae", "contrastive"])
def test_the_seed_fixes_the_initial_weights_and_the_checkpoint_bit_for_bit(kind, tmp_path, starts):
    h5 = _toy_h5(tmp_path / "toy.h5")
    one = _train(kind, h5, tmp_path / "one.ckpt", seed=1)
    again = _train(kind, h5, tmp_path / "again.ckpt", seed=1)
    other = _train(kind, h5, tmp_path / "other.ckpt", seed=2)
    assert len(starts) == 3
    # the initial weights themselves: one seed, one start; another seed, other random tensors
    assert _equal(starts[0], starts[1])
    drawn = _drawn(starts[0], starts[2])
    assert len(drawn) >= len(starts[0]) // 3, drawn
    # the same seed, the same checkpoint to the bit (all but when it was made and how long it took)
    assert _equal(one.model.state_dict(), again.model.state_dict())
    record = {k: v for k, v in asdict(one.meta).items() if k not in ("created", "train_seconds")}
    assert record == {k: v for k, v in asdict(again.meta).items() if k not in ("created", "train_seconds")}
    assert record["seed"] == 1 and other.meta.seed == 2
    assert not _equal(one.model.state_dict(), other.model.state_dict())
    # and the weights training moved away from
    assert not _equal(one.model.state_dict(), starts[0])


def test_the_mae_command_starts_from_the_documented_seeded_model(tmp_path, starts):
    """``summarize.training.mae.new_model(config, seed)`` is the start of ``train mae --seed``."""
    h5 = _toy_h5(tmp_path / "toy.h5")
    _train("mae", h5, tmp_path / "seven.ckpt", seed=7)
    fresh = new_model(MAEConfig.sized("small", feature_dim=1280), 7).state_dict()
    assert _equal(starts[0], fresh)
    assert not _equal(starts[0], new_model(MAEConfig.sized("small", feature_dim=1280), 8).state_dict())
