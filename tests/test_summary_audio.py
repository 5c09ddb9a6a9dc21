"""The summary's sound, shot by shot, on sources whose audio does not simply match the picture.

Each source's audio is band-limited noise (no period, so a cross-correlation finds one
unambiguous lag). For every kept shot the summary's audio over that shot is compared with
the source's audio over the shot's source interval: where the source has sound, the best lag
must be within 10 ms; where it has none (before a late start, after an early end), the
summary must be silent there.
"""

from fractions import Fraction

import av
import numpy as np
import pytest
from scipy import signal

from summarize import summarize_video
from tests.synthetic import scene_frames

FPS, SCENES = 25, [(0, 3.0), (1, 2.0), (2, 3.0), (3, 2.0), (4, 3.0), (5, 2.0)]  # 15 s
DURATION = sum(s for _, s in SCENES)
TOLERANCE = 0.010  # seconds, per shot
EDGE = 0.030  # left out at each end of a shot: an AAC frame blurs a cut this much
CASES = {
    # name: [(sample rate, audio start, audio end) per stream]; the summary keeps the first stream
    "audio_ends_early": [(44100, 0.0, 9.0)],
    "audio_starts_late": [(44100, 11.2, DURATION)],  # inside a kept shot: silence, then sound
    "late_and_short_at_another_rate": [(22050, 2.4, 11.1)],
    "streams_at_different_rates": [(48000, 0.0, DURATION), (22050, 0.0, DURATION)],
}


def _noise(rate, start, stop, seed):
    n = int(round((stop - start) * rate))
    b, a = signal.butter(4, 3000 / (rate / 2))
    data = signal.lfilter(b, a, np.random.default_rng(seed).normal(0, 1, n))
    return (0.25 * data / np.abs(data).max()).astype(np.float32)


