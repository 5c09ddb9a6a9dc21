"""The chance baseline: its draws are pinned for a fixed input, follow the seed and the
video's identity (not the features' last bits, nor the order videos come in), and bad seeds
are one-line usage errors."""

import numpy as np
import pytest

from summarize.errors import UsageError
from summarize.scoring import get_scorer
from summarize.scoring.random_scores import RandomScorer, draw_identity, identity_digest

FEATURES = np.arange(12, dtype=np.float32).reshape(3, 4)


def test_the_draws_for_a_fixed_input_are_pinned():
    # numpy PCG64 seeded by (seed, BLAKE2b-64 of the identity, little-endian): changing any
    # of it changes every random summary and the random baseline of `summarize eval`.
    assert identity_digest("video-a") == 15854581030435441434
    assert RandomScorer(seed=7).score(FEATURES, identity="video-a").tolist() == pytest.approx(
        [0.34682627108844877, 0.06632945349369224, 0.5499882258033563], abs=1e-15)
    assert RandomScorer().score(FEATURES, identity="video-a").tolist() == pytest.approx(
        [0.7652986944891127, 0.06408709198099727, 0.8156610207258357], abs=1e-15)
    # A caller with no identity gets a draw seeded by the number of samples alone.
    assert draw_identity(None, 3) == "samples:3" and draw_identity("x", 3) == "x"
    assert RandomScorer().score(FEATURES).tolist() == pytest.approx(
        [0.29300579505846847, 0.4612787087122101, 0.8717369110896128], abs=1e-15)


def test_features_that_differ_in_the_last_bit_give_the_same_draw():
    # Another decoder or PyTorch build changes features in their last bits: the chance
    # summary of the same file and seed must not move (it redrew every score before).
    features = np.random.default_rng(0).random((50, 8)).astype(np.float32)
    nudged = np.nextafter(features, np.float32(2))
    assert (nudged != features).all()
    scorer = RandomScorer(seed=3)
    assert scorer.score(nudged, identity="abc").tolist() == scorer.score(features, identity="abc").tolist()
    assert scorer.score(features, identity="abd").tolist() != scorer.score(features, identity="abc").tolist()


def test_the_identity_takes_any_file_name_bytes():
    undecodable = b"bad\xff\xfe.mp4".decode("utf-8", "surrogateescape")
    assert 0 <= identity_digest(undecodable) < 2 ** 64
    assert identity_digest(undecodable) != identity_digest("bad.mp4")


def test_scores_are_uniform_in_the_unit_interval_one_per_sample():
    scores = RandomScorer(seed=1).score(np.zeros((4000, 8), dtype=np.float32), identity="v")
    assert scores.shape == (4000,) and scores.min() >= 0 and scores.max() < 1
    assert abs(scores.mean() - 0.5) < 0.02 and abs(np.mean(scores < 0.25) - 0.25) < 0.02


def test_the_scorer_says_it_is_stochastic_and_how_it_draws():
    scorer = get_scorer("random", seed=3)
    assert scorer.stochastic is True and scorer.name == "random"
    assert scorer.params == {"seed": 3, "distribution": "uniform [0, 1)",
                             "stream": "numpy PCG64 seeded by (seed, BLAKE2b of the video's identity)"}
    assert "chance" in scorer.description


@pytest.mark.parametrize("seed", [-1, True, 1.5, "2"])
def test_a_seed_that_is_not_a_non_negative_integer_is_a_usage_error(seed):
    with pytest.raises(UsageError, match=rf"^random: seed must be a non-negative integer, got {seed!r}$"):
        RandomScorer(seed=seed)
    assert RandomScorer(seed=0).seed == 0
