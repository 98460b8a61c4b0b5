"""The options shared by commands: one name, one help text and one vocabulary each.

Values are parsed from strings here (comma lists, ``2019:2023`` year ranges) and passed
through unchanged to :mod:`pvsignal.api`; the case definition validates them (one place
decides which roles, sexes and age groups exist).

Vocabularies (the same as :class:`pvsignal.analysis.population.CaseDefinition` accepts):

- roles: ``suspect`` (PS+SS), ``primary`` (PS), ``interacting`` (PS, SS, I), ``all`` (PS,
  SS, C, I) or role codes such as ``PS,SS,I``;
- sex: ``F``, ``M``, ``female`` or ``male``;
- age groups: ``<18``, ``18-64``, ``65-85``, ``>85`` and ``65+`` (= 65-85 and >85),
  comma-separated;
- quarters: a quarter or range, ``2021Q1:2024Q4``; years: ``2019`` or ``2019:2023``.

Restricted backgrounds: ``--indication PT`` (only reports with this indication),
``--comparator DRUG`` (active comparator: each drug against this one's reports; reports
naming both are left out of the drug's table), ``--unmask DRUG[,DRUG]`` (reports naming
these masking drugs left out).

Every command that analyses cases takes the same nine options through
:func:`case_definition_options`, and passes them on as one
:func:`pvsignal.api.case_definition`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

#: the default lake folder (same as :data:`pvsignal.store.lake.DEFAULT_LAKE`, not imported: duckdb)
DEFAULT_LAKE = Path("pvsignal-lake")

ROLES_HELP = ("Drug roles counted: suspect (PS+SS), primary (PS), interacting (PS+SS+I), all (PS+SS+C+I), "
              "or codes such as PS,SS,I. Default: suspect (interactions: interacting).")
SEX_HELP = "Only cases of this sex: F, M, female or male."
AGE_HELP = "Only cases in these age groups (comma-separated): <18, 18-64, 65-85, >85, 65+ (= 65-85 and >85)."
LEVELS_HELP = "Event level: pt, hlt, hlgt, soc, smq_narrow, smq_broad (need --meddra) or group (needs --groups)."

Lake = Annotated[Path, typer.Option("--lake", help="Parquet lake folder (from `pvsignal ingest`).")]
OptionalLake = Annotated[Optional[Path], typer.Option("--lake", help="Parquet lake folder (from `pvsignal ingest`).")]
Out = Annotated[Optional[Path], typer.Option("--out", help="Write the full table: .csv, .parquet or .xlsx (+ .json sidecar).")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
Top = Annotated[int, typer.Option("--top", help="Rows shown on screen.")]


def drug_callback(value: str | None) -> str | None:
    """``--drug``: a brand or synonym becomes its ingredient, with a note on stderr (LUPKYNIS → voclosporin)."""
    return _resolved(value, many=False)


def drugs_callback(value: str | None) -> str | None:
    """A comma-separated ``--drug`` list: each brand or synonym becomes its ingredient(s), with a note."""
    return _resolved(value, many=True)


def comparator_callback(value: str | None) -> str | None:
    """``--comparator``: a brand or synonym becomes its ingredient, with a note."""
    return _resolved(value, many=False, hint="--comparator")


def unmask_callback(value: str | None) -> str | None:
    """``--unmask``: each brand or synonym becomes its ingredient(s), with a note."""
    return _resolved(value, many=True, hint="--unmask")


def _resolved(value: str | None, *, many: bool, hint: str = "--drug") -> str | None:
    if not value or not value.strip():
        return value
    from pvsignal import api
    from pvsignal.errors import PvsignalError

    try:
        name, notes = api.resolve_drug(value, many=many)
    except PvsignalError as exc:
        raise typer.BadParameter(str(exc), param_hint=hint) from None
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    return name


Drug = Annotated[str, typer.Option("--drug", help="Active ingredient, brand or synonym (LUPKYNIS → voclosporin).",
                                   callback=drug_callback)]
Event = Annotated[Optional[str], typer.Option("--event", help="MedDRA PT, or a group name at --level.")]
Level = Annotated[str, typer.Option("--level", help=LEVELS_HELP)]
Meddra = Annotated[Optional[Path], typer.Option("--meddra", help="MedAscii folder of your licensed MedDRA release.")]
Groups = Annotated[Optional[Path], typer.Option("--groups", help="YAML file of event groups: 'groups: {name: [PT, ...]}'.")]
Synonyms = Annotated[Optional[list[Path]], typer.Option("--synonyms", help="Extra brand → ingredient CSV (name, ingredient).")]
KeepSalts = Annotated[bool, typer.Option("--keep-salts", help="Keep salt words (HYDROCHLORIDE …) in ingredient names.")]
Engine = Annotated[str, typer.Option("--engine", help="duckdb (default) or spark.")]
SparkMaster = Annotated[str, typer.Option("--spark-master", help="Spark master URL.")]

# --- the case definition -----------------------------------------------------------------
Roles = Annotated[Optional[str], typer.Option("--roles", help=ROLES_HELP)]
Quarters = Annotated[Optional[str], typer.Option("--quarters", help="Quarter or range of the cases' kept versions, e.g. 2021Q1:2024Q4.")]
Years = Annotated[Optional[str], typer.Option("--years", help="Receipt years, e.g. 2019 or 2019:2023.")]
Sex = Annotated[Optional[str], typer.Option("--sex", help=SEX_HELP)]
AgeGroups = Annotated[Optional[str], typer.Option("--age-groups", help=AGE_HELP)]
DropDuplicates = Annotated[bool, typer.Option("--drop-probable-duplicates", help="Leave out cases flagged as probable duplicates.")]
Indication = Annotated[Optional[str], typer.Option("--indication", help="Only reports with this indication PT (background restricted by indication).")]
Comparator = Annotated[Optional[str], typer.Option("--comparator", help="Active comparator ingredient: each drug's reports against this drug's "
                                                   "(reports naming both are left out).", callback=comparator_callback)]
Unmask = Annotated[Optional[str], typer.Option("--unmask", help="Leave out reports naming these masking drugs (comma-separated).",
                                           callback=unmask_callback)]
DrugClasses = Annotated[Optional[Path], typer.Option("--drug-classes", help="CSV ingredient,class (ATC or your own) replacing FDA's EPC classes.")]

#: the case-definition options, in help order: parameter name → (annotation, default)
CASE_OPTIONS: dict[str, tuple[Any, Any]] = {
    "roles": (Roles, None), "quarters": (Quarters, None), "years": (Years, None), "sex": (Sex, None),
    "age_groups": (AgeGroups, None), "drop_probable_duplicates": (DropDuplicates, False),
    "indication": (Indication, None), "comparator": (Comparator, None), "unmask": (Unmask, None),
    "drug_classes": (DrugClasses, None),
}


def split_list(value: str | None) -> list[str] | None:
    """``"a, b,,c"`` → ``["a", "b", "c"]``; ``None`` or blank → ``None``."""
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


def parse_years(value: str | None) -> list[int] | None:
    """``"2019"`` → ``[2019, 2019]``; ``"2019:2023"`` → ``[2019, 2023]``."""
    if value is None or not value.strip():
        return None
    parts = [p.strip() for p in value.split(":")]
    try:
        years = [int(p) for p in parts]
    except ValueError:
        raise typer.BadParameter(f"years must be YYYY or YYYY:YYYY; got {value!r}", param_hint="--years") from None
    if len(years) == 1:
        years *= 2
    if len(years) != 2:
        raise typer.BadParameter(f"years must be YYYY or YYYY:YYYY; got {value!r}", param_hint="--years")
    return years


def case_filters(
    *,
    roles: str | None = None,
    quarters: str | None = None,
    years: str | None = None,
    sex: str | None = None,
    age_groups: str | None = None,
    drop_probable_duplicates: bool = False,
    indication: str | None = None,
    comparator: str | None = None,
    unmask: str | None = None,
    drug_classes: Path | None = None,
) -> dict:
    """The case-definition fields the user gave (others keep the definition's defaults)."""
    given = {
        "roles": roles, "quarters": quarters, "years": parse_years(years), "sex": sex,
        "age_groups": split_list(age_groups),
        "drop_probable_duplicates": True if drop_probable_duplicates else None,
        "indication": indication, "comparator": comparator, "unmask": split_list(unmask),
        "drug_classes": str(drug_classes) if drug_classes is not None else None,
    }
    return {k: v for k, v in given.items() if v is not None}


def option_group(options: dict[str, tuple[Any, Any]], into: str,
                 collect: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator giving a command the ``options`` (parameter name → (annotation, default)) in
    place of its parameter ``into``; the command receives ``collect(**values)`` there."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(command, eval_str=True)
        params = []
        for p in sig.parameters.values():
            if p.name != into:
                params.append(p)
                continue
            params += [inspect.Parameter(name, p.kind, annotation=ann, default=default)
                       for name, (ann, default) in options.items()]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name, default) for name, (_, default) in options.items()}
            return command(*args, **{into: collect(**given)}, **kwargs)

        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params if p.annotation is not inspect.Parameter.empty}
        return wrapper

    return decorate


#: give a command the case-definition options (:data:`CASE_OPTIONS`) in place of its ``filters``
#: parameter; it receives them as ``filters``, the :func:`case_filters` dict (the fields the user
#: gave), ready for :func:`pvsignal.api.case_definition`
case_definition_options = option_group(CASE_OPTIONS, "filters", case_filters)
