"""Reading knowledge files (CSV and YAML) with line numbers, for clear errors.

Every knowledge file is data, not code: a malformed file raises
:class:`~pvsignal.errors.ConfigError` naming the file, the line (or the YAML path) and the
reason, so the person editing it can fix it.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterator

import yaml
from pydantic import BaseModel, ValidationError

from pvsignal.errors import ConfigError


def config_error(path: Path, where: str | int | None, reason: str) -> ConfigError:
    """A :class:`ConfigError` saying ``<file>, line <n>: <reason>`` and how to fix it."""
    loc = f", line {where}" if isinstance(where, int) else (f", {where}" if where else "")
    return ConfigError(f"knowledge file {path}{loc}: {reason}. Fix the file and run again.")


def read_csv(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line number, row)`` for each data row of a UTF-8 CSV with a header.

    The header must hold exactly ``columns`` (in any order); values are stripped.
    Blank lines are skipped. Raises :class:`ConfigError` for a missing file, a wrong header
    or a row with the wrong number of fields.
    """
    if not path.is_file():
        raise config_error(path, None, "file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise config_error(path, None, f"not UTF-8 text ({exc.reason})") from None
    reader = csv.reader(text.splitlines(), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise config_error(path, 1, "empty file, expected a header row") from None
    missing = [c for c in columns if c not in header]
    extra = [c for c in header if c not in columns]
    if missing or extra:
        raise config_error(
            path, 1, f"header must have the columns {', '.join(columns)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unexpected {', '.join(extra)}" if extra else ""),
        )
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise config_error(path, line, f"expected {len(header)} fields, found {len(fields)}")
            yield line, {h: f.strip() for h, f in zip(header, fields)}
    except csv.Error as exc:
        raise config_error(path, reader.line_num, f"CSV syntax error ({exc})") from None


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; syntax errors become :class:`ConfigError` with the line."""
    if not path.is_file():
        raise config_error(path, None, "file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise config_error(path, line, f"YAML syntax error ({exc.problem})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise config_error(path, None, f"cannot read YAML ({exc})") from None


def validate(model: type[BaseModel], data: Any, path: Path, where: int | str | None) -> Any:
    """``model.model_validate(data)`` with the first validation problem as a ConfigError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        msg = err["msg"]
        if isinstance(where, int):
            raise config_error(path, where, f"column {field!r}: {msg}" if field else msg) from None
        loc = ".".join(x for x in (where or "", field) if x)
        raise config_error(path, loc or None, msg) from None
