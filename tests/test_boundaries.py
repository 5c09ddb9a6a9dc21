"""Shot boundaries on the cut frame (summarize/boundaries.py): hard cuts found to the frame,
dissolves and flashes left on the sample, and summaries that hold no frame of a dropped shot."""

from __future__ import annotations

import json
from fractions import Fraction

import av
import numpy as np
import pytest

from summarize.boundaries import CUT, SAMPLE, find_cut, refine_boundaries
from summarize.decoding import open_video, plan_samples
from tests.synthetic import N_KINDS, scene_frames, scene_image, write_frames, write_video

W, H = 96, 72


def frames_of(kind: int, n: int) -> list[np.ndarray]:
    return list(scene_frames(kind, n, W, H))


def dissolve(a: np.ndarray, b: np.ndarray, n: int) -> list[np.ndarray]:
    """n frames blending from a to b (neither end included)."""
    return [((1 - t) * a + t * b).astype(np.uint8) for t in np.arange(1, n + 1) / (n + 1)]


# ---- the clear-cut test on frames ---------------------------------------------------------


def test_a_hard_cut_is_found_on_its_first_frame_despite_fast_motion():
    frames = np.stack(frames_of(0, 9) + frames_of(1, 7))  # both scenes pan 3 pixels a frame
    assert find_cut(frames, 100, range(101, 116)) == 109
    assert find_cut(frames, 100, range(101, 109)) is None  # the cut is not among the candidates


def test_a_dissolve_has_no_clear_cut():
    a, b = frames_of(2, 1)[0], frames_of(5, 1)[0]
    frames = np.stack([a] * 3 + dissolve(a, b, 12) + [b] * 3)
    assert find_cut(frames, 0, range(1, len(frames))) is None


@pytest.mark.parametrize("at", [1, 6, 13])  # at the window's first candidate, inside, at its last frame but one
def test_a_flash_in_a_static_shot_is_no_cut(at):
    still = scene_image(4, W, H)
    frames = np.stack([still] * 15)
    frames[at] = 255  # one white frame
    assert find_cut(frames, 0, range(1, 14)) is None


def test_a_static_shot_with_noise_has_no_cut():
    rng = np.random.default_rng(0)
    still = scene_image(6, W, H).astype(np.int16)
    frames = np.stack([np.clip(still + rng.integers(-3, 4, still.shape), 0, 255).astype(np.uint8) for _ in range(15)])
    assert find_cut(frames, 0, range(1, 15)) is None


