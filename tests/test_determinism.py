"""Same input, same options, same summary: whatever the thread count or the batch job count
(issue 10, defect 4). Every file is generated here (see tests/damaged.py).
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from summarize import Summarizer
from summarize.batch import run_batch
from summarize.errors import InputError
from tests import damaged
from tests.synthetic import write_video


@contextlib.contextmanager
def torch_threads(count: int):
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def essential(document: dict) -> dict:
    """A summary JSON without what may differ between equal runs: when, how fast, where written."""
    document = json.loads(json.dumps(document))
    document.pop("run")
    document["outputs"].pop("json")
    document["outputs"].pop("video")
    return document


@pytest.fixture(scope="module")
def rotten(tmp_path_factory) -> Path:
    """Bit rot at 60% of an 8-second H.264 file: the decoder rejects packets around 5 s."""
    folder = tmp_path_factory.mktemp("rotten")
    clean = write_video(folder / "clean.mp4", [(k, 2.0) for k in range(4)], width=96, height=64).path
    path = damaged.bit_rot(clean, folder / "rotten.mp4", at=0.6, length=2000, seed=6)
    clean.unlink()
    return path


def test_salvage_gives_the_same_json_whatever_the_thread_counts(tmp_path, rotten):
    documents = []
    for number, (decoder_threads, network_threads) in enumerate(((1, 1), (4, 2), (3, 3))):
        with torch_threads(network_threads):
            result = Summarizer(cache=False, device="cpu", salvage=True, threads=decoder_threads).summarize(
                rotten, tmp_path / f"out{number}", write_video=False)
        documents.append(essential(result.document))
    assert documents[0]["input"]["damaged"], "the rot must be seen for the test to mean anything"
    for other in documents[1:]:
        assert other["input"]["damaged"] == documents[0]["input"]["damaged"]
        assert other["samples"]["score"] == documents[0]["samples"]["score"]
        assert other == documents[0]


def test_features_do_not_depend_on_the_thread_count(four_scene_video):
    summarizer = Summarizer(cache=False, device="cpu")
    features = []
    for count in (1, 2, 3):
        with torch_threads(count):
            features.append(summarizer.features(four_scene_video.path).features)
    assert all(np.array_equal(features[0], f) for f in features[1:])


def test_the_damage_named_by_default_does_not_depend_on_the_decoder_threads(rotten):
    messages = set()
    for threads in (1, 2, 5):
        with pytest.raises(InputError) as info:
            Summarizer(cache=False, device="cpu", threads=threads).analyze(rotten)
        messages.add(str(info.value))
    assert len(messages) == 1, messages
    assert re.search(r"is damaged at [0-9.]+ s of 8\.00 s", messages.pop())


@pytest.mark.slow
def test_batch_with_one_or_two_jobs_gives_the_same_summaries(tmp_path, rotten):
    folder = tmp_path / "videos"
    folder.mkdir()
    clean = write_video(tmp_path / "clean.mp4", [(k, 1.5) for k in (4, 5, 6, 7)], width=96, height=64).path
    (folder / "a-rotten.mp4").write_bytes(rotten.read_bytes())
    damaged.bit_rot(clean, folder / "b-rotten.mp4", at=0.4, length=1500, seed=3)
    runs = []
    for jobs in (1, 2):
        out = tmp_path / f"out-jobs{jobs}"
        report = run_batch(folder, out, jobs=jobs, write_video=False, cache=False, device="cpu", salvage=True)
        assert report.count("ok") == 2, [e.reason for e in report.entries]
        runs.append({p.name: essential(json.loads(p.read_text())) for p in sorted(out.glob("*.summary.json"))})
    assert runs[0]["a-rotten.summary.json"]["input"]["damaged"]
    assert runs[0] == runs[1]
