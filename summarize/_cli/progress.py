"""Rich progress bars for the library's ``progress(stage, fraction)`` callbacks."""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

ProgressFn = Callable[[str, float], None]  # as summarize.pipeline.ProgressFn, without importing it

STAGE_LABELS = {
    "features": "Decoding + features",
    "scoring": "Scoring",
    "segmentation": "Shots (KTS)",
    "selection": "Selecting shots",
    "writing": "Writing summary",
    "videos": "Videos evaluated",
}

stderr_console = Console(stderr=True)


@contextlib.contextmanager
def stage_progress(enabled: bool = True, stages: tuple[str, ...] | None = None,
                   prefix: str = "") -> Iterator[ProgressFn]:
    """A ``progress(stage, fraction)`` callback drawing one bar per stage on stderr."""
    if not enabled:
        yield lambda stage, fraction: None
        return
    progress = Progress(
        TextColumn("{task.description:<22}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
        console=stderr_console, transient=False,
    )
    tasks: dict[str, int] = {}

    def update(stage: str, fraction: float) -> None:
        if stage not in tasks:
            label = f"{prefix}{STAGE_LABELS.get(stage, stage)}"
            tasks[stage] = progress.add_task(label, total=100)
        progress.update(tasks[stage], completed=round(100 * min(max(fraction, 0.0), 1.0), 1))

    with progress:
        try:
            yield update
        finally:
            if not tasks:
                # Nothing was shown: stop quietly (Rich ends with an empty line when stderr
                # is not a terminal, which would stand before an error message).
                progress.live.transient = True
                progress.live.stop()
                progress.disable = True
