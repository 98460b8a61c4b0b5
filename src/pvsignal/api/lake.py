"""Lake commands: ingest, prepare, connect, status, rejects, drug-name maps."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pvsignal.errors import InputFileError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

from pvsignal.api._common import DEFAULT_LAKE, Progress, _steps, write_table


@dataclass
class IngestResult:
    """What :func:`ingest` did: the store's report (lake, ingest id, quarters) and the preparation's tally."""

    lake: Path
    ingest_id: str
    quarters: list = field(default_factory=list)
    tally: dict[str, Any] | None = None


def _source(paths: list[str | Path], lake: str | Path, *, allow_partial: bool = False, trust_contents: bool = False):
    """The source of ``paths``: openFDA JSON (``.json``, ``.json.zip``) or FAERS/AERS ASCII.

    openFDA quarters land in the FAERS tables, so an openFDA ingest may not replace a
    quarter read from FAERS ASCII, nor one read from openFDA files this run leaves out
    (the store replaces whole quarters): give all files of a quarter together.
    """
    from pvsignal.sources.faers.source import FaersSource
    from pvsignal.sources.openfda.files import is_openfda_input

    kinds = {is_openfda_input(p) for p in paths}
    if kinds != {True}:
        if True in kinds:
            raise InputFileError("openFDA JSON and FAERS ASCII files go in separate `pvsignal ingest` runs")
        return FaersSource(allow_partial=allow_partial, trust_contents=trust_contents)
    from pvsignal.sources.openfda.source import FORMAT, OpenFdaSource
    from pvsignal.store.lake import Lake, entries

    source = OpenFdaSource()
    held = entries(Lake(Path(lake)).manifest(), source.name)
    for unit in source.discover(paths):
        old = held.get(unit.quarter)
        if old is None:
            continue
        if old.get("format") != FORMAT:
            raise InputFileError(f"{lake} holds quarter {unit.quarter} from FAERS ASCII ({old.get('source')}); "
                                 "openFDA reports of that quarter would replace it: ingest them into another lake")
        given = {f["sha256"] for f in unit.inputs.values()}
        missing = [f["name"] for f in old.get("inputs", {}).get("demo", {}).get("files", []) if f["sha256"] not in given]
        if missing:
            raise InputFileError(f"{lake} holds quarter {unit.quarter} from {', '.join(missing)}, which this run leaves out; "
                                 "give every file of the quarter in one `pvsignal ingest`")
    return source


def ingest(paths: list[str | Path], *, lake: str | Path = DEFAULT_LAKE, synonyms: list[str | Path] | None = None,
           progress: Progress | None = None, wait: bool = False, allow_partial: bool = False,
           trust_contents: bool = False) -> IngestResult:
    """Ingest FAERS/AERS quarters or openFDA drug/event JSON into ``lake`` and rebuild the prepared tables.

    One writer at a time: the lake's lock is held across both steps (busy → ``LakeBusy``,
    or ``wait``), which become visible together, in one commit, when it is released. ``allow_partial``: a quarter lacking tables lands what it has (recorded
    in the manifest); ``trust_contents``: a zip may hold another quarter than its name.
    """
    from pvsignal.prepare.build import build
    from pvsignal.store.ingest import ingest as _ingest
    from pvsignal.store.lock import lake_lock

    from pvsignal.sources.faers.source import FaersSource

    source = _source(paths, lake, allow_partial=allow_partial, trust_contents=trust_contents)
    if isinstance(source, FaersSource):  # bad inputs fail before the lock is asked for (openFDA's: in _source)
        source.discover(list(paths))
    with lake_lock(lake, f"ingest of {', '.join(map(str, paths))[:200]}", wait=wait):
        rep = _ingest(paths, lake, source=source, progress=progress)
        if progress:
            progress(len(rep.quarters), len(rep.quarters), "deduplicating and normalising drug names")
        tally = build(lake, synonyms=synonyms)
        _write_pairs(lake)
    return IngestResult(rep.lake, rep.ingest_id, rep.quarters, tally)


def _write_pairs(lake: str | Path) -> None:
    """The persisted all-pair table of the fresh build (:mod:`pvsignal.analysis.pair_store`);
    a lake without any drug–event pair has none."""
    from pvsignal.analysis.pair_store import write_pair_table
    from pvsignal.errors import AnalysisError

    try:
        write_pair_table(lake)
    except AnalysisError:
        pass


@dataclass
class UpdateResult:
    """What :func:`update` did: the quarters ingested, how the tables were brought up to date
    (``incremental``; ``full`` with the ``reason``; ``none``: nothing new to add), the touched
    cases, the tally and ``notes`` (files a download could not fetch)."""

    lake: Path
    quarters: list = field(default_factory=list)
    mode: str = "incremental"
    reason: str | None = None
    touched_cases: int | None = None
    tally: dict[str, Any] | None = None
    pairs: int | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _download_new(lake: str | Path, dest: str | Path | None, base_url: str | None,
                  progress: Progress | None) -> tuple[list[Path], list[str]]:
    """The FAERS zips of the quarters after the lake's last one that FDA has published
    (:func:`pvsignal.api.download.download`), and notes on what was not fetched."""
    from pvsignal.api.download import download
    from pvsignal.quarters import index_quarter, quarter_index
    from pvsignal.sources.download.addresses import current_quarter
    from pvsignal.store.lake import Lake

    lk = Lake(Path(lake))
    lk.require()
    last = quarter_index(lk.quarters()[-1])
    newest = quarter_index(current_quarter()) - 1  # the last ended quarter (maybe not out yet)
    if last >= newest:
        return [], [f"the lake already ends at {index_quarter(last)}, the last quarter FDA may have published"]
    got = download(f"{index_quarter(last + 1)}:{index_quarter(newest)}", dest=dest, base_url=base_url, progress=progress)
    notes = [*got.notes, *(f"{f.name}: {f.reason}" for f in got.failed)]
    return [f.path for f in got.files if f.status != "failed" and f.path is not None], notes


def update(paths: list[str | Path] | None = None, *, lake: str | Path = DEFAULT_LAKE, progress: Progress | None = None,
           wait: bool = False, allow_partial: bool = False, trust_contents: bool = False,
           dest: str | Path | None = None, base_url: str | None = None) -> UpdateResult:
    """Add new quarters to a prepared lake and bring the prepared tables and the pair table up to date.

    Only the cases the new quarters touch (their versions and deleted-case lists) are
    recomputed (:mod:`pvsignal.prepare.incremental`, :mod:`pvsignal.analysis.pair_store`);
    the result equals a full rebuild. A full rebuild runs instead, and says why, when the
    lake has no current build or pair table, a quarter is already in the lake (replaced),
    the files are not FAERS/AERS ASCII, or the synonym tables changed. Without ``paths``
    the quarters after the lake's last one are downloaded first (into ``dest``, from FDA or
    ``base_url``; see :func:`pvsignal.api.download.download`); none published → mode ``none``.
    """
    from pvsignal.analysis import pair_store, trend_store
    from pvsignal.prepare import incremental
    from pvsignal.prepare.build import build
    from pvsignal.sources.faers.source import FaersSource
    from pvsignal.store.ingest import ingest as _ingest
    from pvsignal.store.lake import Lake
    from pvsignal.store.lock import lake_lock

    notes: list[str] = []
    if not paths:
        paths, notes = _download_new(lake, dest, base_url, progress)
        if not paths:
            return UpdateResult(Path(lake), [], "none", "no new quarter published", notes=notes)
    source = _source(paths, lake, allow_partial=allow_partial, trust_contents=trust_contents)
    units = source.discover(list(paths)) if isinstance(source, FaersSource) else []
    step = _steps(progress, 3)
    lk = Lake(Path(lake))
    clock = _Clock()
    with lake_lock(lk.root, f"update with {', '.join(map(str, paths))[:200]}", wait=wait):
        incremental.discard_leftovers(lk)
        before = lk.manifest()
        new_q = sorted({u.quarter for u in units})
        reason = ("the files are not FAERS/AERS ASCII" if not isinstance(source, FaersSource)
                  else "the lake has no current prepared tables and pair table" if not pair_store.is_current(before)
                  else f"quarter(s) {', '.join(q for q in new_q if q in before['quarters'])} replaced"
                  if set(new_q) & set(before["quarters"]) else None)
        kept = None
        if reason is None:
            kept = incremental.keep_prepared(lk, trend_store.paths(lk.root, before["pair_table"].get("files") or {}))
        try:
            step(0, f"ingesting {len(new_q) or 'the'} quarter(s)")
            rep = _ingest(paths, lk.root, source=source)
            clock("ingest")
            done = None
            if kept is not None:
                step(1, "updating the cases the new quarters touch")
                done = incremental.update_prepared(lk, kept, new_q)
                clock("prepared tables")
                reason = None if done is not None else "the synonym tables changed"
            if done is None:
                step(1, "deduplicating and normalising drug names (full rebuild)")
                tally = build(lk.root)
                clock("prepared tables")
                step(2, "counting and scoring every drug–event pair")
                _write_pairs(lk.root)
                clock("pair table")
                entry = lk.manifest().get("pair_table") or {}
                return UpdateResult(rep.lake, rep.quarters, "full", reason, None, tally, entry.get("pairs"), clock.seconds,
                                    notes)
            step(2, "updating the pair counts and rescoring every pair")
            by_quarter = trend_store.after_update(lk, kept.files, done.delta, done.record["files"])
            clock("pair counts")
            table, meta = pair_store.score(trend_store.totals(by_quarter))
            clock("scoring")
            stored = trend_store.write(lk, by_quarter, priors=False)  # the slice priors: left to the next prepare
            clock("counts by quarter")
            manifest = lk.manifest()
            manifest["prepared"] = done.record
            manifest["pair_table"] = pair_store.write_table(lk, table, meta, done.record["run_id"], stored)
            lk.write_manifest(manifest)
            lk.sweep()
            clock("commit")
        finally:
            if kept is not None:
                kept.discard()
    return UpdateResult(rep.lake, rep.quarters, "incremental", None, done.touched, done.record["tally"], len(table),
                        clock.seconds, notes)


class _Clock:
    """Seconds of each named step (``seconds``: step → seconds)."""

    def __init__(self) -> None:
        import time

        self.now, self.t, self.seconds = time.perf_counter, time.perf_counter(), {}

    def __call__(self, step: str) -> None:
        t = self.now()
        self.seconds[step] = round(t - self.t, 2)
        self.t = t


def scored_pairs(lake: str | Path = DEFAULT_LAKE, drug: str | list[str] | None = None, **kwargs) -> "pd.DataFrame":
    """The scored pairs of ``drug`` (or all) from the lake's stored pair table: exactly what
    :func:`signals` returns for the default case definition; see
    :func:`pvsignal.analysis.pair_store.scored_pairs`."""
    from pvsignal.analysis.pair_store import scored_pairs as _scored

    return _scored(lake, drug, **kwargs)


def commits_made() -> list[str]:
    """Manifests this process has committed (swapped in) so far; cheap: imports nothing."""
    import sys

    mod = sys.modules.get("pvsignal.store.lake")
    return list(mod.COMMITS) if mod is not None else []


def prepare(lake: str | Path = DEFAULT_LAKE, *, synonyms: list[str | Path] | None = None, strip_salts: bool = True,
            engine: str = "duckdb", spark_master: str = "local[*]", progress: Progress | None = None,
            wait: bool = False) -> dict[str, Any]:
    """Rebuild the deduplicated, normalised tables (e.g. after adding synonyms), on DuckDB or Spark."""
    from pvsignal.prepare.build import build

    from pvsignal.store.lake import Lake
    from pvsignal.store.lock import lake_lock

    Lake(Path(lake)).require()  # a missing lake says so before a lock is asked for
    step = _steps(progress, 2)
    step(0, f"deduplicating and normalising drug names on {engine}")
    with lake_lock(lake, "prepare", wait=wait):
        tally = build(lake, synonyms=synonyms, strip_salts=strip_salts, engine=engine, spark_master=spark_master)
        step(1, "counting and scoring every drug–event pair")
        _write_pairs(lake)
    return tally


def connect(lake: str | Path = DEFAULT_LAKE, *, drop_probable_duplicates: bool = False):
    """A DuckDB connection with the prepared views (``cases``, ``case_drugs`` …)."""
    from pvsignal.prepare.build import connect as _connect

    return _connect(lake, drop_probable_duplicates=drop_probable_duplicates)


def check_current(lake: str | Path = DEFAULT_LAKE, *, pair_table: bool = True) -> None:
    """Raise :class:`~pvsignal.errors.LakeError` unless ``lake``'s prepared tables cover its
    quarters under this version's drug dictionary (:func:`pvsignal.prepare.views.is_current`)
    and (``pair_table``) its pair table was scored from them. A reader that must not write
    (the explorer) checks this instead of having them rebuilt on first use."""
    from pvsignal.analysis.pair_store import is_current as pairs_current
    from pvsignal.errors import LakeError
    from pvsignal.prepare.views import is_current
    from pvsignal.store.lake import Lake

    manifest = Lake(Path(lake)).require()
    fix = f"run `pvsignal prepare --lake {lake}`"
    if not is_current(manifest):
        raise LakeError(f"{lake}: the prepared tables are missing or stale (older than its quarters or this "
                        f"version's drug dictionary): {fix}")
    if pair_table and not pairs_current(manifest):
        raise LakeError(f"{lake}: the scored pair table is missing or older than the prepared tables: {fix}")


def status(lake: str | Path = DEFAULT_LAKE) -> dict[str, Any]:
    """Quarters, rows, rejects and the deduplication tally (see :func:`pvsignal.prepare.status.lake_status`)."""
    from pvsignal.prepare.status import lake_status
    from pvsignal.store.lake import Lake

    st = lake_status(lake)
    quarters = Lake(Path(lake)).manifest()["quarters"]
    st["missing_tables"] = {q: e["missing_tables"] for q, e in sorted(quarters.items()) if e.get("missing_tables")}
    return st


def rejects(lake: str | Path = DEFAULT_LAKE) -> "pd.DataFrame":
    """Every input line that did not land exactly as written, with its reason; ``count`` is
    the number of values a row stands for (1 for a line, more for a per-column summary)."""
    import pandas as pd

    from pvsignal.store.lake import Lake

    lk = Lake(Path(lake)).snapshot()  # a reader lease keeps the files while they are read
    try:
        lk.require()
        files = lk.files("rejects")
        if not files:
            return pd.DataFrame(columns=["quarter", "table", "file", "line", "action", "reason", "raw", "count"])
        df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    finally:
        lk.release()
    if "count" not in df:  # a lake ingested before summaries: one value per row
        df["count"] = 1
    df["count"] = df["count"].fillna(1).astype("int64")
    return df[["quarter", "table", "file", "line", "action", "reason", "raw", "count"]]


def drugs_build_map(
    drugsatfda: str | Path, *, out: str | Path | None = None, lake: str | Path | None = None
) -> tuple["pd.DataFrame", Path]:
    """Brand → ingredient rows from Drugs@FDA, written to ``out`` or into the lake."""
    from pvsignal.prepare.drugs import build_drugsatfda_map

    df = build_drugsatfda_map(drugsatfda)
    if out is None and lake is None:
        raise InputFileError("say where the map goes: --out FILE.csv or --lake DIR")
    if lake is not None:
        from pvsignal.store.lock import lake_lock

        target = Path(lake) / "synonyms" / "drugsatfda.csv"
        with lake_lock(lake, "drugs build-map"):
            target.parent.mkdir(parents=True, exist_ok=True)
            df.to_csv(target, index=False)
    if out is not None:
        target = write_table(df, out)
    return df, Path(target)


def drugs_normalize(
    file: str | Path,
    *,
    column: str = "drugname",
    out: str | Path | None = None,
    synonyms: list[str | Path] | None = None,
    strip_salts: bool = True,
) -> "pd.DataFrame":
    """Map a CSV column of drug names to ingredients; optionally write the result."""
    import pandas as pd

    from pvsignal.prepare.drugs import normalize_names

    p = Path(file)
    if not p.is_file():
        raise InputFileError(f"{p} does not exist")
    try:
        names = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""], skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {p} as CSV: {exc}") from exc
    df = normalize_names(names, column, synonyms=synonyms, strip_salts=strip_salts)
    if out is not None:
        write_table(df, out)
    return df
