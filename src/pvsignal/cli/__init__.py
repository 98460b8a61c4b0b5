"""The ``pvsignal`` command line: thin commands that call the API and render with Rich.

Each command group lives in its own module and registers itself on :data:`app`.
A :class:`~pvsignal.errors.PvsignalError` is printed as a message and exits with
status 2 (no traceback); anything else is a bug and raises.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from pvsignal.errors import PvsignalError

app = typer.Typer(
    name="pvsignal",
    help="Drug-safety science from raw public data: FAERS, signals, onset, trials, interactions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command()
def version() -> None:
    """Print the pvsignal version."""
    from pvsignal import __version__

    typer.echo(__version__)


def _register() -> None:
    from pvsignal.cli import (  # noqa: F401  (each module registers its commands)
        faers_commands,
        synth_commands,
        signal_commands,
        case_commands,
        trial_commands,
        interaction_commands,
        profile_commands,
        demo_commands,
    )


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the Typer app, turning user errors into exit status 2."""
    from pvsignal.cli.render import console_err

    try:
        app(args=argv, prog_name="pvsignal")
    except PvsignalError as exc:
        console_err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
