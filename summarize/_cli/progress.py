"""Rich progress bars for the library's ``progress(stage, fraction)`` callbacks."""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TaskProgressColumn, TextColumn
from rich.text import Text

ProgressFn = Callable[[str, float], None]  # as summarize.pipeline.ProgressFn, without importing it

STAGE_LABELS = {
    "model": "Loading model",
    "features": "Decoding + features",
    "scoring": "Scoring",
    "segmentation": "Shots + cut frames",
    "selection": "Selecting shots",
    "writing": "Writing summary",
    "extras": "Report + exports",
    "videos": "Videos evaluated",
    "training": "Training per fold",
}

stderr_console = Console(stderr=True)


class TimeLeftColumn(ProgressColumn):
    """The time a running stage still needs ("0:12 left"), then the time it took."""

    max_refresh = 0.5  # an estimate that flickers every frame cannot be read

    def render(self, task) -> Text:
        if task.finished:
            return Text(f"took {_clock(task.finished_time or task.elapsed or 0.0)}", style="progress.elapsed")
        remaining = task.time_remaining
        if not task.completed or remaining is None:
            return Text("")
        return Text(f"{_clock(remaining)} left", style="progress.remaining")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@contextlib.contextmanager
def stage_progress(enabled: bool = True, stages: tuple[str, ...] | None = None,
                   prefix: str = "") -> Iterator[ProgressFn]:
    """A ``progress(stage, fraction)`` callback drawing one bar per stage on stderr."""
    if not enabled:
        yield lambda stage, fraction: None
        return
    progress = Progress(
        TextColumn("{task.description:<22}"), BarColumn(), TaskProgressColumn(), TimeLeftColumn(),
        console=stderr_console, transient=False,
    )
    tasks: dict[str, int] = {}

    def update(stage: str, fraction: float) -> None:
        if stage not in tasks:
            label = f"{prefix}{STAGE_LABELS.get(stage, stage)}"
            tasks[stage] = progress.add_task(label, total=100)
        progress.update(tasks[stage], completed=round(100 * min(max(fraction, 0.0), 1.0), 1))

    with progress:
        failed = False
        try:
            yield update
        except BaseException:
            failed = True
            raise
        finally:
            if failed or not tasks:
                # A failed run ends with its one error line, and a run that showed nothing
                # stops quietly: the bars go (Rich would otherwise end with an empty line
                # when stderr is not a terminal, standing before the error message).
                progress.live.transient = True
                progress.live.stop()
                progress.disable = True
