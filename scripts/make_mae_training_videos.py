"""Make the training videos of the shipped MAE checkpoint (see models/mae-small-efficientnet-lite0.md).

    python scripts/make_mae_training_videos.py OUT_DIR [--videos 8] [--minutes 3] [--seed 0]

Every video is a sequence of shots of 2 to 20 seconds, 320x240 at 10 fps, H.264, no audio.
About 70% of the shots are edits of the *Big Buck Bunny* clip in ``examples/`` (CC BY 3.0,
Blender Foundation): a stretch of its frames played forwards or backwards at 0.2x-1x speed
(bouncing at its ends), seen through a crop window of 35-100% of the frame that pans and
zooms linearly across the shot, sometimes mirrored, with a brightness change. The other
shots are the procedural textures of ``tests/synthetic.py`` (a panning texture with a
bouncing disc). Cuts are hard. Everything is derived from the seed: the same command
gives the same videos.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.synthetic import N_KINDS, scene_frames  # noqa: E402

WIDTH, HEIGHT, FPS = 320, 240, 10
SOURCE = ROOT / "examples" / "bigbuckbunny.mp4"


def source_frames() -> list[Image.Image]:
    with av.open(str(SOURCE)) as container:
        return [frame.to_image().resize((640, 360), Image.BILINEAR) for frame in container.decode(video=0)]


def bunny_shot(frames: list[Image.Image], n: int, rng: np.random.Generator):
    """``n`` frames of one edited shot of the source clip."""
    speed = rng.uniform(0.2, 1.0) * 25 / FPS * rng.choice([-1, 1])
    position = rng.uniform(0, len(frames) - 1)
    w0, h0 = frames[0].size
    scales = rng.uniform(0.35, 1.0, size=2)
    centres = rng.uniform(0, 1, size=(2, 2))
    mirror = rng.random() < 0.3
    gain = rng.uniform(0.7, 1.2)
    for i in range(n):
        a = i / max(n - 1, 1)
        scale = scales[0] + (scales[1] - scales[0]) * a
        cw, ch = scale * w0, scale * w0 * HEIGHT / WIDTH
        ch = min(ch, h0)
        cx = (centres[0, 0] + (centres[1, 0] - centres[0, 0]) * a) * (w0 - cw) + cw / 2
        cy = (centres[0, 1] + (centres[1, 1] - centres[0, 1]) * a) * (h0 - ch) + ch / 2
        period = 2 * (len(frames) - 1)
        k = int(round(position + speed * i)) % period
        index = k if k < len(frames) else period - k  # bounce at the ends
        image = frames[index].crop((int(cx - cw / 2), int(cy - ch / 2), int(cx + cw / 2), int(cy + ch / 2)))
        image = image.resize((WIDTH, HEIGHT), Image.BILINEAR)
        if mirror:
            image = image.transpose(Image.FLIP_LEFT_RIGHT)
        yield np.clip(np.asarray(image, dtype=np.float32) * gain, 0, 255).astype(np.uint8)


def write(path: Path, minutes: float, frames: list[Image.Image], rng: np.random.Generator) -> None:
    out = av.open(str(path), "w")
    stream = out.add_stream("libx264", rate=FPS)
    stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    stream.time_base = Fraction(1, FPS)
    stream.options = {"preset": "veryfast", "crf": "23"}
    total, index = int(minutes * 60 * FPS), 0
    while index < total:
        n = min(int(rng.uniform(2, 20) * FPS), total - index)
        if rng.random() < 0.7:
            shot = bunny_shot(frames, n, rng)
        else:
            shot = scene_frames(int(rng.integers(N_KINDS)), n, WIDTH, HEIGHT, seed=int(rng.integers(1000)))
        for image in shot:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = index
            out.mux(stream.encode(frame))
            index += 1
    out.mux(stream.encode(None))
    out.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    frames = source_frames()
    for v in range(args.videos):
        rng = np.random.default_rng([args.seed, v])
        path = args.out / f"generated_{v:02d}.mp4"
        write(path, args.minutes, frames, rng)
        print(path)


if __name__ == "__main__":
    main()
