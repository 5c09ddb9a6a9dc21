"""What a user gets, pinned: the shots each method selects and its benchmark numbers.

The values live in ``tests/pinned/reference.json``; ``tests/pin.py`` computes them and says
how to regenerate the file when a change is intended (in the same commit, with the reason).
"""

import json

import pytest

from tests import pin


def _check(name):
    actual = json.loads(json.dumps(pin.CASES[name][0]()))
    problems = pin.check(name, actual)
    assert not problems, pin.failure_message(name, problems)


@pytest.mark.parametrize("name", [n for n, (_, slow) in pin.CASES.items() if not slow])
def test_generated_video_and_protocols_give_the_pinned_values(name):
    _check(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, (_, slow) in pin.CASES.items() if slow])
def test_real_videos_give_the_pinned_shots_and_numbers(name, data_dir):
    _check(name)


def test_a_changed_number_fails_with_the_way_to_accept_it():
    pinned = pin.load()["four_scenes/contrastive"]
    moved = json.loads(json.dumps(pinned))
    moved["selected"][0][0] += 1  # every shot start one frame later: what the audit planted
    problems = pin.check("four_scenes/contrastive", moved)
    assert problems == [f"selected[0][0]: pinned {pinned['selected'][0][0]}, now {pinned['selected'][0][0] + 1}"]
    message = pin.failure_message("four_scenes/contrastive", problems)
    assert "python -m tests.pin --update four_scenes/contrastive" in message
    assert "tests/pinned/reference.json" in message
    assert pin.differences({"f1": 0.5}, {"f1": 0.5 + 2 * pin.FLOAT_TOLERANCE}) != []
    assert pin.differences({"f1": 0.5}, {"f1": 0.5 + pin.FLOAT_TOLERANCE / 2}) == []
    assert pin.differences({"a": [1, 2]}, {"a": [1, 2, 3]}) != [] and pin.differences({"a": 1}, {}) != []
