"""Decoding beside the network on a CPU (issue 11): PyAV, the default decoder, decodes ahead in
a thread while the network encodes, with the same features as decoding and encoding in turn;
decord, which holds the GIL while it decodes, takes turns with the network."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from summarize import Summarizer
from summarize.decoding.decord_backend import DecordDecoder
from summarize.decoding.pyav_backend import PyAVDecoder
from summarize.decoding.ranges import RangeDecoder
from summarize.features import overlap_seconds


def _decoding_threads(monkeypatch, *decoder_classes) -> set[str]:
    """Records the name of every thread the classes' ``iter_batches`` run in."""
    names: set[str] = set()

    def recorder(original):
        def recorded(self, plan, batch_size):
            names.add(threading.current_thread().name)
            yield from original(self, plan, batch_size)
        return recorded

    for decoder_class in decoder_classes:
        monkeypatch.setattr(decoder_class, "iter_batches", recorder(decoder_class.iter_batches))
    return names


def test_pyav_decodes_ahead_of_the_network_with_the_same_features(four_scene_video, monkeypatch):
    summarizer = Summarizer(cache=False, device="cpu")
    names = _decoding_threads(monkeypatch, PyAVDecoder, RangeDecoder)  # ranges where there are two cores
    ahead = summarizer.features(four_scene_video.path)
    assert ahead.info.backend == "pyav"
    assert names == {"summarize-decode"}
    assert {"decode", "features", "decode_wait", "decode_features_overlap"} <= set(ahead.timings)
    assert 0 <= ahead.timings["decode_features_overlap"] <= min(ahead.timings["decode"], ahead.timings["features"])

    names.clear()
    monkeypatch.setattr(PyAVDecoder, "releases_gil", False)  # as before: decode, then encode, in turn
    in_turn = summarizer.features(four_scene_video.path)
    assert names == {threading.current_thread().name}
    assert in_turn.timings["decode_features_overlap"] == 0.0
    assert np.array_equal(ahead.features, in_turn.features)


def test_decord_takes_turns_with_the_network(four_scene_video, monkeypatch):
    names = _decoding_threads(monkeypatch, DecordDecoder)
    feats = Summarizer(cache=False, device="cpu", decoder="decord").features(four_scene_video.path)
    assert feats.info.backend == "decord"
    assert names == {threading.current_thread().name}


@pytest.mark.parametrize(("a", "b", "expected"), [
    ([], [(0.0, 1.0)], 0.0),
    ([(0.0, 1.0)], [(1.0, 2.0)], 0.0),
    ([(0.0, 2.0)], [(1.0, 3.0)], 1.0),
    ([(0.0, 1.0), (2.0, 3.0), (4.0, 5.0)], [(0.5, 4.5)], 2.0),
    ([(0.0, 10.0)], [(1.0, 2.0), (3.0, 4.0), (9.5, 11.0)], 2.5),
])
def test_overlap_seconds_counts_the_time_inside_both(a, b, expected):
    assert overlap_seconds(a, b) == pytest.approx(expected)
    assert overlap_seconds(b, a) == pytest.approx(expected)


def test_the_decoding_thread_stops_before_the_video_closes_when_the_network_fails(four_scene_video, monkeypatch):
    # A thread left decoding from a closed container crashed the process (a Ctrl-C during
    # "Decoding + features" ended in a segmentation fault).
    summarizer = Summarizer(cache=False, device="cpu", batch_size=4)
    backbone = summarizer.backbone
    calls = []

    def failing(frames):
        calls.append(len(frames))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(frames)

    original = backbone.encode
    monkeypatch.setattr(backbone, "encode", failing)
    alive_at_close = []
    original_close = PyAVDecoder.close

    def close(self):
        alive_at_close.append(sorted(t.name for t in threading.enumerate() if t.name == "summarize-decode"))
        original_close(self)

    monkeypatch.setattr(PyAVDecoder, "close", close)
    with pytest.raises(KeyboardInterrupt):
        summarizer.features(four_scene_video.path)
    assert len(calls) == 2
    assert alive_at_close == [[]]
    assert not [t for t in threading.enumerate() if t.name == "summarize-decode"]
