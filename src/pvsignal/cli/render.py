"""Rich output shared by the commands: consoles, messages, tables that fit, progress.

Tables never cut a number: a column whose cells are numbers (or number-like text such as
``2.31 (1.10–4.85)``) keeps its full width; text columns wrap; when the numbers alone do
not fit the console, the lowest-priority columns are dropped and the caption names them.
Messages (errors, notes) are printed soft-wrapped: one line each, whatever the width, so a
long path or name survives a narrow terminal and a pipe. Longer plain lines are broken to the
console's width only where the caller allows (:func:`print_parts`: between parts;
:func:`print_command`: before an option, with a ``\\`` continuation; prose notes at words).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    import pandas as pd

console = Console()
console_err = Console(stderr=True)

#: characters that may surround digits in a number-like cell: 1,234 · 2.3 (1.1–4.8) · 12 (5.0%) [3] · <0.001
_NUMBER_LIKE = re.compile(r"^[\s\d.,()\[\]%<>≤≥+\-–—/:×eE]*$|^(NE|inf|-inf|nan)$")
_OVERHEAD_PER_COLUMN = 3  # padding 1 + 1 and a separator (Rich's default box)
_MIN_TEXT = 10  # a text column is not squeezed below this (or its widest word, if shorter)
_WHOLE_WORD = 20  # words up to this long are kept whole when there is room (longer ones, e.g. paths, fold)


def print_error(message: str, *, usage: str | None = None, hint: str | None = None) -> None:
    """``error: message`` on stderr, unwrapped (``usage`` and ``hint`` lines before it)."""
    for line in (usage, hint):
        if line:
            console_err.print(escape(line), highlight=False, soft_wrap=True)
    console_err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def print_note(message: str, *, label: str = "note", style: str = "yellow", wrap: bool = False) -> None:
    """A warning or note on stdout, unwrapped (``wrap``: prose without paths, wrapped at word
    boundaries to the console); ``message`` is plain text (never markup)."""
    console.print(f"[{style}]{escape(label)}:[/] {escape(message)}", highlight=False, soft_wrap=not wrap)


def note_synthetic(synthetic: bool) -> None:
    """Say so under a result built from ``pvsignal synth`` output (the lake's manifest records it)."""
    if synthetic:
        print_note("built from pvsignal synth output, not from real reports", label="SYNTHETIC DATA", style="bold red")


def print_line(message: str) -> None:
    """Plain text on stdout, unwrapped (paths and names survive a narrow console)."""
    console.print(message, highlight=False, markup=False, soft_wrap=True)


def packed_lines(parts: Sequence[str], *, width: int, sep: str = " ", indent: str = "  ", end: str = "") -> list[str]:
    """``parts`` joined by ``sep`` into lines of at most ``width`` cells where they allow.

    A part is never split (a path or a name stays whole, even when longer than ``width``);
    lines after the first start with ``indent``, and every line but the last ends with
    ``end`` (``" \\"``: a shell command that still pastes as one).
    """
    lines: list[str] = []
    line = ""
    for part in parts:
        joined = f"{line}{sep}{part}" if line.strip() else f"{line}{part}"
        if line.strip() and cell_len(joined + end) > width:
            lines.append(line + end)
            line = indent + part
        else:
            line = joined
    return [*lines, line] if line.strip() else lines


def print_parts(parts: Sequence[str], *, sep: str = " · ", indent: str = "  ") -> None:
    """Plain text on stdout in lines that fit the console, breaking only between ``parts``."""
    for line in packed_lines(parts, width=console.width, sep=sep, indent=indent):
        print_line(line)


def print_command(argv: Sequence[str], *, indent: str = "  ") -> None:
    """A shell command (words unquoted) on stdout, quoted, and broken before an option with a
    ``\\`` continuation when it does not fit the console: copied whole, it still runs."""
    import shlex

    groups: list[list[str]] = []
    for word in argv:  # an option keeps its value on its line
        if not groups or word.startswith("-"):
            groups.append([])
        groups[-1].append(shlex.quote(word))
    parts = [" ".join(g) for g in groups]
    parts[0] = indent + parts[0]
    for line in packed_lines(parts, width=console.width, indent=indent + "    ", end=" \\"):
        print_line(line)


def sidecar(out: "Path") -> "Path":
    """The ``.json`` sidecar written beside ``out`` (``../x.csv`` → ``../x.csv.json``), as
    :func:`pvsignal.api.write_table` names it."""
    return out.with_name(out.name + ".json")


def is_number_like(cells: Sequence[str]) -> bool:
    """True when every non-empty cell is a number, interval or count (no words to wrap)."""
    filled = [c for c in cells if c and c != "—"]
    return bool(filled) and all(bool(_NUMBER_LIKE.match(c)) and (any(ch.isdigit() for ch in c) or c in ("NE", "inf", "-inf", "nan"))
                                for c in filled)


def _widest_word(text: str) -> int:
    return max((cell_len(w) for w in text.split()), default=0)


def fit_columns(
    headers: Sequence[str],
    cells: Sequence[Sequence[str]],
    *,
    width: int,
    keep: int = 1,
    numeric: Sequence[bool] | None = None,
    min_widths: Sequence[int] | None = None,
) -> tuple[list[int], list[int | None]]:
    """Which columns fit in ``width`` cells, and their widths.

    ``cells[j]`` are column ``j``'s plain-text cells. Number-like columns need their
    widest cell; text columns at least ``min(widest word, 10)``, or ``min_widths[j]`` (up to
    their widest cell) when given: a column that reads badly narrower is dropped instead. Columns are dropped from
    the right (lowest priority) until the rest fit; the first ``keep`` are never dropped.
    Returns the kept column indexes and, for each, a fixed width (``None``: natural).
    """
    n = len(headers)
    numeric = list(numeric) if numeric is not None else [is_number_like(c) for c in cells]
    natural, need = [], []
    for j in range(n):
        body = max((max((cell_len(x) for x in c.split("\n")), default=0) for c in cells[j]), default=0)
        head = max((cell_len(x) for x in headers[j].split("\n")), default=0)
        natural.append(max(body, head, 1))
        if numeric[j]:
            need.append(max(body, _widest_word(headers[j]), 1))
        else:
            # the identifying columns (the first ``keep``: drug, event, term) keep whole words up to
            # _WHOLE_WORD ("THROMBOCYTOPENIA" never folds); other text columns may fold at _MIN_TEXT
            floor = _WHOLE_WORD if j < keep else _MIN_TEXT
            words = max((_widest_word(c) for c in cells[j]), default=0)
            need.append(max(1, min(natural[j], max(min(words, floor), min(_widest_word(headers[j]), floor),
                                                   min_widths[j] if min_widths else 0))))
    kept = list(range(n))
    room = lambda cols: width - 1 - _OVERHEAD_PER_COLUMN * len(cols)  # noqa: E731
    while sum(need[j] for j in kept) > room(kept) and len(kept) > keep:
        kept.pop()
    if sum(natural[j] for j in kept) <= room(kept):
        return kept, [None] * len(kept)
    widths = {j: need[j] for j in kept}
    spare = room(kept) - sum(widths.values())
    # text columns: first whole words, left (higher priority) columns first; then the rest of
    # the room shared fairly (max-min) towards each column's natural width
    for j in kept:
        if not numeric[j]:
            words = min(natural[j], _WHOLE_WORD, max(_widest_word(c) for c in [*cells[j], headers[j]]))
            give = max(0, min(words - widths[j], spare))
            widths[j] += give
            spare -= give
    wanting = sorted((j for j in kept if not numeric[j] and natural[j] > widths[j]), key=lambda j: natural[j] - widths[j])
    while wanting and spare > 0:
        share = max(1, spare // len(wanting))
        j = wanting.pop(0)
        give = min(natural[j] - widths[j], share, spare)
        widths[j] += give
        spare -= give
    return kept, [widths[j] for j in kept]


def _cell(text: str):
    """A plain-text cell; a leading indent (a PT under its SOC) is kept on every wrapped line."""
    indent = len(text) - len(text.lstrip(" "))
    if indent and text.strip():
        from rich.padding import Padding
        from rich.text import Text

        return Padding(Text(text[indent:]), (0, 0, 0, indent))  # Text: never markup
    return escape(text)


def fitted_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    caption: str | None = None,
    numeric: Sequence[bool] | None = None,
    keep: int = 1,
    target: Console | None = None,
    min_widths: Sequence[int] | None = None,
) -> Table:
    """A Rich table of plain-text ``rows`` that fits ``target``'s width without cutting a number.

    Text is escaped (report text is untrusted: never Rich markup). Dropped columns are named
    in the caption.
    """
    width = (target or console).width
    cols = [[r[j] for r in rows] for j in range(len(headers))]
    flags = list(numeric) if numeric is not None else [is_number_like(c) for c in cols]
    kept, widths = fit_columns(headers, cols, width=width, keep=keep, numeric=flags, min_widths=min_widths)
    table = Table(title=escape(title) if title else None)
    for j, w in zip(kept, widths):
        table.add_column(escape(headers[j]), justify="right" if flags[j] else "left", width=w, overflow="fold",
                         no_wrap=flags[j] and w is None)
    for r in rows:
        table.add_row(*(_cell(r[j]) for j in kept))
    notes = [caption] if caption else []
    dropped = [headers[j] for j in range(len(headers)) if j not in kept]
    if dropped:
        notes.append("not shown at this width: " + ", ".join(h.replace("\n", " ") for h in dropped)
                     + " (widen the terminal, or write every column with --out)")
    if notes:
        table.caption = escape("; ".join(notes))
    return table


def format_value(v: Any, digits: int) -> str:
    """A cell as plain text: floats to ``digits`` places, missing values empty."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.{digits}f}"
    import pandas as pd

    if v is pd.NA or v is pd.NaT:
        return ""
    return str(v)


def dataframe_table(
    df: "pd.DataFrame",
    *,
    title: str | None = None,
    columns: list[str] | None = None,
    max_rows: int = 25,
    digits: int = 2,
    caption_total: int | None = None,
    keep: int = 1,
    numeric_columns: Sequence[str] = (),
    min_widths: dict[str, int] | None = None,
) -> Table:
    """A fitted Rich table of the first ``max_rows`` rows of ``df`` (numbers right-aligned).

    Column order is priority order: the rightmost columns are dropped first when the
    console is too narrow (see :func:`fitted_table`). ``numeric_columns`` are kept whole
    and right-aligned like numbers even when a cell holds words (``— (zero cell)``);
    ``min_widths``: text columns not squeezed below this many cells (see :func:`fit_columns`).
    """
    import pandas as pd

    cols = columns or list(df.columns)
    head = df[cols].head(max_rows)
    rows = [[format_value(v, digits) for v in row] for row in head.itertuples(index=False)]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) or None for c in cols]
    flags = [bool(f) or cols[j] in numeric_columns or is_number_like([r[j] for r in rows]) for j, f in enumerate(numeric)]
    total = len(df) if caption_total is None else caption_total
    caption = f"{min(max_rows, len(df))} of {total:,} rows shown" if total > max_rows else None
    mins = [(min_widths or {}).get(c, 0) for c in cols]
    return fitted_table([str(c) for c in cols], rows, title=title, caption=caption, numeric=flags, keep=keep,
                        min_widths=mins)


def print_dataframe(df: "pd.DataFrame", **kwargs: Any) -> None:
    console.print(dataframe_table(df, **kwargs))


Progress = Callable[[int, int, str], None]


@contextmanager
def progress(label: str, *, total: int | None = None, unit: str = "steps") -> Iterator[Progress]:
    """A live progress display on stderr while a step runs; yields the ``progress`` callback
    the API accepts (``done, total, label``). Quiet when stdout or stderr is not a terminal.
    ``unit="bytes"``: done/total are bytes, shown with the transfer rate."""
    if not (console.is_terminal and console_err.is_terminal):
        yield lambda done, total, label: None
        return
    from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress as Bar, SpinnerColumn,
                               TextColumn, TimeElapsedColumn, TransferSpeedColumn)

    # MofN shows "0/?" (not "0/None") until a step says how many steps there are
    counts = (DownloadColumn(), TransferSpeedColumn()) if unit == "bytes" else (MofNCompleteColumn(),)
    with Bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), *counts,
             TimeElapsedColumn(), console=console_err, transient=True) as bar:
        task = bar.add_task(escape(label), total=total)
        shown = [label]

        def update(done: int, total: int, what: str) -> None:
            if unit == "bytes" and what != shown[0]:  # a new file: its own rate, not the last one's
                shown[0] = what
                bar.reset(task, total=total or None, description=escape(what))
            bar.update(task, completed=done, total=total or None, description=escape(what))

        yield update
