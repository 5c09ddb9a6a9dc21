"""Frames to RGB at the size the backbone takes, the same pixels whichever FFmpeg decoder ran.

The scaling is decord's: FFmpeg's ``scale`` filter with bilinear interpolation on the YUV
picture, then the conversion to RGB (``format=rgb24``). Scaling the picture before
converting it is also the cheaper order for large videos, and with the same arithmetic the
PyAV, range and NVDEC decoders give decord's pixels bit for bit
(``tests/test_decoding.py``), so features and summaries do not depend on the decoder.
A filter graph holds state, so every thread has its own, one per input geometry.
"""

from __future__ import annotations

import threading
from fractions import Fraction

import av
import numpy as np

_local = threading.local()


def _graph(frame, size: tuple[int, int]):
    key = (frame.width, frame.height, frame.format.name, size)
    graphs = getattr(_local, "graphs", None)
    if graphs is None:
        graphs = _local.graphs = {}
    graph = graphs.get(key)
    if graph is None:
        graph = av.filter.Graph()
        source = graph.add_buffer(width=frame.width, height=frame.height, format=frame.format.name,
                                  time_base=Fraction(1, 1000))
        scale = graph.add("scale", f"{size[0]}:{size[1]}:flags=bilinear")
        rgb = graph.add("format", "rgb24")
        sink = graph.add("buffersink")
        source.link_to(scale)
        scale.link_to(rgb)
        rgb.link_to(sink)
        graph.configure()
        graphs[key] = graph
    return graph


def to_rgb(frame, size: tuple[int, int] | None) -> np.ndarray:
    """``frame`` as an (H, W, 3) uint8 array, scaled to ``size`` (width, height) when given."""
    if size is None or (frame.width, frame.height) == tuple(size):
        return frame.to_ndarray(format="rgb24")
    graph = _graph(frame, size)
    pts = frame.pts
    frame.pts = 0  # the graph needs no clock: one frame in, one frame out
    try:
        graph.push(frame)
        return graph.pull().to_ndarray()
    finally:
        frame.pts = pts
