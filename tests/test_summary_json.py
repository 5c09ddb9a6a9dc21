"""The summary JSON's text: numbers rounded to 6 decimals, arrays of plain values on one line,
UTF-8 names kept, a failed write is one OutputError naming the output (fast, no video)."""

import errno
import json
from pathlib import Path

import numpy as np
import pytest

from summarize.errors import OutputError
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
    assert (FORMAT, FORMAT_VERSION) == ("summarize.summary", 2)  # 2: the budget counts seconds
