"""The chance baseline: its draws are pinned for a fixed input, follow the seed and the
features' content (not the order videos come in), and bad seeds are one-line usage errors."""

import numpy as np
import pytest

from summarize.errors import UsageError
from summarize.scoring import get_scorer
from summarize.scoring.random_scores import RandomScorer, features_digest

FEATURES = np.arange(12, dtype=np.float32).reshape(3, 4)


def test_the_draws_for_a_fixed_input_are_pinned():
    # numpy PCG64 seeded by (seed, BLAKE2b-64 of the feature bytes, little-endian): changing
    # any of it changes every random summary and the random baseline of `summarize eval`.
    assert features_digest(FEATURES) == 15726285675341881625
    assert RandomScorer(seed=7).score(FEATURES).tolist() == pytest.approx(
        [0.17330312728315278, 0.711076454685202, 0.9399033745218983], abs=1e-15)
    assert RandomScorer().score(FEATURES).tolist() == pytest.approx(
        [0.591824548169835, 0.014226752712597213, 0.7060856910924271], abs=1e-15)


def test_the_digest_follows_the_content_not_the_memory_layout():
    strided = np.asfortranarray(FEATURES)
    assert features_digest(strided) == features_digest(FEATURES)
    assert features_digest(FEATURES[::-1]) != features_digest(FEATURES)
    assert 0 <= features_digest(FEATURES) < 2 ** 64


def test_scores_are_uniform_in_the_unit_interval_one_per_sample():
    scores = RandomScorer(seed=1).score(np.random.default_rng(0).random((4000, 8)).astype(np.float32))
    assert scores.shape == (4000,) and scores.min() >= 0 and scores.max() < 1
    assert abs(scores.mean() - 0.5) < 0.02 and abs(np.mean(scores < 0.25) - 0.25) < 0.02


def test_the_scorer_says_it_is_stochastic_and_how_it_draws():
    scorer = get_scorer("random", seed=3)
    assert scorer.stochastic is True and scorer.name == "random"
    assert scorer.params == {"seed": 3, "distribution": "uniform [0, 1)",
                             "stream": "numpy PCG64 seeded by (seed, BLAKE2b of the features)"}
    assert "chance" in scorer.description


@pytest.mark.parametrize("seed", [-1, True, 1.5, "2"])
def test_a_seed_that_is_not_a_non_negative_integer_is_a_usage_error(seed):
    with pytest.raises(UsageError, match=rf"^random: seed must be a non-negative integer, got {seed!r}$"):
        RandomScorer(seed=seed)
    assert RandomScorer(seed=0).seed == 0