def _plain_hsv(rgb: np.ndarray) -> np.ndarray:
    """The textbook formula, three hues computed everywhere (what ``boundaries.hsv`` must equal)."""
    rgb = rgb.astype(np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    v = rgb.max(axis=-1)
    spread = v - rgb.min(axis=-1)
    s = np.where(v > 0, 255.0 * spread / np.maximum(v, 1e-6), 0.0)
    safe = np.maximum(spread, 1e-6)
    h = np.where(v == r, 60.0 * (g - b) / safe,
                 np.where(v == g, 120.0 + 60.0 * (b - r) / safe, 240.0 + 60.0 * (r - g) / safe))
    h = np.where(spread > 0, np.mod(h, 360.0), 0.0) / 2.0
    return np.stack([h, s, v], axis=-1)


def test_the_fast_hsv_gives_the_plain_formulas_values_on_every_colour():
    from summarize.boundaries import hsv

    steps = np.unique(np.r_[np.arange(0, 256, 5), [1, 2, 254, 255]]).astype(np.uint8)
    colours = np.stack(np.meshgrid(steps, steps, steps, indexing="ij"), axis=-1).reshape(1, -1, 1, 3)
    fast, plain = hsv(colours), _plain_hsv(colours)
    assert fast.dtype == plain.dtype and fast.shape == plain.shape
    assert np.array_equal(fast, plain)  # the same values, so the same cuts (and cached cuts stay valid)


# ---- on a decoded video: the intervals of given change points -----------------------------


@pytest.fixture(scope="module")
def transitions(tmp_path_factory):
    """25 fps: scene 0 for 57 frames, a hard cut to scene 1 (frame 57, between the samples at
    frames 50 and 62), 40 frames of it, a 30-frame dissolve to a still of scene 3 (frames
    97-126), the still until frame 190 with a white flash at frame 160, then scene 7."""
    still = scene_image(3, W, H)
    one = frames_of(1, 40)
    frames = frames_of(0, 57) + one + dissolve(one[-1], still, 30) + [still] * 63
    frames[160] = np.full_like(still, 255)
    frames += frames_of(7, 40)
    path = write_frames(tmp_path_factory.mktemp("transitions") / "transitions.mp4", frames, fps=25, width=W, height=H)
    with open_video(path) as video:
        times, info = video.frame_times, video.info
    plan = plan_samples(times, info.duration, 2.0)
    return path, times, info, plan.frame_indices


def _refine(transitions, change_points):
    path, times, info, samples = transitions
    return refine_boundaries(path, times, info.start_time, info.duration, samples, change_points)


def test_change_points_move_to_the_cut_frame_and_nowhere_else(transitions):
    samples = transitions[3]
    at = {int(f): k for k, f in enumerate(samples)}
    cut, in_dissolve, flash, last = at[62], at[112], at[162], at[200]  # the samples just after each
    assert samples[cut - 1] < 57 <= samples[cut] and samples[flash - 1] < 160 <= samples[flash]
    found = _refine(transitions, [cut, in_dissolve, flash, last])
    assert [(b.frame, b.kind) for b in found] == [(57, CUT), (112, SAMPLE), (162, SAMPLE), (190, CUT)]


def test_cuts_looked_for_once_are_not_decoded_again(transitions, tmp_path, monkeypatch):
    from summarize import boundaries

    path, times, info, samples = transitions
    cache = boundaries.BoundaryCache(tmp_path / "cuts")
    first = refine_boundaries(path, times, info.start_time, info.duration, samples, [5, 9], cache=cache, digest="x")
    monkeypatch.setattr(boundaries, "_decode_range", lambda *a: pytest.fail("decoded again"))
    again = refine_boundaries(path, times, info.start_time, info.duration, samples, [5, 9], cache=cache, digest="x")
    assert again == first and [b.kind for b in first] == [CUT, SAMPLE]
    (tmp_path / "cuts" / next(p.name for p in (tmp_path / "cuts").iterdir())).write_text("{not json")
    monkeypatch.undo()
    assert refine_boundaries(path, times, info.start_time, info.duration, samples, [5, 9], cache=cache,
                             digest="x") == first  # a damaged entry is looked for again


def test_two_readers_side_by_side_find_what_one_finds(transitions, monkeypatch):
    from summarize import boundaries
    from summarize.outputs import video

    samples = transitions[3]
    at = {int(f): k for k, f in enumerate(samples)}
    change_points = [at[62], at[112], at[162], at[200]]
    monkeypatch.setattr(boundaries, "_layout", lambda threads: (1, 0))
    one = _refine(transitions, change_points)
    opened = []
    monkeypatch.setattr(video.Cutter, "close", lambda self, close=video.Cutter.close: (opened.append(self), close(self)))
    monkeypatch.setattr(boundaries, "_layout", lambda threads: (2, 1))
    two = _refine(transitions, change_points)
    assert two == one
    assert [(b.frame, b.kind) for b in two] == [(57, CUT), (112, SAMPLE), (162, SAMPLE), (190, CUT)]
    assert 1 <= len(opened) <= 2 and len(set(map(id, opened))) == len(opened)  # each reader closed once
    assert all(r.stream.thread_count == 1 for r in opened)


def test_the_search_reads_as_the_range_decoders_do(monkeypatch):
    from summarize import boundaries
    from summarize.decoding import ranges

    monkeypatch.delenv(ranges.WORKERS_ENV, raising=False)
    monkeypatch.setattr(ranges, "available_cores", lambda: 2)
    assert boundaries._layout(0) == (2, 1)  # two cores: two readers of one thread each
    assert boundaries._layout(1) == (1, 1)  # --threads 1: one thread in all
    monkeypatch.setattr(ranges, "available_cores", lambda: 1)
    assert boundaries._layout(0) == (1, 0)
    monkeypatch.setattr(ranges, "available_cores", lambda: 8)
    assert boundaries._layout(0) == (4, 2)  # the range decoders' layout where there are cores for it


def test_frames_that_cannot_be_read_again_keep_the_samples(transitions, tmp_path):
    path, times, info, samples = transitions
    gone = tmp_path / "gone.mp4"
    found = refine_boundaries(gone, times, info.start_time, info.duration, samples, [5])
    assert [(b.frame, b.kind) for b in found] == [(int(samples[5]), SAMPLE)]
    # A clock that does not match the index (another file's timestamps): the frames decoded
    # are not the ones asked for, so nothing moves.
    shifted = refine_boundaries(path, times + 0.013, info.start_time, info.duration, samples, [5])
    assert [(b.frame, b.kind) for b in shifted] == [(int(samples[5]), SAMPLE)]


# ---- end to end: kept shots start and end on the cuts, the MP4 holds only kept scenes ------

# Cut times (3.3, 6.2, 10.65, ... s) fall between the samples (every 0.5 s) at every rate tested.
SCENES = [(k, s) for k, s in zip(range(N_KINDS), (3.3, 2.9, 4.45, 3.15, 2.8, 3.6, 2.35, 3.8))]


def _scene_of_frames(frames: np.ndarray, references: np.ndarray) -> np.ndarray:
    """The scene each frame shows: the one whose texture's mean colour is nearest."""
    means = frames.reshape(len(frames), -1, 3).mean(axis=1)
    return np.argmin(np.linalg.norm(means[:, None, :] - references[None], axis=2), axis=1)


@pytest.mark.slow
@pytest.mark.parametrize("fps", [10, 25, Fraction(30000, 1001), 60])
def test_kept_shots_start_and_end_on_the_cuts_and_the_summary_holds_only_them(fps, tmp_path):
    from summarize import summarize_video

    video = write_video(tmp_path / "cuts.mp4", SCENES, width=160, height=120, fps=fps)
    truth = np.searchsorted(video.cut_frames, np.arange(video.n_frames), side="right")  # scene of every frame
    assert not set(video.cut_frames) & set(plan_samples(video.frame_times, video.duration, 2.0).frame_indices)
    result = summarize_video(video.path, tmp_path, budget=0.4, cache=False, device="cpu")
    doc = json.loads(result.json_path.read_text())
    edges = {0, video.n_frames, *video.cut_frames}
    splits = {s["start_frame"] for s in doc["shots"] if s["split"]}
    kept = [s for s in doc["shots"] if s["selected"]]
    assert len(kept) >= 3
    for shot in kept:
        for edge in (shot["start_frame"], shot["end_frame"]):
            assert edge in splits or min(abs(edge - e) for e in edges) <= 1, (shot, sorted(edges))
    assert [s["boundary"] for s in doc["shots"] if s["start_frame"] in video.cut_frames] == ["cut"] * len(
        video.cut_frames)

    kept_frames = np.concatenate([np.arange(s["start_frame"], s["end_frame"]) for s in kept])
    expected = np.bincount(truth[kept_frames], minlength=len(SCENES))
    references = np.stack([scene_image(k, 160, 120).reshape(-1, 3).mean(axis=0) for k, _ in SCENES])
    with av.open(str(result.video_path)) as container:
        shown = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    got = np.bincount(_scene_of_frames(shown, references), minlength=len(SCENES))
    assert got.tolist() == expected.tolist()  # every frame of the kept scenes, none of the others
