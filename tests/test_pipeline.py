"""The whole pipeline on generated videos with known structure and on real footage."""

import json

import av
import jsonschema
import numpy as np
import pytest

from summarize import OutputError, Summarizer, UsageError, summarize_video
from summarize.outputs import schema
from tests.conftest import FOUR_SCENES
from tests.synthetic import scene_frames, write_video

TONES = [220.0 * (1 + kind / 4) for kind, _ in FOUR_SCENES]


def boundaries(doc):
    return sorted({s["start_frame"] for s in doc["shots"]} | {doc["shots"][-1]["end_frame"]})


def test_kts_finds_the_generated_cuts_within_one_sample(summarizer, four_scene_video):
    analysis = summarizer.analyze(four_scene_video.path)
    found = analysis.features.frame_indices[analysis.change_points]
    interval = 25 / 2  # frames per sample at 2 fps
    assert len(found) == len(four_scene_video.cut_frames)
    for cut in four_scene_video.cut_frames:
        assert np.min(np.abs(found - cut)) <= interval
    for boundary in found:  # and nothing spurious
        assert np.min(np.abs(np.array(four_scene_video.cut_frames) - boundary)) <= interval


def test_every_cut_of_real_footage_is_found(bikes):
    # bikes: cuts after frames 30, 76, 137, 187 and 242 at 25 fps.
    cuts = np.array([31, 77, 138, 188, 243])
    at_2fps = Summarizer(cache=False, device="cpu").analyze(bikes)
    edges = np.append(at_2fps.features.frame_indices[at_2fps.change_points], 250)  # the video end counts
    assert all(np.min(np.abs(edges - c)) <= 12.5 for c in cuts)
    # At 2 fps the last cut comes after the last sample (frame 237); at 8 fps it is sampled and
    # every cut must then be a change point itself, within one sample (3.125 frames).
    at_8fps = Summarizer(cache=False, device="cpu", fps=8).analyze(bikes)
    found = at_8fps.features.frame_indices[at_8fps.change_points]
    assert all(np.min(np.abs(found - c)) <= 3.125 for c in cuts)


@pytest.fixture(scope="module")
def half_summary(tmp_path_factory, four_scene_video):
    """Summary at 50%: two whole scenes, so sync can be checked across a cut."""
    out = tmp_path_factory.mktemp("half")
    return summarize_video(four_scene_video.path, out, budget=0.5, cache=False, device="cpu")


@pytest.mark.slow
def test_summary_fills_the_budget_in_time_order(four_scene_video, tmp_path):
    for budget in (0.15, 0.3, 0.5):
        doc = Summarizer(cache=False, device="cpu", budget=budget).summarize(
            four_scene_video.path, tmp_path, overwrite=True, write_video=False).document
        kept = [s for s in doc["shots"] if s["selected"]]
        assert kept, "the summary must never be empty"
        frames = sum(s["end_frame"] - s["start_frame"] for s in kept)
        capacity = int(budget * four_scene_video.n_frames)
        assert 0.8 * capacity <= frames <= capacity
        assert doc["selection"]["selected_frames"] == frames
        starts = [s["start_frame"] for s in kept]
        assert starts == sorted(starts)
        assert all(a["end_frame"] <= b["start_frame"] for a, b in zip(kept, kept[1:]))


def _audio(path):
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        samples = np.concatenate([f.to_ndarray()[0] for f in container.decode(stream)])
    return samples, rate


def _peak_frequency(samples, rate):
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)]