def _write_source(path, streams, scenes=SCENES, seed=0):
    out = av.open(str(path), "w")
    vs = out.add_stream("libx264", rate=FPS)
    vs.width, vs.height, vs.pix_fmt = 160, 120, "yuv420p"
    vs.options = {"preset": "ultrafast"}
    audio = []
    for k, (rate, start, stop) in enumerate(streams):
        stream = out.add_stream("aac", rate=rate, layout="mono")
        audio.append((stream, rate, start, _noise(rate, start, stop, seed=seed + k)))
    index = 0
    for kind, seconds in scenes:
        for frame in scene_frames(kind, int(round(seconds * FPS)), 160, 120):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts, vf.time_base = index, Fraction(1, FPS)
            out.mux(vs.encode(vf))
            index += 1
    out.mux(vs.encode(None))
    for stream, rate, start, data in audio:
        size = stream.codec_context.frame_size or 1024
        first = int(round(start * rate))
        for offset in range(0, len(data) - size + 1, size):
            frame = av.AudioFrame.from_ndarray(data[None, offset:offset + size], format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, first + offset, Fraction(1, rate)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    out.close()


def _decoded_audio(path):
    """(samples on the file's clock from 0, rate, the clock time of the first sample)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        chunks, first = [], None
        for frame in container.decode(stream):
            if first is None:
                first = float(frame.pts * frame.time_base)
            chunks.append(frame.to_ndarray().mean(axis=0))
    return np.concatenate(chunks), rate, first


def _lag(piece, reference, rate, search):
    """The shift (seconds) of ``piece`` within ``reference`` beyond ``search`` seconds of slack."""
    corr = signal.correlate(reference, piece, mode="valid")
    return (int(np.argmax(corr)) - int(round(search * rate))) / rate


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_kept_shot_has_its_own_sound_within_10_ms(tmp_path, case):
    source = tmp_path / f"{case}.mp4"
    _write_source(source, CASES[case])
    doc = summarize_video(source, tmp_path, budget=0.5, cache=False, device="cpu").document
    kept = [(s["start"], s["end"]) for s in doc["shots"] if s["selected"]]
    assert len(kept) >= 3
    src, src_rate, src_first = _decoded_audio(source)
    out, rate, out_first = _decoded_audio(tmp_path / f"{case}.summary.mp4")
    assert out_first == pytest.approx(0.0, abs=1e-3)
    # The source on the summary's sample rate, on a clock from 0 (silence before its first sample).
    src = signal.resample_poly(src, rate, src_rate) if src_rate != rate else src
    src = np.concatenate([np.zeros(int(round(src_first * rate))), src, np.zeros(int(DURATION * rate))])
    _, audio_start, audio_stop = CASES[case][0]
    clock, search = 0.0, 0.05
    for start, end in kept:
        length = end - start
        sound = (max(start, audio_start) + EDGE, min(end, audio_stop) - EDGE)  # source-clock seconds with sound
        if sound[1] - sound[0] > 0.2:
            a, b = (int(round((clock + t - start) * rate)) for t in sound)
            piece = out[a:b]
            ref_a = int(round((sound[0] - search) * rate))
            reference = src[ref_a: ref_a + len(piece) + int(round(2 * search * rate))]
            lag = _lag(piece, reference, rate, search)
            assert abs(lag) <= TOLERANCE, f"shot {start:.2f}-{end:.2f} s: its sound is {lag * 1000:+.1f} ms off"
            assert np.std(piece) > 0.02, f"shot {start:.2f}-{end:.2f} s lost its sound"
        for silent in ((start, min(end, audio_start)), (max(start, audio_stop), end)):
            if silent[1] - silent[0] > 2 * EDGE:
                a, b = (int(round((clock + t - start + d) * rate)) for t, d in zip(silent, (EDGE, -EDGE)))
                assert np.abs(out[a:b]).max() < 0.02, f"shot {start:.2f}-{end:.2f} s: sound where the source has none"
        clock += length
    assert len(out) / rate == pytest.approx(clock, abs=0.05)  # the sound lasts as long as the picture


def test_the_exact_path_cuts_each_shots_sound_where_its_frames_were_shown(tmp_path, monkeypatch):
    """Two transport streams joined byte for byte: the second half's clock restarts, so a time
    alone names two places. The exact path (sequential decoding, frames by number) must take
    every shot's sound from the run of the clock its frames come from."""
    import summarize.pipeline as pipeline

    halves = ([(0, 3.0), (1, 2.0), (2, 3.0)], [(3, 2.0), (4, 3.0), (5, 2.0)])
    parts = []
    for k, scenes in enumerate(halves):
        parts.append(tmp_path / f"part{k}.ts")
        _write_source(parts[-1], [(44100, 0.0, sum(s for _, s in scenes))], scenes=scenes, seed=10 + k)
    source = tmp_path / "joined.ts"
    source.write_bytes(parts[0].read_bytes() + parts[1].read_bytes())
    checks, real_check = [], pipeline.check_summary_video

    def first_write_fails(path, shots):  # whatever the first writer does, the exact path writes it again
        checks.append(path)
        return "forced" if len(checks) == 1 else real_check(path, shots)

    monkeypatch.setattr(pipeline, "check_summary_video", first_write_fails)
    doc = summarize_video(source, tmp_path, budget=0.6, cache=False, device="cpu").document
    assert len(checks) == 2  # written again by the exact path, and that passed
    joined_at = sum(s for _, s in halves[0])  # where the second half starts on the summary's clock
    out, rate, out_first = _decoded_audio(tmp_path / "joined.summary.mp4")
    assert out_first == pytest.approx(0.0, abs=1e-3)
    references = []
    for part in parts:
        audio, part_rate, first = _decoded_audio(part)
        with av.open(str(part)) as container:
            video = container.streams.video[0]
            start = min(p.pts for p in container.demux(video) if p.pts is not None) * video.time_base
        assert part_rate == rate
        pad = np.zeros(rate)  # a second of silence before, so a window may start early
        references.append((np.concatenate([pad, audio]), float(first - start) - 1.0))  # where it starts
    clock, search, checked = 0.0, 0.05, 0
    for shot in (s for s in doc["shots"] if s["selected"]):
        start, end = shot["start"], shot["end"]
        half = int(start >= joined_at - 1e-6)
        if half == 0 and end > joined_at + 1e-6:  # across the join: no single reference
            clock += end - start
            continue
        audio, offset = references[half]
        local = start - (joined_at if half else 0.0)  # seconds after that half's first frame
        a, b = (int(round((clock + t) * rate)) for t in (EDGE, end - start - EDGE))
        piece = out[a:b]
        ref_a = int(round((local + EDGE - offset - search) * rate))
        reference = audio[ref_a: ref_a + len(piece) + int(round(2 * search * rate))]
        lag = _lag(piece, reference, rate, search)
        assert abs(lag) <= TOLERANCE, f"shot {start:.2f}-{end:.2f} s: its sound is {lag * 1000:+.1f} ms off"
        assert np.std(piece) > 0.02, f"shot {start:.2f}-{end:.2f} s lost its sound"
        checked += 1
        clock += end - start
    assert checked >= 2 and any(s["start"] >= joined_at and s["selected"] for s in doc["shots"])
    assert len(out) / rate == pytest.approx(clock, abs=0.05)
