"""The summary JSON: what was kept, why, and with which settings (schema in summary.schema.json)."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import OutputError

FORMAT = "summarize.summary"
# 2: the budget is a fraction of the duration (shots weigh seconds, not frames), with
# selection.weights/capacity_seconds, --salvage's input.damaged/missing and
# outputs.video_encoding.concealed. Batch runs redo summaries of another version.
FORMAT_VERSION = 2


def schema() -> dict[str, Any]:
    """The JSON Schema every summary document follows."""
    return json.loads(resources.files(__package__).joinpath("summary.schema.json").read_text())


def _round(value: float, digits: int = 6) -> float:
    return float(round(float(value), digits))


def rounded_list(values, digits: int = 6) -> list[float]:
    return [_round(v, digits) for v in values]


_NUMBER_ARRAY = re.compile(r"\[\s*((?:-?[0-9][0-9.eE+-]*|true|false|null)(?:,\s*(?:-?[0-9][0-9.eE+-]*|true|false|null))*)\s*\]")


def dumps(document: dict[str, Any]) -> str:
    """Indented JSON with arrays of plain values kept on one line (readable and compact)."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return _NUMBER_ARRAY.sub(lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)


def write_json(document: dict[str, Any], path: Path, final: Path | None = None) -> None:
    """Write ``document`` to ``path`` (``final``: the name to blame in errors, when ``path``
    is a temporary file)."""
    try:
        Path(path).write_text(dumps(document) + "\n", encoding="utf-8")
    except OSError as exc:  # a full disk, a folder removed meanwhile
        raise OutputError(f"cannot write {final or path} ({exc.strerror or exc})") from None
