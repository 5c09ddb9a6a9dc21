"""The ``summarize`` command: ``summarize VIDEO`` plus sub-commands such as ``batch`` and ``eval``.

Every command is a thin layer over library functions; this module only parses the
command line, shows progress and turns expected errors into one line and an exit code.
The command modules export plain functions (and the ``train`` sub-Typer); this module
registers them, as PySceneDetect's ``add_command`` does. Nothing here or in the command
modules imports PyTorch or the pipeline at import time: ``summarize --help`` and usage
errors answer at once, and a command loads the library when it runs.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
from typing import Any

import typer
from typer._click import exceptions as click_exceptions
from typer.core import TyperCommand, TyperGroup

from .._version import __version__
from ..errors import SummarizeError
from ..loading import import_native
from . import batch as _batch
from . import eval as _eval
from . import export as _export
from . import video as _video
from .exits import INTERRUPTED, exit_now, fail
from .signals import interrupt_on_signals

__all__ = ["app", "fail", "main", "run"]

DEFAULT_COMMAND = "video"
# Sub-Typers loaded when named: the train options' defaults come from the training code,
# which imports PyTorch. (module, attribute, one-line help for the command list)
LAZY_COMMANDS = {"train": ("summarize._cli.train", "train_app", "Train a scorer's model without labels.")}


class _BoolHelp:
    """The help flag unset is False, not None: Typer coerces a None through a Pydantic
    adapter, and importing Pydantic for it made ``summarize batch --help`` twice as slow."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            option.default = False
        return option


class PlainUsageCommand(_BoolHelp, TyperCommand):
    """``Usage: summarize batch [OPTIONS] DIR`` rather than Typer's ``{DIR}`` for required arguments."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in super().collect_usage_pieces(ctx)]


class DefaultCommandGroup(_BoolHelp, TyperGroup):
    """Routes ``summarize VIDEO ...`` to the ``video`` command; sub-commands stay reachable."""

    def list_commands(self, ctx) -> list[str]:
        return [*self.commands, *(name for name in LAZY_COMMANDS if name not in self.commands)]

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module, attribute, _ = LAZY_COMMANDS[cmd_name]
            sub = getattr(import_native(module), attribute)
            self.commands[cmd_name] = typer.main.get_group(sub)
        return self.commands.get(cmd_name)

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if not args and not ctx.resilient_parsing:
            raise _missing_video(ctx)
        if args[0] not in self.list_commands(ctx) and args[0] not in ("--help", "-h", "--version"):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx, formatter) -> None:
        formatter.write_usage(ctx.command_path, "VIDEO [OPTIONS]  |  COMMAND [ARGS]...")

    def format_commands(self, ctx, formatter) -> None:
        # Short helps are given whole (never cut with "..."), and a lazy command is not
        # imported only to show its line.
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:
                rows.append((name, LAZY_COMMANDS[name][2]))
            elif not command.hidden:
                rows.append((name, command.short_help or command.get_short_help_str(limit=10_000)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _missing_video(ctx):
    return click_exceptions.UsageError("missing VIDEO (or a command: " + ", ".join(
        name for name in ctx.command.list_commands(ctx) if name != DEFAULT_COMMAND) + ")", ctx=ctx)


def _terminal_width() -> int:
    # Help fills the terminal (Click stops at 80 columns by default), within reason.
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 160))


app = typer.Typer(
    cls=DefaultCommandGroup,
    name="summarize",
    help=(
        "Turn a long video into a short one, with no labels and no training. Writes NAME.summary.mp4 "
        "and NAME.summary.json beside the video (or under -o DIR).\n\n"
        "\b\n"  # the examples keep their lines
        "  summarize VIDEO [OPTIONS]        summarize one video\n"
        "  summarize batch DIR [OPTIONS]    every video in a folder\n"
        "  summarize export SUMMARY.json    report and edits, any length\n"
        "  summarize eval --dataset NAME    benchmark numbers\n\n"
        "Each command's options: summarize VIDEO --help, summarize batch --help, summarize export --help, "
        "summarize eval --help."
    ),
    context_settings={"help_option_names": ["-h", "--help"], "terminal_width": _terminal_width(),
                      "max_content_width": _terminal_width()},
    add_completion=False,
    no_args_is_help=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"summarize {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    pass


def add_command(function, name: str, help: str, short_help: str | None = None) -> None:
    """Register a command module's function on ``app``."""
    app.command(name, help=help, short_help=short_help, cls=PlainUsageCommand)(function)


add_command(_video.video_command, "video", _video.HELP)
add_command(_batch.batch_command, "batch", _batch.HELP)
add_command(_export.export_command, "export", _export.HELP, _export.SHORT_HELP)
add_command(_eval.eval_command, "eval", _eval.HELP, _eval.SHORT_HELP)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: expected failures end with one line and a non-zero exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        command = typer.main.get_command(app)
        # Not ``command.main``: Click and Typer turn Ctrl-C into a bare exit 130 (or an empty
        # line); here it is one line like every other stop.
        # SIGTERM and SIGHUP stop every command as Ctrl-C does (one line, exit 130), from the
        # moment the command line is read; the commands catch it where they have more to say.
        with interrupt_on_signals(), command.make_context("summarize", list(args)) as ctx:
            result = command.invoke(ctx)
    except typer.Exit as exc:
        result = exc.exit_code
    except click_exceptions.NoArgsIsHelpError as exc:
        sys.stdout.write(exc.format_message() + "\n")
        raise SystemExit(0) from None
    except click_exceptions.UsageError as exc:
        hint = f" (see: {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
        if exc.ctx is not None and exc.ctx.parent is None and not args:
            sys.stderr.write(exc.ctx.get_usage() + "\n")  # `summarize` alone: show how it is used
        fail(f"{exc.format_message().replace('Value error, ', '')}{hint}", 2)
    except click_exceptions.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except typer.Abort:
        fail(INTERRUPTED, 130)
    except SummarizeError as exc:
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        fail(INTERRUPTED, 130)
    raise SystemExit(result if isinstance(result, int) else 0)


def run() -> None:
    """The program's entry point (``summarize``, ``python -m summarize``): ``main``, then the
    end of the process with Ctrl-C ignored and without the interpreter's teardown
    (``exits.exit_now``: it took 15-40 s after the outputs were written on a busy machine).
    Python hands SIGINT back to the system before it exits: a Ctrl-C then would kill a run
    whose outputs are complete, with no message and no exit code of its own. An unexpected
    exception (a bug) ends the usual way, with its traceback."""
    try:
        try:
            main()
        except KeyboardInterrupt:  # in the instants before main's own handling starts
            fail(INTERRUPTED, 130)
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    finally:
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_now(code)
