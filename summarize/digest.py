"""Content digests: one helper for files, one for texts (a leaf module: imports nothing of ours).

Each caller keeps the algorithm and length it has always recorded, so feature-cache keys,
checkpoint digests and fingerprints written by earlier versions stay valid.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_digest(path: str | Path, algorithm: str = "blake2b", hex_chars: int = 32) -> str:
    """The first ``hex_chars`` hex digits of the ``algorithm`` digest of the whole file."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, algorithm).hexdigest()[:hex_chars]


def text_digest(text: str, hex_chars: int = 16) -> str:
    """The first ``hex_chars`` hex digits of the SHA-256 of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode()).hexdigest()[:hex_chars]
