"""Damaged and odd media through ``summarize batch``, then kills: the figures of issue 10.

    PYTHONPATH=. nice python benchmarks/bench_damaged.py [--folder DIR] [--kills 3] [--salvage]
    PYTHONPATH=. nice python benchmarks/bench_damaged.py --only bitrot-60,h264.mp4 --kills 0   # a quick check

Generates a set of at least 50 damaged or odd files (tests/damaged.py and
tests/synthetic.py), summarizes them all with one ``summarize batch`` run, and checks
every outcome against what each file calls for:

- ``ok``: exit row ok, JSON present, the MP4 holds every kept shot (frames and span, see
  ``summarize/outputs/verify.py``) and the kept duration is within the budget;
- ``error``: a failed row with a one-line reason and no outputs;
- ``either``: one of the two (damage the decoder may conceal, a stream with no declared
  duration cut short).

The files named ``t19-*`` are the media matrix of ``tests/media.py`` (ordinary and odd
timelines, offsets, edit lists, empty audio tracks, source time codes, issue 19) and some
of them cut short; an ok row of a matrix file must also have the duration and frame count
its packets give (``media.packets``, within one frame).

The batch also writes ``--report`` and every export (``tests/test_media_matrix.py``'s
``EXPORTS``; ``--no-exports`` leaves them out). A matrix file's exports must pass that
test's checks against its packets and time code, or, for a format it cannot have (time
code above 60 fps, an MP4 copy of frames sharing a time stamp), be refused in one line
with none of its extras written; any other file's extras must all be there (a failure
is counted as not handled correctly).

Counts: handled correctly, tracebacks (internal errors), wrong outputs with exit 0 (an
ok row whose outputs do not check, or an ok row where an error was due), and leftovers
after kills (partial files left once a SIGKILLed or SIGTERMed batch was run again).
``--salvage`` counts a second batch run with ``--salvage`` the same way (damaged and cut
short files may then be summarized: their outputs must check); ``--only`` keeps the files
whose names contain one of the given comma-separated strings.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarize.outputs.verify import ExpectedShot, check_summary_video  # noqa: E402
from tests import damaged, media  # noqa: E402
from tests import test_media_matrix as matrix_checks  # noqa: E402
from tests.synthetic import write_video  # noqa: E402

SCENES = [(0, 2.0), (1, 2.0), (2, 2.0), (3, 2.0)]
# The report and every export, written by the batch (--no-exports: none).
EXTRAS = ["--report", "--export", ",".join(matrix_checks.EXPORTS)]
# The matrix files as generated: {file name: media.Case}.
MATRIX_CASES: dict[str, media.Case] = {}


def generate(folder: Path) -> dict[str, str]:
    """Write the set; returns {file name: expected outcome}."""
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / ".work"
    work.mkdir(exist_ok=True)
    expected: dict[str, str] = {}

    def clean(name, **kwargs):
        kwargs.setdefault("width", 96)
        kwargs.setdefault("height", 64)
        write_video(folder / name, kwargs.pop("scenes", SCENES), **kwargs)
        expected[name] = "ok"

    # Odd but valid: containers, codecs, sizes, rates, audio.
    clean("h264.mp4")
    clean("h264.mkv")
    clean("vp9.webm", codec="libvpx-vp9")
    clean("vp8.webm", codec="libvpx")
    clean("mpeg4.avi", codec="mpeg4", audio_codec="pcm_s16le", time_base=Fraction(1, 25))
    clean("h264.mov")
    clean("h264.ts", container_format="mpegts")
    clean("h264.flv", container_format="flv", audio=False)
    clean("mpeg2.mpg", codec="mpeg2video", container_format="mpeg", audio_codec="mp2", time_base=Fraction(1, 25))
    clean("hevc.mkv", codec="libx265", audio=False)
    clean("odd-97x61.webm", codec="libvpx-vp9", width=97, height=61, audio=False)
    clean("tiny-16x16.mp4", width=16, height=16)
    clean("strip-640x16.mp4", width=640, height=16)
    clean("fps1.mp4", fps=1, scenes=[(k, 6.0) for k in range(4)])
    clean("fps60.mp4", fps=60)
    clean("vfr.mp4", variable_frame_rate=True)
    clean("rotated90.mp4", rotation=90)
    clean("no-audio.mp4", audio=False)
    clean("two-audio.mkv", audio_streams=2)
    clean("pcm-48k.mkv", audio_codec="pcm_s16le", sample_rate=48000)
    clean("yuv444.mp4", pix_fmt="yuv444p")
    clean("start-offset.ts", container_format="mpegts", time_base=Fraction(1, 90000))
    for seconds in (0.12, 0.2, 0.3, 0.5):
        name = damaged.short_clip(folder, seconds).name
        expected[name] = "ok"
    damaged.vfr_60_then_1(folder / "vfr-60-then-1.mp4", 4.0, 12.0)
    expected["vfr-60-then-1.mp4"] = "ok"
    damaged.long_gap(folder / "gap-30min.mp4")
    expected["gap-30min.mp4"] = "ok"
    shutil.move(damaged.concatenated_ts(work), folder / "concatenated.ts")
    expected["concatenated.ts"] = "ok"
    shutil.move(damaged.undecodable_audio(work), folder / "unknown-audio.mkv")
    expected["unknown-audio.mkv"] = "ok"

    # Not summarizable: one line, no outputs.
    damaged.frames_at(folder / "single-frame.mp4", [0.0], [0])
    expected["single-frame.mp4"] = "error"
    (folder / "empty.mp4").write_bytes(b"")
    expected["empty.mp4"] = "error"
    (folder / "text.mp4").write_text("not a video\n" * 100)
    expected["text.mp4"] = "error"
    (folder / "random.mkv").write_bytes(random.Random(1).randbytes(50_000))
    expected["random.mkv"] = "error"
    audio_only = folder / "audio-only.mkv"
    with __import__("av").open(str(audio_only), "w") as out:
        stream = out.add_stream("aac", rate=44100, layout="mono")
        import numpy as np
        frame = __import__("av").AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                                         layout="mono")
        frame.sample_rate = 44100
        for i in range(40):
            frame.pts = i * 1024
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    expected["audio-only.mkv"] = "error"
    for box in (b"stsz", b"stco", b"stts", b"stsc"):
        path = damaged.damaged_sample_table(work, box)
        shutil.move(path, folder / path.name)
        expected[path.name] = "either"

    # Cut short: containers that declare their duration must fail; others may summarize what is there.
    sources = {"mp4": folder / "h264.mp4", "mkv": folder / "h264.mkv", "webm": folder / "vp9.webm",
               "ts": folder / "h264.ts"}
    for kind, source in sources.items():
        for keep in (0.3, 0.6, 0.9):
            name = f"truncated-{int(keep * 100)}.{kind}"
            damaged.truncated(source, folder / name, keep)
            expected[name] = "either" if kind == "ts" else "error"
    # Bit rot in the middle: the decoder may conceal it.
    for kind, source in sources.items():
        for at in (0.3, 0.6):
            name = f"bitrot-{int(at * 100)}.{kind}"
            damaged.bit_rot(source, folder / name, at=at, length=2000, seed=int(at * 10))
            expected[name] = "either"
    matrix(folder, work, expected)
    shutil.rmtree(work)
    return expected


def matrix(folder: Path, work: Path, expected: dict[str, str]) -> None:
    """The media matrix (``t19-*``), some of it cut short, and AVIs whose header states a
    wrong length."""
    for name, make in media.MATRIX.items():
        case = make(work)
        target = folder / f"t19-{name}{case.path.suffix}"
        shutil.move(case.path, target)
        expected[target.name] = "ok"
        MATRIX_CASES[target.name] = dataclasses.replace(case, path=target.resolve())
    for name in ("offset-10h-mkv", "last-duration-lost-mkv", "vfr-60-then-1-mkv", "edit-list-mp4"):
        source = folder / f"t19-{name}{'.mp4' if name.endswith('mp4') else '.mkv'}"
        cut = damaged.truncated(source, folder / f"t19-cut-{source.name}", 0.6)
        expected[cut.name] = "error"
    avi = write_video(work / "avi.avi", SCENES, width=96, height=64, codec="mpeg4", audio_codec="pcm_s16le",
                      time_base=Fraction(1, 25)).path
    for length, want in ((50, "ok"), (0, "ok"), (1_000_000, "error")):  # in the AVI and stream headers
        data = bytearray(avi.read_bytes())
        main, video = data.find(b"avih") + 8, data.find(b"strh") + 8
        data[main + 16 : main + 20] = data[video + 32 : video + 36] = length.to_bytes(4, "little")
        (folder / f"t19-avi-length-{length}.avi").write_bytes(bytes(data))
        expected[f"t19-avi-length-{length}.avi"] = want


def run_batch(folder: Path, out: Path, *extra: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "summarize", "batch", str(folder), "-o", str(out), "-q",
                           "--no-cache", "--pattern", "*", *extra], capture_output=True, text=True, env=env, timeout=timeout)


def check_ok(json_path: Path, video_path: Path) -> str | None:
    """None when the outputs hold what the JSON says; else what is wrong."""
    if not json_path.is_file() or not video_path.is_file():
        return "outputs missing"
    doc = json.loads(json_path.read_text())
    kept = [s for s in doc["shots"] if s["selected"]]
    shots = [ExpectedShot(frames=s["end_frame"] - s["start_frame"], duration=s["end"] - s["start"],
                          source_start=s["start"]) for s in kept]
    problem = check_summary_video(video_path, shots)
    if problem:
        return problem
    duration, budget = doc["input"]["duration"], doc["selection"]["budget"]
    if doc["summary"]["duration"] > budget * duration + 1e-3 and len(kept) > 1:
        return f"kept {doc['summary']['duration']:.2f} s of {duration:.2f} s (budget {budget})"
    return None


def check_timeline(source: Path, json_path: Path) -> str | None:
    """For a file of the media matrix: None when the JSON's duration and frame count are its
    packets' (within one frame); else what differs."""
    if not source.name.startswith("t19-") or source.name.startswith("t19-avi"):
        return None
    packets = media.packets(source)
    doc = json.loads(json_path.read_text())["input"]
    frame = max(packets.frame, packets.last_duration) + 1e-3
    if abs(doc["duration"] - packets.duration) > frame or doc["n_frames"] != len(packets.starts):
        return (f"the JSON says {doc['duration']:.3f} s in {doc['n_frames']} frames, the packets "
                f"{packets.duration:.3f} s in {len(packets.starts)}")
    return None


