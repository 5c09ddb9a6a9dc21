"""Writing the summary without a full re-encode (``summarize.outputs.smartcut``): the frames and
times of an exact smart cut are those of the re-encoding writer, the copied ones bit for bit."""

import json
import threading
from fractions import Fraction

import av
import numpy as np
import pytest

from summarize.decoding.keyframes import clean_prefix_ends
from summarize.outputs.smartcut import AvcC, CutStats, keyframe_segments, pps_ids, sps_id, write_cut_video, \
    _SourceIndex
from summarize.outputs.video import write_summary_video
from tests.synthetic import write_video

SEGMENTS = [(0.52, 2.6), (3.0, 5.48), (7.2, 11.96)]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """H.264 with B-frames and a keyframe at least every second (like camera footage), AAC audio."""
    path = tmp_path_factory.mktemp("smartcut") / "src.mp4"
    write_video(path, [(0, 3.0), (1, 4.0), (2, 3.0), (3, 2.0)], fps=25, preset="veryfast", gop=25, audio=True)
    return path


def _frames(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [(round(float(f.time), 4), f.to_ndarray(format="gray").astype(np.int16))
                for f in container.decode(stream)]


def _audio_seconds(path):
    with av.open(str(path)) as container:
        return sum(f.samples for f in container.decode(container.streams.audio[0])) / \
            container.streams.audio[0].codec_context.sample_rate


def _matched(out, source_frames, segments):
    """Pairs (output frame, source frame) by time: every output frame must map to a source frame."""
    by_time = dict(source_frames)
    pairs, clock, i = [], 0.0, 0
    for a, b in segments:
        while i < len(out) and out[i][0] < clock + (b - a) - 1e-4:
            pairs.append((out[i][1], by_time[round(a + out[i][0] - clock, 4)]))  # KeyError: a frame off time
            i += 1
        clock += b - a
    assert i == len(out)
    return pairs


def test_exact_cut_copies_whole_gops_and_writes_the_same_frames_as_a_reencode(source, tmp_path):
    exact = _exact_matches_a_reencode(source, SEGMENTS, tmp_path)
    assert exact.copied_frames > exact.reencoded_frames > 0


def _exact_matches_a_reencode(source, segments, tmp_path) -> CutStats:
    """Writes ``segments`` by exact cut and by re-encoding and checks they hold the same frames."""
    exact = write_cut_video(source, segments, tmp_path / "exact.mp4", cut="exact")
    full = write_summary_video(source, segments, tmp_path / "full.mp4")
    assert isinstance(exact, CutStats) and exact.cut == "exact" and exact.note is None
    assert exact.frames == full.frames and exact.audio_samples == full.audio_samples
    assert abs(exact.duration - full.duration) < 1e-9

    out, ref = _frames(tmp_path / "exact.mp4"), _frames(tmp_path / "full.mp4")
    assert [t for t, _ in out] == [t for t, _ in ref]  # same frames at the same times
    pairs = _matched(out, _frames(source), segments)
    diffs = np.array([np.abs(o - s).mean() for o, s in pairs])
    assert (diffs == 0).sum() == exact.copied_frames  # the copied pictures are the source's, bit for bit
    assert diffs.max() < 4  # the re-encoded ones are close to them
    # sound as long as the picture: in sync across the cuts
    assert abs(_audio_seconds(tmp_path / "exact.mp4") - exact.duration) < 0.05
    with av.open(str(tmp_path / "exact.mp4")) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
        assert "mp4" in container.format.name
    return exact


def test_a_shot_ending_inside_a_gop_copies_the_gops_clean_start_and_encodes_only_what_follows(tmp_path):
    """x264 codes I0 P4 B2 b1 b3 P8 ...: the pictures decoded up to b3 show exactly frames 0-4,
    so they are copied as they are, and only the frames after the last such point (fewer
    than the B-frames between two references, 3 here) are decoded and encoded again."""
    path = tmp_path / "long_gop_b.mp4"
    write_video(path, [(0, 4.0), (1, 4.0)], fps=25, preset="veryfast", audio=True)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.has_b_frames  # pictures are reordered
        keyframes = _SourceIndex(container, stream).cut_points * stream.time_base
    assert keyframes.tolist() == [0, Fraction(96, 25)]  # the scene cut: a GOP of 4 s, then one to the end
    segments = [(0.0, 0.6), (3.84, 5.0)]  # 15 and 29 frames, each from a keyframe into its GOP
    stats = _exact_matches_a_reencode(path, segments, tmp_path)
    assert stats.frames == 44 and stats.reencoded_frames <= 3 * 2  # all 44 were encoded before
    assert stats.copied_frames >= 44 - 6


def test_clean_prefix_ends_are_where_the_decoded_pictures_are_the_first_shown():
    decoding_order = [0, 3, 1, 2, 6, 4, 5, 7]  # I0 P3 B1 B2 P6 B4 B5 P7
    assert clean_prefix_ends(np.array(decoding_order) * 10).tolist() == [0, 10, 40, 70]
    assert clean_prefix_ends(np.array([5, 6, 7])).tolist() == [5, 6, 7]  # no reordering: every picture


def test_a_piece_that_fails_on_its_thread_makes_the_whole_summary_a_reencode(source, tmp_path, monkeypatch):
    from summarize.outputs import smartcut

    def fail(*args):
        raise smartcut.CannotCopy("a simulated failure")

    monkeypatch.setattr(smartcut._SmartCut, "_encoded", fail)
    stats = write_cut_video(source, SEGMENTS, tmp_path / "out.mp4", cut="exact")
    assert stats.cut == "reencode" and "a simulated failure" in stats.note and stats.copied_frames == 0
    assert len(_frames(tmp_path / "out.mp4")) == stats.frames
    assert not [t for t in threading.enumerate() if t.name.startswith("summarize-writer")]  # none left running


def test_keyframe_cut_only_copies_and_moves_the_edges_to_keyframes(source, tmp_path):
    stats = write_cut_video(source, SEGMENTS, tmp_path / "key.mp4", cut="keyframe")
    assert stats.cut == "keyframe" and stats.reencoded_frames == 0 and stats.copied_frames == stats.frames
    with av.open(str(source)) as container:
        keys = {round(float(p.pts * p.time_base), 4) for p in container.demux(container.streams.video[0])
                if p.is_keyframe and p.size}
    for (a, b), (ma, mb) in zip(SEGMENTS, stats.segments):
        assert round(ma, 4) in keys and abs(ma - a) <= 1.0 and abs(mb - b) <= 1.0
    out = _frames(tmp_path / "key.mp4")
    assert len(out) == stats.frames
    assert all(np.array_equal(o, s) for o, s in _matched(out, _frames(source), stats.segments))
    assert abs(_audio_seconds(tmp_path / "key.mp4") - stats.duration) < 0.05


def test_a_source_that_cannot_be_copied_is_reencoded_and_says_why(tmp_path):
    path = tmp_path / "mpeg4.mp4"
    write_video(path, [(0, 2.0), (1, 2.0)], fps=25, codec="mpeg4", time_base=Fraction(1, 25), audio=False)
    stats = write_cut_video(path, [(0.4, 1.6), (2.4, 3.2)], tmp_path / "out.mp4", cut="exact")
    assert stats.cut == "reencode" and stats.copied_frames == 0 and "not H.264" in stats.note
    assert len(_frames(tmp_path / "out.mp4")) == stats.frames == stats.reencoded_frames == 50


def test_shots_without_a_whole_gop_are_encoded_and_reported_as_such(tmp_path):
    path = tmp_path / "long_gop.mp4"  # ultrafast: one keyframe every 250 frames
    write_video(path, [(0, 3.0), (1, 3.0)], fps=25, audio=False)
    stats = write_cut_video(path, [(1.0, 2.0), (4.0, 5.0)], tmp_path / "out.mp4", cut="exact")
    assert stats.cut == "reencode" and stats.copied_frames == 0 and stats.reencoded_frames == 50
    assert [t for t, _ in _frames(tmp_path / "out.mp4")] == [round(i / 25, 4) for i in range(50)]


def test_parameter_sets_are_read_and_written_back(source):
    with av.open(str(source)) as container:
        extradata = bytes(container.streams.video[0].codec_context.extradata)
    avcc = AvcC.parse(extradata)
    assert avcc.to_bytes() == extradata and avcc.length_size == 4 and avcc.profile == 100
    assert sps_id(avcc.sps[0]) == 0 and pps_ids(avcc.pps[0]) == (0, 0)


def test_keyframe_segments_merge_touching_shots(source):
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        index = _SourceIndex(container, stream)
        moved = keyframe_segments(index, stream.time_base, [(0.1, 1.0), (1.05, 2.0)], 0.0)
    assert len(moved) == 1 and moved[0][0] == 0.0


@pytest.mark.slow
def test_the_summary_json_says_how_the_video_was_cut(source, tmp_path):
    from summarize import Summarizer

    result = Summarizer(cache=False, device="cpu", budget=0.3).summarize(source, tmp_path)
    cut = result.document["outputs"]["video_encoding"]["cut"]
    assert cut["method"] in ("exact", "reencode") and cut["copied_frames"] + cut["reencoded_frames"] > 0
    on_disk = json.loads(result.json_path.read_text())
    assert on_disk["outputs"]["video_encoding"]["cut"] == cut
    frames = _frames(result.video_path)
    assert len(frames) == cut["copied_frames"] + cut["reencoded_frames"]
    assert abs(len(frames) / 25 - result.document["summary"]["duration"]) <= 1 / 25 + 1e-6
