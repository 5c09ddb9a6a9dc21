"""Faults for the Ray tests, run inside a Ray worker process (importable there: the tests
put the repository on the workers' PYTHONPATH)."""

from __future__ import annotations

import os
import signal
from pathlib import Path


class KillWorker:
    """An ``on_stage`` hook: the worker process summarizing ``name`` kills itself (SIGKILL, as
    the kernel's out-of-memory killer would) once its summary is being written; each kill
    leaves a file in ``markers``. ``times``: how many runs of ``name`` die (None: every one).
    ``mid_write``: not before the worker has created its temporary outputs (the first report
    of the stage after they exist); the marker then lists their names, one a line."""

    def __init__(self, name: str, markers: Path, times: int | None = 1, stage: str = "writing",
                 mid_write: bool = False) -> None:
        self.name, self.markers, self.times, self.stage = name, Path(markers), times, stage
        self.mid_write = mid_write

    def __call__(self, item, stage: str, fraction: float) -> None:
        if item.name != self.name or stage != self.stage or fraction >= 1.0:
            return
        kills = len(list(self.markers.glob("kill-*")))
        if self.times is not None and kills >= self.times:
            return
        mine = f".partial-{os.getpid()}-"
        partials = sorted(p.name for p in item.json_path.parent.iterdir() if mine in p.name)
        if self.mid_write and not partials:
            return
        (self.markers / f"kill-{kills}-{os.getpid()}").write_text("".join(f"{name}\n" for name in partials))
        os.kill(os.getpid(), signal.SIGKILL)


def unstartable_worker():
    """A worker whose model cannot load on this node."""
    from summarize.errors import InputError

    raise InputError("cannot read the model weights /nodes/lack/this.pt")


class SleepOrDie:
    """A pool worker that sleeps ``sleep`` seconds per task and returns it, except that its
    process kills itself the first time it is given ``victim`` (a file in ``markers`` says so)."""

    def __init__(self, victim: str, markers: Path, sleep: float = 0.2) -> None:
        self.victim, self.markers, self.sleep = victim, Path(markers), sleep

    def __call__(self, task: str, report, stop) -> str:
        import time

        if task == self.victim and not any(self.markers.iterdir()):
            # Die in the middle of the task, as a real crash does: killed the instant it starts,
            # the reply of the task before it may not have left the process yet, and that task
            # then died too as far as anyone can know.
            time.sleep(self.sleep / 2)
            (self.markers / f"kill-{os.getpid()}").touch()
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(self.sleep)
        return task
