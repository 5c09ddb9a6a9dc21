"""Frame features: decode a video at a fixed sampling rate and run the backbone on it.

Frames stream from the decoder to the network in batches (with a GPU, a background
thread decodes the next batch while the network works on this one), so memory does not
grow with the length of the video. Results are cached per (file content, backbone weights, sampling
rate), so a second run with another budget or method does not decode again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from .backbones import Backbone
from .decoding import VideoInfo, open_video, plan_samples
from .errors import InputError, UsageError

# Bump when the way features are computed changes, so stale cache entries are not reused.
FEATURE_FORMAT = 1


@dataclass
class VideoFeatures:
    """Backbone features of the sampled frames of one video, with the timing to map back."""

    features: np.ndarray  # (T, D) float32, L2-normalised
    times: np.ndarray  # (T,) seconds from the first frame
    frame_indices: np.ndarray  # (T,) source frame shown at each sample
    frame_times: np.ndarray  # (n_frames,) start of every source frame
    info: VideoInfo
    fps: float
    backbone: str  # name of the backbone
    backbone_identity: str  # name and weights file
    timings: dict[str, float] = field(default_factory=dict)
    from_cache: bool = False

    @property
    def n_samples(self) -> int:
        return len(self.times)

    @property
    def n_frames(self) -> int:
        return self.info.n_frames


def default_cache_dir() -> Path:
    if os.environ.get("SUMMARIZE_CACHE_DIR"):
        return Path(os.environ["SUMMARIZE_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "summarize"


def file_digest(path: Path) -> str:
    """BLAKE2b of the whole file: the cache follows content, not names or dates."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "blake2b").hexdigest()[:32]


class FeatureCache:
    """Features on disk, one ``.npz`` per (file content, backbone weights content, fps,
    decoder choice, feature format)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory else default_cache_dir() / "features"

    def key(self, digest: str, backbone_identity: str, fps: float, decoder: str = "auto") -> str:
        text = json.dumps([FEATURE_FORMAT, digest, backbone_identity, float(fps), decoder])
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def load(self, key: str) -> VideoFeatures | None:
        path = self.directory / f"{key}.npz"
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                return VideoFeatures(
                    features=data["features"], times=data["times"], frame_indices=data["frame_indices"],
                    frame_times=data["frame_times"], info=VideoInfo(**meta["info"]), fps=meta["fps"],
                    backbone=meta["backbone"], backbone_identity=meta["backbone_identity"],
                    timings={}, from_cache=True,
                )
        except Exception:  # a damaged entry is recomputed, never trusted
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def save(self, key: str, feats: VideoFeatures) -> None:
        """Best effort: a cache that cannot be written never fails a run."""
        meta = {"info": asdict(feats.info), "fps": feats.fps, "backbone": feats.backbone,
                "backbone_identity": feats.backbone_identity}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Per process and thread: batch workers may save the same file's features at once.
            tmp = self.directory / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp.npz"
            np.savez(tmp, features=feats.features, times=feats.times, frame_indices=feats.frame_indices,
                     frame_times=feats.frame_times, meta=np.array(json.dumps(meta)))
            os.replace(tmp, self.directory / f"{key}.npz")
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                tmp.unlink()


def _prefetch(iterator: Iterator, depth: int = 2) -> Iterator:
    """Run ``iterator`` in a thread, ``depth`` items ahead; exceptions surface in the caller."""
    items: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put(done)
        except BaseException as exc:  # handed to the consumer
            items.put(exc)

    thread = threading.Thread(target=work, name="summarize-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def gpu_decoder(decoder: str, on_gpu: bool) -> str:
    """The decoder ``auto`` stands for: beside a GPU, NVDEC (falling back to PyAV on the CPU,
    which, unlike decord, releases the GIL while it decodes, so the network never waits on it)."""
    return "nvdec" if decoder == "auto" and on_gpu else decoder


def extract_features(path: str | Path, backbone: Backbone, *, fps: float = 2.0, batch_size: int = 32,
                     cache: FeatureCache | None = None, decoder: str = "auto",
                     progress: Callable[[float], None] | None = None, threads: int = 0) -> VideoFeatures:
    """Sample ``path`` at ``fps`` and return the backbone features of those frames.

    ``threads`` caps the decoder's threads (0: its own choice); PyTorch's are set with
    ``torch.set_num_threads``.
    """
    if fps <= 0:
        raise UsageError(f"--fps must be positive, got {fps}")
    if batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {batch_size}")
    path = Path(path)
    key = None
    on_gpu = next(backbone.parameters()).device.type == "cuda"
    if cache is not None:
        from .decoding import check_path

        check_path(path)
        key = cache.key(file_digest(path), backbone.identity, fps, gpu_decoder(decoder, on_gpu))
        hit = cache.load(key)
        if hit is not None:
            # The cache follows content: the same bytes may have been read from another path.
            hit.info = replace(hit.info, path=str(path))
            if progress is not None:
                progress(1.0)
            return hit
    started = time.perf_counter()
    with open_video(path, short_side=backbone.weights_meta.resize, backend=gpu_decoder(decoder, on_gpu),
                    threads=threads) as video:
        info = video.info
        plan = plan_samples(video.frame_times, info.duration, fps)
        if len(plan) < 2:
            raise InputError(
                f"{path} lasts {info.duration:.2f} s, no longer than one sampling interval "
                f"({1 / fps:.2f} s at {fps:g} fps); raise --fps to summarize it"
            )
        features = np.empty((len(plan), backbone.feature_dim), dtype=np.float32)
        decode_time = 0.0
        network_time = 0.0
        wait_time = 0.0  # the network waiting for decoded frames

        def timed_batches():
            nonlocal decode_time
            batches = video.iter_batches(plan, batch_size)
            while True:
                t0 = time.perf_counter()
                batch = next(batches, None)
                if batch is not None and on_gpu:
                    # Page-locked in the decoding thread, so the copy to the GPU is asynchronous.
                    batch = replace(batch, frames=torch.from_numpy(batch.frames).pin_memory())
                decode_time += time.perf_counter() - t0
                if batch is None:
                    return
                yield batch

        # On a GPU the network leaves the CPU free, so decoding runs ahead in a thread. On a
        # CPU where decoder and network each use every core, running them side by side only
        # makes them fight (OpenMP threads spin while the decoder holds a core); with one
        # PyTorch thread (batch jobs) nothing spins, and decoding ahead fills the gaps.
        overlap = on_gpu or (threads == 1 and torch.get_num_threads() == 1)
        batches = iter(_prefetch(timed_batches()) if overlap else timed_batches())
        while True:
            t0 = time.perf_counter()
            batch = next(batches, None)
            wait_time += time.perf_counter() - t0
            if batch is None:
                break
            t0 = time.perf_counter()
            encoded = backbone.encode(batch.frames).numpy()
            features[batch.first_sample : batch.first_sample + len(encoded)] = encoded
            network_time += time.perf_counter() - t0
            if progress is not None:
                progress((batch.first_sample + len(encoded)) / len(plan))
        result = VideoFeatures(
            features=features, times=plan.times, frame_indices=plan.frame_indices,
            frame_times=np.asarray(video.frame_times, dtype=np.float64), info=info, fps=float(fps),
            backbone=backbone.name, backbone_identity=backbone.identity,
            timings={"decode": decode_time, "features": network_time, "decode_wait": wait_time,
                     "decode_and_features_wall": time.perf_counter() - started},
        )
    if cache is not None and key is not None:
        cache.save(key, result)
    return result
