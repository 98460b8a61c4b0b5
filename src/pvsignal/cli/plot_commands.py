"""``pvsignal plot forest|volcano|trend``: a drug's figures as PNG or SVG. Thin: score with the
API (the same case definition as ``signals`` and ``trends``), draw with the API, say where."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Optional

import typer

from pvsignal import api
import pvsignal.cli.options as opt
from pvsignal.cli.app import HELP_STYLE, app
from pvsignal.cli.render import note_synthetic, print_line, progress

plot_app = typer.Typer(**HELP_STYLE, help="Figures of a drug: forest plot, volcano plot, signals over time.",
                       no_args_is_help=True)
app.add_typer(plot_app, name="plot", short_help="Figures: forest, volcano, over time.")

FigureOut = Annotated[Optional[Path], typer.Option("--out", help="Figure file: .svg or .png [DRUG-KIND.svg here].")]
MinCount = Annotated[Optional[int], typer.Option("--min-count", help="Events with at least this many reports [3].")]
#: how the drug's events are scored (as ``pvsignal signals``): the lake, the event level, the
#: minimum count and the case-definition options, given to a command as one ``scoring`` dict
SCORING_OPTIONS = {"lake": (opt.Lake, opt.DEFAULT_LAKE), "level": (opt.Level, "pt"), "meddra": (opt.Meddra, None),
                   "groups": (opt.Groups, None), "min_count": (MinCount, None), **opt.CASE_OPTIONS}
scoring_options = opt.option_group(SCORING_OPTIONS, "scoring", dict)


def _out(out: Optional[Path], drug: str, kind: str) -> Path:
    """``out``, or ``<DRUG>-<kind>.svg`` in the current folder (the name made file-safe)."""
    return out if out is not None else Path(f"{re.sub(r'[^A-Za-z0-9._-]+', '_', drug.strip().upper())}-{kind}.svg")


def _scores(drug: str, scoring: dict, fisher: bool = False):
    """The drug's rows of ``api.signals`` under the case definition and the scoring options."""
    meddra, groups = scoring["meddra"], scoring["groups"]
    filters = opt.case_filters(**{k: scoring[k] for k in opt.CASE_OPTIONS})
    definition = api.case_definition(**filters, event_level=scoring["level"], meddra=str(meddra) if meddra else None,
                                     event_groups=str(groups) if groups else None)
    with progress(f"scoring the events of {drug}") as bar:
        return api.signals(scoring["lake"], drug=drug, min_count=scoring["min_count"], definition=definition,
                           progress=bar, **({"fisher": True} if fisher else {}))


def _written(path: Path, synthetic: bool) -> None:
    print_line(f"written: {path}")
    note_synthetic(synthetic)


@plot_app.command("forest", short_help="Top events: ROR, IC and EBGM with intervals.")
@scoring_options
def forest(
    drug: opt.Drug,
    scoring: dict = None,  # SCORING_OPTIONS
    top: Annotated[int, typer.Option("--top", help="Events shown.")] = 15,
    sort_by: Annotated[str, typer.Option("--sort-by", help="Order: ic025, eb05, ror_lower, ror, ebgm, ic, n or chi2.")] = "ic025",
    out: FigureOut = None,
) -> None:
    """Forest plot of a drug's top events: ROR (95 % CI), IC (IC025–IC975) and EBGM (EB05–EB95),
    one panel each, the null line drawn, filled markers where the method flags a signal."""
    res = _scores(drug, scoring)
    path = api.plot_forest(res, _out(out, drug, "forest"), top=top, sort_by=sort_by)
    _written(path, res.metadata["source"].get("synthetic", False))


@plot_app.command("volcano", short_help="All events: log2 ROR against −log10 p.")
@scoring_options
def volcano(
    drug: opt.Drug,
    out: FigureOut = None,
    scoring: dict = None,  # SCORING_OPTIONS
    p: Annotated[str, typer.Option("--p", help="p on the y axis: chi2 (Pearson, 1 df) or fisher (one-sided exact).")] = "chi2",
    eb05: Annotated[bool, typer.Option("--eb05", help="Instead: EB05 against the report count n (log axes).")] = False,
    label: Annotated[int, typer.Option("--label", help="Name this many events (highest on y).")] = 10,
) -> None:
    """Volcano plot of every event of a drug: log2 ROR against −log10 p (χ² or Fisher), or with
    --eb05 the EB05 against n; signals in red, the top events named."""
    if p not in ("chi2", "fisher"):
        raise typer.BadParameter(f"chi2 or fisher; got {p!r}", param_hint="--p")
    res = _scores(drug, scoring, fisher=p == "fisher" and not eb05)
    path = api.plot_volcano(res, _out(out, drug, "eb05" if eb05 else "volcano"), variant="eb05" if eb05 else "p",
                            p=p, label=label)
    _written(path, res.metadata["source"].get("synthetic", False))


@plot_app.command("trend", short_help="Cumulative ROR with its CI by quarter.")
@opt.case_definition_options
def trend(
    drug: opt.Drug,
    lake: opt.Lake = opt.DEFAULT_LAKE,
    event: Annotated[Optional[str], typer.Option("--event", help="This PT; default: the events with the most reports.")] = None,
    filters: dict = None,  # the case-definition options (opt.CASE_OPTIONS)
    top: Annotated[int, typer.Option("--top", help="Without --event: this many events.")] = 4,
    out: FigureOut = None,
) -> None:
    """Signals over time: a drug's cumulative ROR with its 95 % CI by quarter (log scale), the first
    quarter the ROR criterion flags ringed (the figure of `pvsignal trends --plot`)."""
    definition = api.case_definition(**filters)
    with progress(f"scoring the pairs of {drug} quarter by quarter") as bar:
        res = api.signals_over_time(drug, event, lake=lake, definition=definition, prior="final",
                                    prior_sample=8, progress=bar)  # the figure shows ROR: the prior only feeds EBGM
    path = api.plot_over_time(res, _out(out, drug, "trend"), event=event, top=top)
    from pvsignal.cli.case_commands import _synthetic

    _written(path, _synthetic(lake))
