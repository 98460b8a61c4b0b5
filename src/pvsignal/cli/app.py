"""The Typer application every command module registers on (no command imports here).

Kept import-light: ``pvsignal --help`` and ``pvsignal version`` load only Typer, Rich and
this package's CLI modules; analyses import their libraries when a command runs.
"""

from __future__ import annotations

import typer

#: plain (click) help: flags show as flags (``--json``, ``--zip / --no-zip``), never as ``<bool>``
HELP_STYLE = {"rich_markup_mode": None}

app = typer.Typer(
    **HELP_STYLE,
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