def check_extras(source: Path, out: Path, row: dict, failure: str | None) -> str | None:
    """None when the extras of an ok row are right (see the module's docstring); else what is wrong."""
    json_path, video_path = outputs(out, row)
    stem = json_path.name.removesuffix(".json")
    extras = [p for p in out.iterdir() if p.name.startswith(stem + ".") and p not in (json_path, video_path)]
    case = MATRIX_CASES.get(source.name)
    if case is None:
        return f"extras failed: {failure}" if failure else None
    packets = media.packets(source)
    refused = matrix_checks.refusals(packets)
    if refused:
        if not failure or not any(failure.startswith(f"--export {fmt}: ") for fmt in refused):
            return f"the exports {', '.join(refused)} were due a refusal, got {failure or 'none'}"
        return f"a refusal left {', '.join(p.name for p in extras)}" if extras else None
    if failure:
        return f"extras failed: {failure}"
    result = argparse.Namespace(document=json.loads(json_path.read_text(encoding="utf-8")), json_path=json_path,
                                video_path=video_path, formats=matrix_checks.formats_for(packets))
    for check in matrix_checks.CHECKS:
        if check is matrix_checks.check_exports_written:  # the folder holds every file's outputs
            continue
        try:
            check(case, packets, result)
        except AssertionError as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            return f"{check.__name__}: {str(exc).splitlines()[0] if str(exc) else where.line}"
    return None


