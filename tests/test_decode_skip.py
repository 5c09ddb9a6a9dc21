"""PyAV decoding skips the pictures that neither a sample nor any other picture needs, and
the samples stay bit-identical to decoding every frame."""

import av
import numpy as np

from summarize.decoding import open_video, plan_samples
from summarize.decoding.scaler import to_rgb  # the conversion every decoder shares
from tests.synthetic import write_video


def test_skipped_pictures_change_no_sample(tmp_path):
    path = tmp_path / "bframes.mp4"  # x264 veryfast: B-frames, some of them never referenced
    write_video(path, [(0, 3.0), (1, 3.0), (4, 3.0)], fps=30, preset="veryfast", audio=False, grain=3.0)
    with open_video(path, short_side=96, backend="pyav") as video:
        plan = plan_samples(video.frame_times, video.info.duration, 2.0)
        frames = np.concatenate([b.frames for b in video.iter_batches(plan, 8)])
        video._container.seek(0, stream=video._stream)
        decoded = sum(1 for _ in video._decoded(plan.frame_indices))
        size = video._size
    # every frame decoded, the sampled ones converted the same way
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        every = sorted(container.decode(stream), key=lambda f: f.pts)
        reference = np.stack([to_rgb(every[i], size)
                              for i in plan.frame_indices])
    assert np.array_equal(frames, reference)
    assert len(plan) <= decoded < 0.9 * len(every)  # pictures were really skipped
