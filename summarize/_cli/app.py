"""The ``summarize`` command: ``summarize VIDEO`` plus sub-commands such as ``batch`` and ``eval``.

Every command is a thin layer over library functions; this module only parses the
command line, shows progress and turns expected errors into one line and an exit code.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import SummarizeError

DEFAULT_COMMAND = "video"


class DefaultCommandGroup(TyperGroup):
    """Routes ``summarize VIDEO ...`` to the ``video`` command; sub-commands stay reachable."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx, formatter) -> None:
        formatter.write_usage(ctx.command_path, "VIDEO [OPTIONS]  |  COMMAND [ARGS]...")


app = typer.Typer(
    cls=DefaultCommandGroup,
    name="summarize",
    help=(
        "Turn a long video into a short one, with no labels and no training.\n\n"
        "  summarize VIDEO [OPTIONS]    summarize one video (see: summarize VIDEO --help)\n\n"
        "  summarize batch DIR [OPTIONS]    every video in a folder (see: summarize batch --help)\n\n"
        "writes VIDEO.summary.mp4 and VIDEO.summary.json beside the video (or under -o DIR)."
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
    no_args_is_help=True,
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


def fail(message: str, code: int) -> None:
    """One line on stderr, then exit."""
    sys.stderr.write(f"summarize: error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: expected failures end with one line and a non-zero exit code."""
    from typer._click import exceptions as click_exceptions

    # Importing the command modules registers them on ``app``.
    from . import eval as _eval  # noqa: F401
    from . import batch, train, video  # noqa: F401

    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="summarize", standalone_mode=False)
    except click_exceptions.NoArgsIsHelpError as exc:
        sys.stdout.write(exc.format_message() + "\n")
        raise SystemExit(0) from None
    except click_exceptions.UsageError as exc:
        hint = f" (see: {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
        fail(f"{exc.format_message().replace('Value error, ', '')}{hint}", 2)
    except click_exceptions.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except typer.Abort:
        fail("interrupted; no partial outputs were left behind", 130)
    except SummarizeError as exc:
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted; no partial outputs were left behind", 130)
    raise SystemExit(result if isinstance(result, int) else 0)