def outputs(out: Path, row: dict) -> tuple[Path, Path]:
    """The JSON and MP4 of an index row (names are made unique when stems collide)."""
    return out / (row["summary_json"] or "-"), out / (row["summary_video"] or "-")


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if ".partial-" in p.name or ".replaced-" in p.name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--kills", type=int, default=3, help="SIGKILL and SIGTERM runs each")
    parser.add_argument("--salvage", action="store_true", help="also count a batch run with --salvage")
    parser.add_argument("--only", default=None, help="keep the files whose names contain one of these (a,b,...)")
    parser.add_argument("--no-exports", action="store_true", help="run the batches without --report and --export")
    args = parser.parse_args()
    if args.no_exports:
        EXTRAS.clear()
    base = args.folder or Path(tempfile.mkdtemp(prefix="summarize-damaged-"))
    media_dir, out = base / "media", base / "out"
    expected = generate(media_dir)
    if args.only:
        keep = args.only.split(",")
        for name in [n for n in expected if not any(k in n for k in keep)]:
            (media_dir / name).unlink()
            del expected[name]
    print(f"{len(expected)} files in {media_dir}")

    correct, tracebacks, wrong, left = count(media_dir, out, expected)
    if args.salvage:
        # Damaged and cut-short files may now be summarized (what decodes), never wrongly.
        lenient = {name: "either" if name.startswith(("bitrot", "truncated")) else want
                   for name, want in expected.items()}
        counts = count(media_dir, base / "out-salvage", lenient, "--salvage")
        print(f"with --salvage: handled correctly {counts[0]}, tracebacks {counts[1]}, "
              f"wrong outputs with exit 0 {counts[2]}, leftovers {counts[3]}")
        tracebacks, wrong, left = tracebacks + counts[1], wrong + counts[2], left + counts[3]
    return kill_runs(base, media_dir, args.kills, expected, correct, tracebacks, wrong, left)


