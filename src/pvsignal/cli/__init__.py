"""The ``pvsignal`` command line: thin commands that call :mod:`pvsignal.api` and render with Rich.

:mod:`pvsignal.cli.app` holds the Typer application; each command module registers its
commands on it and is imported here, once. Shared options live in :mod:`pvsignal.cli.options`,
tables, consoles and progress in :mod:`pvsignal.cli.render`.

Errors: a :class:`~pvsignal.errors.PvsignalError` (a user mistake) and a usage error (bad
option, missing argument) are printed unwrapped on stderr — one line per message, whatever
the console width — and exit with status 2, no traceback; anything else is a bug and raises.
"""

from __future__ import annotations

import sys

import typer

# each module registers its commands on app; this order is the order of `pvsignal --help`
from pvsignal.cli import (  # noqa: F401, I001
    faers_commands,
    synth_commands,
    signal_commands,
    case_commands,
    trial_commands,
    interaction_commands,
    profile_commands,
    demo_commands,
)
from pvsignal.cli.app import app
from pvsignal.errors import PvsignalError

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; user and usage errors → message on stderr, exit status 2."""
    from pvsignal.cli.render import print_error

    try:
        code = app(args=argv, prog_name="pvsignal", standalone_mode=False)
    except PvsignalError as exc:
        print_error(str(exc))
        sys.exit(2)
    except typer.Abort:
        print_error("aborted")
        sys.exit(1)
    except typer.TyperException as exc:  # click's usage errors (bad option, missing argument …)
        if type(exc).__name__ == "NoArgsIsHelpError":  # help was asked for by giving nothing
            typer.echo(exc.format_message(), err=True)  # type: ignore[attr-defined]
            sys.exit(2)
        ctx = getattr(exc, "ctx", None)
        usage = ctx.get_usage() if ctx is not None else None
        hint = f"Try '{ctx.command_path} --help' for help." if ctx is not None else None
        print_error(exc.format_message(), usage=usage, hint=hint)  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", 2))
    sys.exit(code if isinstance(code, int) else 0)
