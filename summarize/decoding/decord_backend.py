"""decord decoding (``--decoder decord``): frame-accurate random access, scaling in the decoder.
It was the default on a CPU until PyAV, which skips the pictures no sample needs and
releases the GIL, decoded the same samples with less CPU time.

An idle decord 0.6 ``VideoReader`` keeps one thread spinning at full speed, which halves
the speed of a network running beside it on a small machine. So the reader is opened for
a chunk of samples, the chunk decoded, and the reader released before the frames are
handed on; reopening costs about 0.1 s and chunks of 128 samples (a minute of video at
2 fps) make that negligible.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import InputError
from .base import Decoder, FrameBatch, SamplingPlan, VideoInfo
from .probe import StreamProbe, probe


READ_CHUNK = 128


class DecordDecoder(Decoder):
    name = "decord"
    releases_gil = False  # decord 0.6 holds it for a whole get_batch

    def __init__(self, path: Path, size: tuple[int, int] | None, threads: int = 0,
                 stream: StreamProbe | None = None) -> None:
        import decord

        decord.logging.set_level(decord.logging.QUIET)
        self.path = Path(path)
        stream = stream or probe(self.path)
        if stream.rotation:
            # decord 0.6 rotates frames itself, but combined with its scaler it returns
            # unrotated or 4-channel frames: rotated videos go to the PyAV backend.
            raise InputError(f"decord cannot scale rotated videos reliably ({path} is turned {stream.rotation} deg)")
        if stream.lead_in:
            # decord 0.6 counts the pictures an edit list leaves out as frames: its frame
            # numbers would name the frames after the ones wanted.
            raise InputError(f"decord cannot follow the edit list of {path}")
        self._kwargs = {"num_threads": threads}
        if size is not None:
            self._kwargs.update(width=size[0], height=size[1])
        try:
            reader = self._open()
            n_frames = len(reader)
            if n_frames == 0:
                raise InputError(f"no decodable video frames in {path}")
            stamps = np.asarray(reader.get_frame_timestamp(np.arange(n_frames)), dtype=np.float64)
            avg_fps = reader.get_avg_fps()
            del reader
        except InputError:
            raise
        except Exception as exc:  # DECORDError, or anything its constructor raises on a damaged index
            first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            raise InputError(f"decord cannot open {path}: {first}") from None
        starts = stamps[:, 0]
        if not np.all(np.isfinite(stamps)) or np.abs(stamps).max() > 1e9 or (n_frames > 1 and np.ptp(starts) <= 0):
            # decord 0.6 reports FFmpeg's "no timestamp" value (or nothing usable) for some
            # containers, AVI among them; PyAV rebuilds the times from the packets.
            raise InputError(f"decord reports no usable frame times for {path}")
        if n_frames > 1 and (np.diff(starts).min() < -1.0 or (np.diff(starts) == 0).sum() > max(1, n_frames // 20)):
            # Timestamps that restart mid-file (concatenated streams) or repeat: decord sorts
            # the two halves into one another; PyAV keeps the decoding order.
            raise InputError(f"the timestamps of {path} restart mid-file")
        if not np.all(np.diff(starts) >= 0):
            # decord reports decode-order stamps for a few B-frame files; display order is sorted.
            starts = np.sort(starts)
        self.frame_times = starts - starts[0]
        duration = float(stamps[:, 1].max() - starts[0])
        if duration <= self.frame_times[-1]:
            duration = float(self.frame_times[-1] + 1.0 / max(avg_fps, 1e-6))
        width, height = stream.coded_width, stream.coded_height
        self.info = VideoInfo(
            path=str(path),
            width=width,
            height=height,
            n_frames=n_frames,
            duration=duration,
            avg_fps=n_frames / duration,
            start_time=stream.start_time,
            rotation=0,
            has_audio=stream.has_audio,
            backend=self.name,
            audio_note=stream.audio_note,
            audio_channels=stream.audio_channels,
        )

    def _open(self):
        import decord

        return decord.VideoReader(str(self.path), ctx=decord.cpu(0), **self._kwargs)

    def iter_batches(self, plan: SamplingPlan, batch_size: int) -> Iterator[FrameBatch]:
        chunk = max(batch_size, READ_CHUNK)
        for start in range(0, len(plan), chunk):
            indices = plan.frame_indices[start : start + chunk]
            try:
                reader = self._open()
                frames = reader.get_batch(indices.tolist()).asnumpy()
            except Exception:  # DECORDError, or EAGAIN and the like from its decoder thread
                if not self.path.exists():
                    raise InputError(f"{self.path} disappeared while it was being read") from None
                raise InputError(
                    f"decoding failed at {plan.times[start]:.1f} s of {self.path} "
                    f"(truncated or damaged file)"
                ) from None
            finally:
                reader = None  # release decord's spinning thread before the frames move on
            for offset in range(0, len(frames), batch_size):
                yield FrameBatch(start + offset, frames[offset : offset + batch_size])