def count(media_dir: Path, out: Path, expected: dict[str, str], *extra: str) -> tuple[int, int, int, int]:
    """One batch run over ``media_dir``: (handled correctly, tracebacks, wrong outputs with exit 0,
    partial files left)."""
    started = time.perf_counter()
    result = run_batch(media_dir, out, *EXTRAS, *extra)
    seconds = time.perf_counter() - started
    index = {row["input"]: row for row in json.loads((out / "index.json").read_text())["videos"]}
    failures = dict(re.findall(r"^summarize: error: extras of (.+?): (.*)$", result.stderr, flags=re.M))
    correct, tracebacks, wrong, notes = 0, 0, 0, []
    for name, want in sorted(expected.items()):
        row = index.get(name)
        if row is None:
            wrong += 1
            notes.append(f"{name}: not in the index")
            continue
        if "internal error" in row["reason"]:
            tracebacks += 1
            notes.append(f"{name}: {row['reason']}")
            continue
        if row["status"] == "ok":
            problem = check_ok(*outputs(out, row)) or check_timeline(media_dir / name, outputs(out, row)[0])
            if not problem and want != "error" and EXTRAS:
                problem = check_extras(media_dir / name, out, row, failures.get(name))
                if problem and problem.startswith("extras failed"):
                    notes.append(f"{name}: {problem}")
                    continue  # extras refused: not correct, but nothing wrong was written
            if problem or want == "error":
                wrong += 1
                notes.append(f"{name}: exit-0 row but {problem or 'an error was due'}")
                continue
        else:
            if want == "ok" or row["summary_json"] or len(row["reason"].splitlines()) != 1:
                notes.append(f"{name}: failed ({row['reason']})")
                continue  # refused though playable: not correct, but not wrong with exit 0 either
        correct += 1
    if "Traceback" in result.stderr:
        tracebacks += result.stderr.count("Traceback")
    ok_rows = sum(r["status"] == "ok" for r in index.values())
    print(f"batch exit {result.returncode} in {seconds:.0f} s: {ok_rows} summarized, "
          f"{len(index) - ok_rows} refused")
    for note in notes:
        print("  " + note)
    left = leftovers(out)
    if left:
        print(f"  leftovers after the run: {', '.join(p.name for p in left)}")
    return correct, tracebacks, wrong, len(left)


def kill_runs(base: Path, media_dir: Path, kills: int, expected: dict, correct: int, tracebacks: int,
              wrong: int, left: int = 0) -> None:
    # Kills: SIGKILL or SIGTERM a batch at a random moment, then run it again.
    rng = random.Random(0)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for n in range(kills):
        for sig in (signal.SIGKILL, signal.SIGTERM):
            target = base / f"kill-{n}-{sig.name}"
            process = subprocess.Popen([sys.executable, "-m", "summarize", "batch", str(media_dir), "-o", str(target),
                                        "-q", "--no-cache", "--pattern", "*", *EXTRAS], env=env,
                                       stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, text=True)
            time.sleep(rng.uniform(15, 60))
            process.send_signal(sig)
            _, err = process.communicate()
            if sig == signal.SIGTERM:
                left += len(leftovers(target))
                tracebacks += err.count("Traceback")
            again = run_batch(media_dir, target, *EXTRAS)
            tracebacks += again.stderr.count("Traceback")
            left += len(leftovers(target))
            for row in json.loads((target / "index.json").read_text())["videos"]:
                if row["status"] in ("ok", "skipped"):
                    if check_ok(*outputs(target, row)):
                        wrong += 1
                        print(f"  after {sig.name}: {row['input']} outputs do not check")
            print(f"kill {n} {sig.name}: exit {process.returncode}, rerun exit {again.returncode}, "
                  f"leftovers {len(leftovers(target))}")

    print(f"\n{len(expected)} files: handled correctly {correct}, tracebacks {tracebacks}, "
          f"wrong outputs with exit 0 {wrong}, leftovers (after the runs and kills) {left}")


if __name__ == "__main__":
    main()
