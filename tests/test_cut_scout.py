"""Cut frames decided while the first pass decodes (summarize/cut_scout.py): the full search's
answer wherever the first pass saw the frames that decide it, undecided elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from summarize.boundaries import CUT, SAMPLE, _windows, find_cut, refine_boundaries
from summarize.cut_scout import NONE, UNKNOWN, CutScout, decide
from summarize.decoding import open_video, plan_samples
from tests.synthetic import scene_frames, scene_image, write_video

W, H = 96, 72


def _scene(kind: int, n: int) -> list[np.ndarray]:
    return list(scene_frames(kind, n, W, H))


def _full(frames: np.ndarray, first: int, lo: int, hi: int):
    return find_cut(frames, first, range(lo + 1, hi + 1))


def _as_decided(result) -> int | None:
    kind, frame = result
    assert kind != UNKNOWN
    return frame


# ---- every frame decoded: find_cut's answer, window for window ----------------------------


def _clips() -> dict[str, np.ndarray]:
    a, b = scene_image(2, W, H), scene_image(5, W, H)
    dissolve = [((1 - t) * a + t * b).astype(np.uint8) for t in np.arange(1, 13) / 13]
    flash = np.stack([scene_image(4, W, H)] * 20)
    flash[9] = 255
    rng = np.random.default_rng(0)
    noisy = np.stack([np.clip(scene_image(6, W, H).astype(np.int16) + rng.integers(-3, 4, (H, W, 3)), 0, 255)
                      .astype(np.uint8) for _ in range(20)])
    return {"cut in motion": np.stack(_scene(0, 9) + _scene(1, 11)),
            "two cuts": np.stack(_scene(3, 6) + _scene(7, 5) + _scene(1, 9)),
            "dissolve": np.stack([a] * 4 + dissolve + [b] * 4),
            "flash": flash, "noise": noisy}


@pytest.mark.parametrize("name", list(_clips()))
def test_with_every_frame_decoded_the_answer_is_the_full_searchs(name):
    frames = _clips()[name]
    for lo in range(1, len(frames) - 3):
        for hi in range(lo + 1, min(lo + 16, len(frames) - 1)):
            a, b = lo - 1, hi + 1
            window = frames[a : b + 1]
            assert _as_decided(decide(window, list(range(a, b + 1)), lo, hi)) == _full(window, a, lo, hi), (lo, hi)


# ---- frames the first pass skipped -----------------------------------------------------------


def _skipping(frames: np.ndarray, skipped: set[int], a: int, b: int):
    kept = [i for i in range(a, b + 1) if i not in skipped]
    return frames[kept], kept


def test_a_cut_beside_decoded_frames_is_decided_with_others_skipped():
    frames = np.stack(_scene(0, 9) + _scene(1, 11))  # the cut at frame 9, both scenes pan
    thumbs, kept = _skipping(frames, {3, 6, 12, 15}, 0, 18)
    assert decide(thumbs, kept, 1, 17) == (CUT, 9) and _full(frames[0:19], 0, 1, 17) == 9


def test_a_cut_on_a_skipped_frame_or_after_one_is_left_to_the_full_search():
    frames = np.stack(_scene(0, 9) + _scene(1, 11))
    for skipped in ({9}, {8}, {7, 8}):  # the cut frame, or the one before it, not decoded
        thumbs, kept = _skipping(frames, skipped, 0, 18)
        assert decide(thumbs, kept, 1, 17) == (UNKNOWN, None), skipped


def test_a_cut_is_not_taken_over_a_skipped_frame_that_may_change_as_much():
    # A grey cut (content value 20) into a brightening shot (4 a frame): the full search takes
    # the cut (20 >= 3 x 4); with frame 12 skipped the change across it (8) could hide a step
    # of more than a third of the cut, so the first pass leaves the window undecided.
    frames = np.stack([np.full((H, W, 3), 100, np.uint8)] * 9
                      + [np.full((H, W, 3), min(160 + 12 * i, 255), np.uint8) for i in range(9)])
    assert _full(frames, 0, 1, 16) == 9 and decide(frames, list(range(18)), 1, 16) == (CUT, 9)
    thumbs, kept = _skipping(frames, {12}, 0, 17)
    assert decide(thumbs, kept, 1, 16) == (UNKNOWN, None)


def test_a_skipped_frame_may_hold_a_cut_even_where_the_change_across_it_is_under_the_minimum():
    # A block of a fifth of the picture jumps (content value 15.1, the cut) on frame 9 and
    # falls back a third of that on frame 10: across the skipped frame 9 the change is only
    # 10.2, yet a cut of 15 with its neighbour at most 5 leaves at least 15 x 2/3 = 10 across.
    def picture(value: int) -> np.ndarray:
        x = np.full((H, W, 3), 100, np.uint8)
        x[:24, :55] = value
        return x

    frames = np.stack([picture(10)] * 9 + [picture(247)] + [picture(170)] * 8)
    assert _full(frames, 0, 1, 16) == 9
    thumbs, kept = _skipping(frames, {9}, 0, 17)
    assert decide(thumbs, kept, 1, 16) == (UNKNOWN, None)


def test_skipped_frames_of_a_dissolve_or_a_still_shot_hide_no_cut():
    a, b = scene_image(2, W, H), scene_image(5, W, H)
    dissolve = np.stack([a] * 3 + [((1 - t) * a + t * b).astype(np.uint8) for t in np.arange(1, 13) / 13] + [b] * 3)
    thumbs, kept = _skipping(dissolve, {4, 7, 10, 13}, 0, 17)
    assert decide(thumbs, kept, 1, 16) == (NONE, None)
    still = np.stack([scene_image(4, W, H)] * 18)
    still[8] = 255  # a flash on a skipped frame: the decoded ones never change
    thumbs, kept = _skipping(still, {8}, 0, 17)
    assert decide(thumbs, kept, 1, 16) == (NONE, None)
    assert _full(still, 0, 1, 16) is None


def test_what_the_first_pass_assumes_a_flash_on_a_skipped_frame_beside_a_cut():
    # The documented difference: the full search counts the flash (two large changes) against
    # the cut and keeps the sample; the first pass, which never saw the flashed frame, takes
    # the cut. Flashes on decoded frames count as they do in the full search.
    frames = np.stack([scene_image(4, W, H)] * 9 + [scene_image(1, W, H)] * 9)  # the cut at frame 9
    frames[4] = 255
    assert _full(frames, 0, 1, 16) is None
    thumbs, kept = _skipping(frames, {4}, 0, 17)
    assert decide(thumbs, kept, 1, 16) == (CUT, 9)
    assert decide(frames, list(range(18)), 1, 16) == (NONE, None)


# ---- the watcher: frames as a decoder gives them -----------------------------------------------


def _watch(frames: np.ndarray, shown: list[int], samples: list[int]) -> dict:
    import av

    scout = CutScout(np.asarray(samples), len(frames))
    watcher = scout.watcher()
    for i in shown:
        watcher.see(i, av.VideoFrame.from_ndarray(frames[i], format="rgb24"))
    watcher.finish()
    return scout.results


def test_the_watcher_decides_the_windows_it_sees_whole():
    frames = np.stack(_scene(0, 11) + _scene(1, 19))  # the cut at frame 11, samples every 5 frames
    samples = list(range(0, 30, 5))
    everything = _watch(frames, list(range(30)), samples)
    assert everything.get("9:16") == 11  # windows without a single jump are not looked at
    assert _full(frames[9:17], 9, 10, 15) == 11
    assert "9:16" not in _watch(frames, list(range(12, 30)), samples)  # seen from the middle: not decided
    # Frames out of order (damage, a clock that restarts): nothing is decided after them.
    assert _watch(frames, [*range(6), 3, *range(6, 30)], samples) == {}


def test_the_watcher_holds_no_more_frames_than_its_window_needs():
    import av

    frames = np.stack(_scene(0, 11) + _scene(1, 49))  # samples every 5 frames up to 25, then 35 more frames
    scout = CutScout(np.arange(0, 30, 5), len(frames))
    watcher = scout.watcher()
    held = []
    for i in range(len(frames)):
        watcher.see(i, av.VideoFrame.from_ndarray(frames[i], format="rgb24"))
        held.append(len(watcher.frames))
    # A window is frames lo - 1 to hi + 1 of its interval (5 apart): 8 frames at most, the one
    # before it included; past the last window only the frame just seen.
    assert max(held) <= 8 and held[-30:] == [1] * 30


def test_the_signature_changes_by_hand():
    from summarize.cut_scout import signature_changes

    still, grey = np.zeros((4, 8), np.uint8), np.full((4, 8), 32, np.uint8)
    half = grey.copy()
    half[:, 4:] = 255
    pixels, colours = signature_changes([still, grey, half, half])
    # Mean absolute difference in levels; the share of pixels whose 16-level histogram bin moved
    # (0 -> 2 for all of them, then 2 -> 15 for half).
    assert pixels.tolist() == [32.0, (255 - 32) / 2, 0.0]
    assert colours.tolist() == [1.0, 0.5, 0.0]


def test_a_picture_that_changes_size_stops_the_decisions_without_failing():
    import av

    frames = np.stack(_scene(0, 11) + _scene(1, 12) + _scene(2, 7))  # cuts at 11 and 23, samples every 5 frames
    scout = CutScout(np.arange(0, 30, 5), len(frames))
    watcher = scout.watcher()
    for i in range(30):
        picture = frames[i] if i < 18 else np.ascontiguousarray(frames[i][:, : W // 2])
        watcher.see(i, av.VideoFrame.from_ndarray(picture, format="rgb24"))
    watcher.finish()
    assert _watch(frames, list(range(30)), list(range(0, 30, 5))) == {"9:16": 11, "19:26": 23}
    assert scout.results == {"9:16": 11}  # nothing after the change of size


def test_a_sample_the_decoder_did_not_give_leaves_its_window_undecided(monkeypatch):
    from summarize import cut_scout

    monkeypatch.setattr(cut_scout, "SIGNATURE_MIN", (0.0, 0.0))  # every window looked at
    monkeypatch.setattr(cut_scout, "SIGNATURE_RATIO", 0.0)
    frames = np.stack(_scene(0, 11) + _scene(1, 19))  # the cut at frame 11, just after the sample at 10
    samples = list(range(0, 30, 5))
    assert _watch(frames, list(range(30)), samples)["9:16"] == 11
    # Without frame 10 the change across it (9 to 11) holds the cut, outside the decoded steps.
    assert "9:16" not in _watch(frames, [i for i in range(30) if i != 10], samples)


# ---- the lookout: skipped pictures decoded all the same, from their packets ---------------------


def test_the_lookout_by_hand():
    from summarize.cut_scout import Lookout

    lookout = Lookout()
    # Decoding order (timestamp, size) of I0 P3 B1 B2 P6 B4 B5 P9 B7 B8 (display order 0..9).
    steady = [(0, 5000), (3, 1000), (1, 300), (2, 250), (6, 1100), (4, 280), (5, 260), (9, 900), (7, 300), (8, 290)]
    assert [lookout.wants(pts, size) for pts, size in steady] == [False] * 10  # a sample shows none of them
    assert lookout.wants(12, 2600) is False  # an anchor: decided by the first pass's own rule
    assert [lookout.wants(10, 300), lookout.wants(11, 200)] == [False, False]  # under 2.5 x the anchors' median (1050)
    assert lookout.wants(15, 2750) is False  # 2.5 x the median (1100) or more: a likely cut at or before it
    assert [lookout.wants(13, 300), lookout.wants(14, 200)] == [True, True]  # the pictures shown before it
    assert lookout.wants(18, 1000) is False
    assert [lookout.wants(16, 999), lookout.wants(17, 1000)] == [False, True]  # as large as its anchor (usually 0.3)
    assert lookout.wants(19, 100, needed=True) is True  # a sample shows it: decoded, not counted
    assert lookout.asked == 3
    grain = Lookout()  # every picture as large as its anchor (nothing predicts grain): none singled out
    assert [grain.wants(pts, size) for pts, size in [(0, 900), (3, 1000), (1, 1000), (2, 1000), (6, 1000), (4, 1010)]] \
        == [False] * 6  # (the first three: no usual share known yet)
    assert [grain.wants(5, 1240), grain.wants(9, 1000), grain.wants(7, 1260)] == [False, False, True]  # 1.25 x usual
    assert grain.wants(8, 10) is True  # and the rest shown before the same anchor
    young = Lookout()  # fewer than three anchors before it: no jump to judge
    assert [young.wants(0, 100), young.wants(3, 10_000), young.wants(1, 50), young.wants(2, 50)] == [False] * 4


@pytest.fixture(scope="module")
def fixed_types(tmp_path_factory):
    """25 fps, x264 with a fixed run of picture types (I B B P B B P ...: every third frame an
    anchor, the B-pictures between referred to by none); the cut at frame 40, 41 or 42, so on a
    skipped B-picture or on the P-picture after two, between the samples (37 and 50). The
    second scene changes little from frame to frame (a fast one leaves the window undecided
    for the skipped pictures after the cut)."""
    folder = tmp_path_factory.mktemp("lookout")
    return {cut: write_video(folder / f"cut{cut}.mp4", [(0, cut / 25), (2, 2.0)], width=160, height=120, fps=25,
                             audio=False, preset="veryfast", x264_params="bframes=2:b-adapt=0:b-pyramid=none:scenecut=0")
            for cut in (40, 41, 42)}


def _first_pass(path, lookouts: bool, monkeypatch):
    with monkeypatch.context() as patch, open_video(path, short_side=64, backend="pyav", workers=1) as video:
        if not lookouts:
            patch.setattr(CutScout, "lookout", lambda self: None)
        plan = plan_samples(video.frame_times, video.info.duration, 2.0)
        scout = CutScout(plan.frame_indices, video.info.n_frames)
        assert video.watch_cuts(scout)
        images = np.concatenate([b.frames for b in video.iter_batches(plan, 16)])
    return plan, scout.results, images


@pytest.mark.parametrize("cut", [40, 41, 42])
def test_the_lookout_decodes_the_pictures_before_a_cut_so_the_first_pass_decides_it(fixed_types, cut, monkeypatch):
    import av

    video = fixed_types[cut]
    assert video.cut_frames == [cut]
    # The oracle, from the packets: anchors every third frame, the two pictures before each
    # shown before it but decoded after it.
    with av.open(str(video.path)) as container:
        stream = container.streams.video[0]
        order = [round(float((p.pts - stream.start_time) * stream.time_base) * 25)
                 for p in container.demux(stream) if p.size]
    assert order[order.index(42):order.index(42) + 3] == [42, 40, 41]
    plan, before, samples_before = _first_pass(video.path, False, monkeypatch)
    assert list(plan.frame_indices[3:5]) == [37, 50]
    key = next(f"{a}:{b}" for _, a, b in _windows([4], plan.frame_indices, video.n_frames))
    assert key not in before  # frames 40 and 41 skipped: the cut could be on any of 40-42
    _, after, samples_after = _first_pass(video.path, True, monkeypatch)
    assert after[key] == cut  # the anchor at 42 is large next to those before it: 40 and 41 were decoded
    assert np.array_equal(samples_after, samples_before)  # the samples are the same, bit for bit
    with open_video(video.path) as opened:  # and the full search agrees
        times, info = opened.frame_times, opened.info
    full = refine_boundaries(video.path, times, info.start_time, info.duration, plan.frame_indices, [4])
    assert full == [type(full[0])(cut, CUT)]


def _grain_then_plain(path, cut: int, frames: int = 75) -> None:
    """25 fps, I B B P B B P ... (x264, fixed): a still picture under heavy grain (a new grain
    every frame, so that no picture predicts another's) up to ``cut``, a plain one after."""
    import av

    rng = np.random.default_rng(0)
    still = np.full((H, W, 3), 128, np.uint8)
    still[:, : W // 2] = (200, 120, 60)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "18",
                          "x264-params": "bframes=2:b-adapt=0:b-pyramid=none:scenecut=0"}
        for i in range(frames):
            image = np.full((H, W, 3), (40, 60, 160), np.uint8) if i >= cut else \
                np.clip(still + rng.normal(0, 20, (H, W, 1)), 0, 255).astype(np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode())


@pytest.mark.parametrize("cut", [40, 41, 42])
def test_in_grain_the_lookout_decodes_the_pictures_predicted_from_one_side(tmp_path, cut, monkeypatch):
    import av

    path = tmp_path / "grain.mp4"
    _grain_then_plain(path, cut)
    with av.open(str(path)) as container:  # the oracle: the packets' sizes
        stream = container.streams.video[0]
        sizes = {round(float(p.pts * stream.time_base) * 25): p.size for p in container.demux(stream) if p.size}
    assert sizes[42] < sizes[39] / 10  # the anchor after the cut is cheap: no jump
    assert all(sizes[f] > sizes[42] for f in range(40, cut))  # the grain pictures before it are not
    made, lookout = [], CutScout.lookout
    plan, before, _ = _first_pass(path, False, monkeypatch)
    key = next(f"{a}:{b}" for _, a, b in _windows([4], plan.frame_indices, len(sizes)))
    assert key not in before
    monkeypatch.setattr(CutScout, "lookout", lambda self: made.append(lookout(self)) or made[-1])
    _, after, _ = _first_pass(path, True, monkeypatch)
    if cut == 40:
        # The cut on the first B-picture after the anchor: both pictures before the next one
        # are plain (predicted from it) and cheap, nothing stands out; left to the full search.
        assert key not in after and made[0].asked == 0
        with open_video(path) as opened:
            times, info = opened.frame_times, opened.info
        full = refine_boundaries(path, times, info.start_time, info.duration, plan.frame_indices, [4])
        assert full == [type(full[0])(cut, CUT)]
        return
    assert after[key] == cut
    # Of the grain B-pictures, each as large as its anchor, only the two before the cut's
    # anchor are decoded.
    assert made[0].asked == 2


# ---- on a decoded video with B-frames: sequential and in ranges --------------------------------


@pytest.fixture(scope="module")
def bframes(tmp_path_factory):
    """25 fps, x264 veryfast (B-frames that no picture refers to, which the first pass skips),
    eight scenes whose cuts fall between the samples."""
    scenes = [(0, 3.3), (1, 2.9), (2, 4.45), (3, 3.15), (4, 2.8), (5, 3.6), (6, 2.35), (7, 3.8)]
    return write_video(tmp_path_factory.mktemp("scout") / "bframes.mp4", scenes, width=160, height=120, fps=25,
                       preset="veryfast", audio=False)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_first_pass_decides_as_the_full_search_would(bframes, workers, monkeypatch):
    made, lookout = [], CutScout.lookout
    monkeypatch.setattr(CutScout, "lookout", lambda self: made.append(lookout(self)) or made[-1])
    with open_video(bframes.path, short_side=64, backend="pyav", workers=workers) as video:
        plan = plan_samples(video.frame_times, video.info.duration, 2.0)
        scout = CutScout(plan.frame_indices, video.info.n_frames)
        assert video.watch_cuts(scout)
        assert sum(len(b.frames) for b in video.iter_batches(plan, 16)) == len(plan)
        assert getattr(video, "ranges_decoded", 0) >= (2 if workers == 2 else 0)
        times, info = video.frame_times, video.info
    assert len(made) == max(1, getattr(video, "ranges_decoded", 0))  # one lookout per decoder the scout watches
    assert all(m.latest is not None for m in made)  # each saw its decoder's packets
    change_points = range(1, len(plan))
    full = refine_boundaries(bframes.path, times, info.start_time, info.duration, plan.frame_indices, change_points)
    windows = [f"{a}:{b}" for _, a, b in _windows(change_points, plan.frame_indices, info.n_frames)]
    answers = {key: (bd.frame if bd.kind == CUT else None) for key, bd in zip(windows, full)}
    assert sorted(f for f in answers.values() if f is not None) == bframes.cut_frames
    assert scout.results and all(answers[key] == frame for key, frame in scout.results.items())
    decided_cuts = [key for key, frame in answers.items() if frame is not None and key in scout.results]
    assert len(decided_cuts) >= 5  # most cuts need no second decoding


def test_a_summary_finds_the_same_boundaries_decoding_fewer_windows_again(bframes, monkeypatch):
    from summarize import Summarizer, boundaries

    looked = []
    look = boundaries._look
    monkeypatch.setattr(boundaries, "_look", lambda readers, first, last, *rest: (looked.append((first, last)),
                                                                                  look(readers, first, last, *rest))[1])
    summarizer = Summarizer(cache=False, device="cpu")
    analysis = summarizer.analyze(bframes.path)
    with_scout = len(looked)
    feats = analysis.features
    assert feats.cuts_seen  # the first pass decided windows
    looked.clear()
    full = refine_boundaries(bframes.path, feats.frame_times, feats.info.start_time, feats.info.duration,
                             feats.frame_indices, analysis.change_points)
    assert analysis.boundaries == full
    assert with_scout < len(looked)
    assert [b.frame for b in analysis.boundaries if b.kind == CUT] == [c for c in bframes.cut_frames
                                                                    if c in {b.frame for b in full}]


def test_windows_the_first_pass_decided_are_not_decoded(bframes, monkeypatch):
    from summarize import boundaries

    with open_video(bframes.path) as video:
        times, info = video.frame_times, video.info
    samples = plan_samples(times, info.duration, 2.0).frame_indices
    (_, a, b), = _windows([3], samples, info.n_frames)
    monkeypatch.setattr(boundaries, "_decode_range", lambda *args: pytest.fail("decoded"))
    got = refine_boundaries(bframes.path, times, info.start_time, info.duration, samples, [3],
                            known={f"{a}:{b}": int(samples[3]) - 1})
    assert got == [boundaries.Boundary(int(samples[3]) - 1, CUT)]
    got = refine_boundaries(bframes.path, times, info.start_time, info.duration, samples, [3], known={f"{a}:{b}": None})
    assert got == [boundaries.Boundary(int(samples[3]), SAMPLE)]