def test_summary_video_keeps_picture_and_sound_in_sync(half_summary, four_scene_video):
    doc = half_summary.document
    kept = [s for s in doc["shots"] if s["selected"]]
    with av.open(str(half_summary.video_path)) as container:
        vstream = container.streams.video[0]
        assert (vstream.codec_context.width, vstream.codec_context.height) == (320, 240)
        assert vstream.codec_context.name == "h264" and float(vstream.average_rate) == pytest.approx(25.0)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(vstream)]
    assert len(frames) == sum(s["end_frame"] - s["start_frame"] for s in kept)
    samples, rate = _audio(half_summary.video_path)
    video_seconds = len(frames) / 25
    assert len(samples) / rate == pytest.approx(video_seconds, abs=0.05)

    clock = 0.0
    for shot in kept:
        length = shot["end"] - shot["start"]
        scene = int(shot["start"] // 6.0)
        kind = FOUR_SCENES[scene][0]
        # Picture: the middle output frame of the shot is the source frame it should be.
        middle = int(round((clock + length / 2) * 25))
        source_index = shot["start_frame"] + (middle - int(round(clock * 25)))
        expected = list(scene_frames(kind, source_index - scene * 150 + 1, 320, 240))[-1]
        assert np.abs(frames[middle].astype(int) - expected.astype(int)).mean() < 12
        # Sound: the tone heard during the shot is the tone of the scene it came from.
        a, b = int((clock + 0.1) * rate), int((clock + length - 0.1) * rate)
        assert _peak_frequency(samples[a:b], rate) == pytest.approx(TONES[scene], abs=3)
        clock += length


def test_video_without_audio_gives_summary_without_audio(bikes, tmp_path):
    result = summarize_video(bikes, tmp_path, budget=0.3, cache=False, device="cpu")
    with av.open(str(result.video_path)) as container:
        assert not container.streams.audio
        assert container.streams.video[0].frames == result.analysis.selection.selected_frames


def test_json_follows_its_schema_and_is_reproducible(half_summary, four_scene_video, tmp_path):
    doc = json.loads(half_summary.json_path.read_text())
    jsonschema.validate(doc, schema())
    assert doc == half_summary.document
    assert doc["input"]["n_frames"] == 600 and doc["sampling"]["n_samples"] == 48
    assert len(doc["samples"]["score"]) == 48
    assert doc["method"] == {"name": "contrastive", "params": Summarizer(cache=False).scorer.params}
    again = summarize_video(four_scene_video.path, half_summary.json_path.parent, budget=0.5, cache=False,
                            device="cpu", overwrite=True).document
    strip = lambda d: {k: v for k, v in d.items() if k != "run"}  # noqa: E731 - dates and timings only
    assert strip(again) == strip(doc)


def test_second_run_reads_features_from_the_cache(four_scene_video, tmp_path):
    first = Summarizer(device="cpu", cache_dir=tmp_path / "cache").analyze(four_scene_video.path)
    second = Summarizer(device="cpu", cache_dir=tmp_path / "cache", budget=0.3).analyze(four_scene_video.path)
    assert not first.features.from_cache and second.features.from_cache
    assert np.array_equal(first.features.features, second.features.features)
    assert np.array_equal(first.features.frame_times, second.features.frame_times)
    assert np.array_equal(first.scores, second.scores)
    other_fps = Summarizer(device="cpu", cache_dir=tmp_path / "cache", fps=4).analyze(four_scene_video.path)
    assert not other_fps.features.from_cache


def test_a_cache_entry_from_before_the_channel_count_was_kept_gets_it_from_the_file(four_scene_video, tmp_path):
    import json

    first = Summarizer(device="cpu", cache_dir=tmp_path / "cache").analyze(four_scene_video.path)
    assert first.features.info.audio_channels == 1  # the generated sound is mono
    (entry,) = (tmp_path / "cache").rglob("*.npz")
    with np.load(entry) as data:
        arrays = dict(data)
    meta = json.loads(str(arrays["meta"]))
    del meta["info"]["audio_channels"]  # as entries were written before
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(entry, **arrays)
    result = Summarizer(device="cpu", cache_dir=tmp_path / "cache").summarize(four_scene_video.path, tmp_path / "out",
                                                                             write_video=False)
    assert result.analysis.features.from_cache
    assert result.analysis.features.info.audio_channels == 1 and result.document["input"]["audio_channels"] == 1


def test_pyav_and_decord_give_the_same_analysis(four_scene_video):
    by_decord = Summarizer(cache=False, device="cpu", decoder="decord").analyze(four_scene_video.path)
    by_pyav = Summarizer(cache=False, device="cpu").analyze(four_scene_video.path)
    assert by_decord.features.info.backend == "decord" and by_pyav.features.info.backend == "pyav"
    assert np.array_equal(by_decord.features.frame_indices, by_pyav.features.frame_indices)
    cosine = np.sum(by_decord.features.features * by_pyav.features.features, axis=1)
    assert cosine.min() > 0.98
    assert by_decord.change_points.tolist() == by_pyav.change_points.tolist()


def test_whole_video_budget_keeps_everything(bikes, tmp_path):
    doc = summarize_video(bikes, tmp_path, budget=1.0, cache=False, device="cpu", write_video=False).document
    assert all(s["selected"] for s in doc["shots"]) and doc["selection"]["achieved"] == 1.0


def test_rotated_phone_video_keeps_its_orientation(tmp_path):
    video = write_video(tmp_path / "phone.mp4", [(0, 2.0), (5, 2.0)], width=160, height=96, fps=20, rotation=90)
    result = summarize_video(video.path, tmp_path, budget=0.5, cache=False, device="cpu")
    assert result.document["input"]["width"] == 96 and result.document["input"]["rotation"] == 90
    with av.open(str(result.video_path)) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (160, 96)  # coded as the source...
        assert round(-frame.rotation / 90) * 90 % 360 == 90  # ...and shown turned the same way


@pytest.mark.slow  # 30 s; the pinned numbers (tests/test_pinned.py, slow too) check its shots exactly
def test_real_summe_video(data_dir, tmp_path):
    video = data_dir / "summe" / "videos" / "playing_ball.mp4"
    doc = summarize_video(video, tmp_path, cache=False, device="cpu", write_video=False).document
    jsonschema.validate(doc, schema())
    assert doc["input"]["n_frames"] == 3121
    assert doc["sampling"]["n_samples"] == 209  # 104.03 s at 2 fps
    assert 0.8 * 0.15 <= doc["selection"]["achieved"] <= 0.15
    assert doc["segmentation"]["n_shots"] >= 5


def test_one_long_kts_shot_still_gives_a_full_summary(tmp_path):
    # A single 20-second scene: KTS finds no change point, the one shot is longer than the
    # budget, and peer tools return an empty summary here.
    video = write_video(tmp_path / "single.mp4", [(6, 20.0)], fps=25)
    analysis = Summarizer(cache=False, device="cpu").analyze(video.path)
    assert analysis.change_points.tolist() == []
    capacity = int(0.15 * video.n_frames)
    assert analysis.selection.selected.any()
    assert 0.8 * capacity <= analysis.selection.selected_frames <= capacity


def test_the_json_records_the_options_that_decide_the_summary(half_summary):
    doc = half_summary.document
    values = doc["options"]["values"]
    assert values["budget"] == 0.5 and values["fps"] == 2.0 and values["method"] == "contrastive"
    assert values["method_params"] == doc["method"]["params"] and values["weights"] == "default"
    assert values["video_preset"] == "superfast" and values["video_crf"] == 23
    for where_or_how in ("device", "batch_size", "decoder", "cache", "cache_dir"):
        assert where_or_how not in values
    assert doc["options"]["fingerprint"] == Summarizer(budget=0.5, device="cpu", cache=False).options_fingerprint()


def test_options_fingerprint_follows_what_changes_the_summary():
    base = Summarizer(device="cpu").options_fingerprint()
    # Same summary: how and where it runs, and the same values written differently.
    assert Summarizer(device="cpu", batch_size=8, decoder="pyav", cache=False).options_fingerprint() == base
    assert Summarizer(device="cpu", fps=2, budget=0.15).options_fingerprint() == base
    assert Summarizer(device="cpu", method_params={"variant": "align+uniform"}).options_fingerprint() == base
    # Another summary.
    changed = [Summarizer(device="cpu", budget=0.2), Summarizer(device="cpu", fps=1.0),
               Summarizer(device="cpu", method_params={"variant": "align"}), Summarizer(device="cpu", min_fill=0),
               Summarizer(device="cpu", video_crf=18), Summarizer(device="cpu", backbone="resnet50")]
    fingerprints = {s.options_fingerprint() for s in changed}
    assert len(fingerprints) == len(changed) and base not in fingerprints


def test_an_unwritable_output_folder_fails_before_the_analysis(four_scene_video, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    summarizer = Summarizer(cache=False, device="cpu")
    monkeypatch.setattr(summarizer, "analyze", lambda *a, **k: pytest.fail("analysed before checking the output"))
    with pytest.raises(OutputError, match="cannot create output folder"):
        summarizer.summarize(four_scene_video.path, blocker / "out")
    # and a bad input fails before any output folder is made
    with pytest.raises(UsageError, match="no such file"):
        summarizer.summarize(tmp_path / "missing.mp4", tmp_path / "new-folder")
    assert not (tmp_path / "new-folder").exists()


def test_with_options_shares_the_loaded_model():
    summarizer = Summarizer(device="cpu", cache=False)
    other = summarizer.with_options(threads=1, budget=0.3)
    assert other.backbone is summarizer.backbone
    assert (other.options.threads, other.options.budget, summarizer.options.threads) == (1, 0.3, 0)
    assert summarizer.with_options(threads=1).options_fingerprint() == summarizer.options_fingerprint()
    assert summarizer.with_options(backbone="resnet50")._backbone is None  # another model: not shared
    with pytest.raises(UsageError, match="threads must be 0"):
        summarizer.with_options(threads=-1)


def test_cache_follows_weights_content_not_path(bikes, tmp_path):
    import torch

    from summarize.backbones import load_backbone
    from summarize.features import FeatureCache, extract_features

    weights = tmp_path / "lite0.pth"
    state = load_backbone("efficientnet-lite0", device="cpu").state_dict()
    torch.save(state, weights)
    cache = FeatureCache(tmp_path / "cache")
    first = extract_features(bikes, load_backbone("efficientnet-lite0", str(weights), "cpu"), cache=cache)
    again = extract_features(bikes, load_backbone("efficientnet-lite0", str(weights), "cpu"), cache=cache)
    assert not first.from_cache and again.from_cache
    state["_conv_head.weight"] = state["_conv_head.weight"] * 0.5  # new weights, same file name
    torch.save(state, weights)
    changed = extract_features(bikes, load_backbone("efficientnet-lite0", str(weights), "cpu"), cache=cache)
    assert not changed.from_cache
    assert not np.allclose(changed.features, first.features)


def test_cache_hit_reports_the_path_it_was_asked_for(four_scene_video, tmp_path):
    import shutil

    copy = tmp_path / "renamed copy.mp4"
    shutil.copy(four_scene_video.path, copy)
    cache_dir = tmp_path / "cache"
    Summarizer(device="cpu", cache_dir=cache_dir).analyze(four_scene_video.path)
    result = Summarizer(device="cpu", cache_dir=cache_dir).summarize(copy, tmp_path / "out", write_video=False)
    assert result.analysis.features.from_cache
    assert result.document["input"]["path"] == str(copy.resolve())
    assert result.document["input"]["file_name"] == "renamed copy.mp4"
