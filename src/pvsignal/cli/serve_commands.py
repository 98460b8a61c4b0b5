"""``pvsignal serve``: the explorer, a read-only web app over a lake, on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pvsignal import api
import pvsignal.cli.options as opt
from pvsignal.cli.app import app
from pvsignal.cli.render import print_line, print_note


def _file(help_: str):
    return Annotated[Optional[Path], typer.Option(help=help_, exists=True, dir_okay=False)]


@app.command(short_help="Browse a lake in a web browser (read-only).")
def serve(
    lake: opt.Lake = opt.DEFAULT_LAKE,
    host: Annotated[str, typer.Option("--host", help="Address to bind (default: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    meddra: opt.Meddra = None,
    groups: opt.Groups = None,
    adsl: _file("ADSL for the trial panels.") = None,
    adae: _file("ADAE for the TEAE incidence panel.") = None,
    adlb: _file("ADLB for the dose-rule panel.") = None,
    rules: Annotated[Optional[str], typer.Option("--rules", help="Dose-rule set (shipped name or YAML).")] = None,
) -> None:
    """Serve the explorer: search a drug, sort its signals, open an event's cases, onset and
    listing, export any table; every address is a permalink."""
    import uvicorn

    from pvsignal.web import create_app

    if not (Path(lake) / "manifest.json").is_file():
        raise typer.BadParameter(f"{lake} is not a pvsignal lake (no manifest.json)", param_hint="--lake")
    api.check_current(lake)  # the explorer never writes: stale tables are the user's to rebuild, not a silent wait
    web = create_app(lake, meddra=meddra, groups=groups, adsl=adsl, adae=adae, adlb=adlb, rules=rules)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print_note(f"binding {host}: other machines can reach the explorer (there is no login)")
    print_line(f"pvsignal explorer on http://{'[' + host + ']' if ':' in host else host}:{port}/ (Ctrl-C stops it)")
    uvicorn.run(web, host=host, port=port, log_level="warning")
