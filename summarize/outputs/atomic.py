"""Write outputs under a temporary name and rename them into place only when complete."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..errors import OutputError


def temporary_sibling(final: Path, kind: str = "partial") -> Path:
    """A hidden name beside ``final`` that keeps its suffix (writers pick formats by it) and
    names the process that owns it, so a later run can tell a dead run's leftovers."""
    return final.with_name(f".{final.stem}.{kind}-{os.getpid()}-{secrets.token_hex(4)}{final.suffix}")


# The mark temporary_sibling puts in a name: what follows it is the final name's suffix, if any.
_MARK = re.compile(r"\.(?:partial|replaced)-(\d+)-[0-9a-f]{8}(?=\.|$)")


# What a file system without hard links answers to link().
_NO_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _leftover_pids(name: str, final: str) -> list[int] | None:
    """The writing processes named in ``name`` when it is a temporary name made for ``final``
    (``.STEM.partial-PID-XXXXXXXX.SUFFIX`` for any split of ``final`` into a stem and suffixes,
    so an extra written beside a temporary JSON counts, and a temporary name of such a name
    too); None for any other name."""
    if not name.startswith("."):
        return None
    for mark in _MARK.finditer(name):
        rest = name[1:mark.start()] + name[mark.end():]
        inner = [] if rest == final else _leftover_pids(rest, final)
        if inner is not None:
            return [int(mark.group(1)), *inner]
    return None


def remove_stale_partials(final: Path) -> list[Path]:
    """Remove the temporary files a killed run (SIGKILL, power loss) left beside ``final``.

    Only files named by ``temporary_sibling`` for ``final`` whose process is gone are
    removed: a run still writing the same output keeps its own.
    """
    final = Path(final)
    removed = []
    try:
        candidates = [entry for entry in os.scandir(final.parent) if entry.name.startswith(".")]
    except OSError:
        return removed
    for entry in candidates:
        pids = _leftover_pids(entry.name, final.name)
        if pids and not any(_alive(pid) for pid in pids):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _exists_error(final: Path) -> OutputError:
    return OutputError(f"{final} already exists (use --overwrite to replace it)")


def check_absent(finals: Iterable[Path]) -> None:
    """Refuse, before any work, outputs that exist already (the run has no --overwrite)."""
    for final in finals:
        if Path(final).exists():
            raise _exists_error(final)


def _claim(tmp: Path, final: Path) -> None:
    """Move ``tmp`` to ``final`` only if ``final`` does not exist (atomic: two runs racing for
    the same name cannot both win)."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise _exists_error(final) from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        # No hard links on this file system: an exclusive create claims the name instead.
        fd = os.open(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.close(fd)
        os.replace(tmp, final)
        return
    os.unlink(tmp)


@contextlib.contextmanager
def atomic_outputs(*finals: Path, overwrite: bool = True,
                   temps: Sequence[Path] | None = None) -> Iterator[list[Path]]:
    """Yield temporary paths for ``finals``; on success they replace the final names as one
    unit, in the order given (so the last one appearing means all are complete).
    ``temps``: the temporary names to use (beside their finals, made by
    ``temporary_sibling`` or named after one, as ``_leftover_pids`` knows), else new ones.

    On failure or interruption every temporary file is removed and no final name is
    touched. When a rename fails half-way, the outputs already renamed are put back as
    they were (the old pair stays, or none). Without ``overwrite`` the final names are
    claimed atomically: an existing output, or one another run wrote meanwhile, is an
    ``OutputError`` and nothing is replaced. Leftovers of killed runs for the same outputs
    are removed first.
    """
    finals = tuple(Path(f) for f in finals)
    for final in finals:
        remove_stale_partials(final)
    temps = [Path(t) for t in temps] if temps is not None else [temporary_sibling(f) for f in finals]
    if len(temps) != len(finals):
        raise ValueError("atomic_outputs: one temporary name per output")
    backups: dict[Path, Path] = {}
    done: list[Path] = []

    def clean() -> None:
        for tmp in [*temps, *backups.values()]:
            with contextlib.suppress(OSError):
                tmp.unlink()

    try:
        yield temps
    except BaseException:
        clean()
        raise
    try:
        for tmp, final in zip(temps, finals):
            if overwrite:
                if os.path.lexists(final):
                    backup = temporary_sibling(final, "replaced")
                    try:
                        os.link(final, backup)  # the old file stays at its name until replaced
                        backups[final] = backup
                    except OSError as exc:
                        if exc.errno not in _NO_LINKS:
                            raise
                os.replace(tmp, final)
            else:
                _claim(tmp, final)
            done.append(final)
    except BaseException as exc:
        for final in done:  # put the old outputs back (or none, where there were none)
            with contextlib.suppress(OSError):
                if final in backups:
                    os.replace(backups.pop(final), final)
                else:
                    final.unlink()
        clean()
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {finals[len(done)]}: {exc.strerror or exc}") from None
        raise
    clean()


@contextlib.contextmanager
def atomic_output(final: Path) -> Iterator[Path]:
    """``atomic_outputs`` for a single file."""
    with atomic_outputs(final) as (tmp,):
        yield tmp


def ensure_writable_dir(directory: Path) -> Path:
    """Create ``directory`` if needed and prove we can write in it, before any long work."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {directory}: {exc.strerror or exc}") from None
    probe = directory / f".summarize-write-test-{secrets.token_hex(4)}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write in output folder {directory}: {exc.strerror or exc}") from None
    return directory
