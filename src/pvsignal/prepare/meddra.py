"""The user's licensed MedDRA release and user-defined PT groups, as event groups.

MedDRA is licensed: pvsignal never ships MedDRA content. The user points at the
``MedAscii`` folder of their own release; :func:`load_meddra` reads it.

File format (FACTS-2.md §1): one record per line, fields separated by ``$``, no
header, every record ends with a ``$`` (one extra empty field), quoting and comment
handling disabled (term names may contain quotes or ``#``). Files are decoded as
UTF-8 (translations), falling back to Latin-1; CRLF and LF both work.

Required: ``mdhier.asc``, ``pt.asc``, ``llt.asc``. Optional: ``soc.asc``, ``hlgt.asc``,
``hlt.asc``, ``smq_list.asc``, ``smq_content.asc`` (SMQ groups need both SMQ files).

Event groups are rows ``(pt, group_name, level)`` — ``pt`` upper case like
``case_reactions.pt`` — with ``level`` one of :data:`LEVELS`:

* ``hlt``, ``hlgt``, ``soc`` — the PT's primary path only by default
  (``mdhier.primary_soc_fg = 'Y'``), so a multiaxial PT is counted once at SOC level;
* ``smq_narrow`` — active (``term_status = 'A'``) PT-level terms of scope 2 (narrow);
  ``smq_broad`` — active PT terms of scope 1 or 2 (a broad search includes the narrow
  terms, as vigicaen does). LLT-level terms (``term_level`` 5) are mapped to their PT;
  sub-SMQs (``term_level`` 0) are expanded into their parent. Algorithmic SMQs
  (``smq_algorithm`` not ``N``) are returned as plain narrow/broad term lists: the
  algorithm's category weights are not applied.
* ``group`` — user-defined groups from YAML (``groups: {name: [PT, ...]}``).

:func:`register_pt_groups` exposes such rows to DuckDB as the view ``pt_groups`` so
that counts, cases and onset can run at group level.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from pvsignal.errors import ConfigError, InputFileError

LEVELS = ("hlt", "hlgt", "soc", "smq_narrow", "smq_broad", "group")

#: Field names per file, 0-based order of FACTS-2.md §1.2 (trailing empty field dropped).
FIELDS: dict[str, list[str]] = {
    "llt": ["llt_code", "llt_name", "pt_code", "llt_whoart_code", "llt_harts_code",
            "llt_costart_sym", "llt_icd9_code", "llt_icd9cm_code", "llt_icd10_code",
            "llt_currency", "llt_jart_code"],
    "pt": ["pt_code", "pt_name", "null_field", "pt_soc_code", "pt_whoart_code",
           "pt_harts_code", "pt_costart_sym", "pt_icd9_code", "pt_icd9cm_code",
           "pt_icd10_code", "pt_jart_code"],
    "hlt": ["hlt_code", "hlt_name", "hlt_whoart_code", "hlt_harts_code", "hlt_costart_sym",
            "hlt_icd9_code", "hlt_icd9cm_code", "hlt_icd10_code", "hlt_jart_code"],
    "hlgt": ["hlgt_code", "hlgt_name", "hlgt_whoart_code", "hlgt_harts_code",
             "hlgt_costart_sym", "hlgt_icd9_code", "hlgt_icd9cm_code", "hlgt_icd10_code",
             "hlgt_jart_code"],
    "soc": ["soc_code", "soc_name", "soc_abbrev", "soc_whoart_code", "soc_harts_code",
            "soc_costart_sym", "soc_icd9_code", "soc_icd9cm_code", "soc_icd10_code",
            "soc_jart_code"],
    "mdhier": ["pt_code", "hlt_code", "hlgt_code", "soc_code", "pt_name", "hlt_name",
               "hlgt_name", "soc_name", "soc_abbrev", "null_field", "pt_soc_code",
               "primary_soc_fg"],
    "smq_list": ["smq_code", "smq_name", "smq_level", "smq_description", "smq_source",
                 "smq_note", "meddra_version", "status", "smq_algorithm"],
    "smq_content": ["smq_code", "term_code", "term_level", "term_scope", "term_category",
                    "term_weight", "term_status", "term_addition_version",
                    "term_last_modified_version"],
}
REQUIRED = ("mdhier", "pt", "llt")
OPTIONAL = ("soc", "hlgt", "hlt", "smq_list", "smq_content")


def read_asc(path: str | Path, kind: str) -> pd.DataFrame:
    """Read one MedDRA ``.asc`` file of the given kind (a key of :data:`FIELDS`).

    All fields are kept as text (codes keep their exact digits); empty fields are ``""``.
    A record with more fields than the layout names is an error (wrong file or release).
    """
    path = Path(path)
    names = FIELDS[kind]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    text = text.lstrip("\ufeff")
    try:
        df = pd.read_csv(
            io.StringIO(text), sep="$", header=None, dtype=str, keep_default_na=False,
            na_filter=False, quoting=csv.QUOTE_NONE, comment=None, engine="c",
            skip_blank_lines=True,
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame({n: pd.Series(dtype=str) for n in names})
    except pd.errors.ParserError as exc:
        raise InputFileError(
            f"{path.name} in {path.parent} is not a MedDRA {kind}.asc file "
            f"({len(names)} '$'-terminated fields per record expected): {exc}"
        ) from None
    # the trailing '$' adds one empty column; older releases may lack the last fields
    if df.shape[1] == len(names) + 1 and (df.iloc[:, -1] == "").all():
        df = df.iloc[:, :-1]
    if df.shape[1] > len(names):
        raise InputFileError(
            f"{path.name} in {path.parent} has {df.shape[1]} fields per record, more than the "
            f"{len(names)} of a MedDRA {kind}.asc file; is it the right file?"
        )
    df.columns = names[: df.shape[1]]
    for missing in names[df.shape[1]:]:
        df[missing] = ""
    return df


def _find(folder: Path, kind: str) -> Path | None:
    want = f"{kind}.asc"
    for p in folder.iterdir():
        if p.is_file() and p.name.lower() == want:
            return p
    return None


@dataclass
class MedDRA:
    """A loaded MedDRA release (DataFrames of text fields; names as in FACTS-2.md §1.2)."""

    folder: Path
    mdhier: pd.DataFrame
    pt: pd.DataFrame
    llt: pd.DataFrame
    soc: pd.DataFrame | None = None
    hlgt: pd.DataFrame | None = None
    hlt: pd.DataFrame | None = None
    smq_list: pd.DataFrame | None = None
    smq_content: pd.DataFrame | None = None

    # -- hierarchy ---------------------------------------------------------------
    def hierarchy(self, *, primary_only: bool = True) -> pd.DataFrame:
        """PT → HLT → HLGT → SOC paths: columns pt, hlt, hlgt, soc, soc_abbrev, primary.

        ``pt`` is the upper-case PT name (as in ``case_reactions``); other names are as
        in the release. ``primary_only`` keeps the path with ``primary_soc_fg = 'Y'``.
        """
        h = self.mdhier
        if primary_only:
            h = h[h["primary_soc_fg"].str.upper() == "Y"]
        out = pd.DataFrame({
            "pt": h["pt_name"].str.strip().str.upper(),
            "pt_code": h["pt_code"], "hlt": h["hlt_name"], "hlgt": h["hlgt_name"],
            "soc": h["soc_name"], "soc_abbrev": h["soc_abbrev"],
            "primary": h["primary_soc_fg"].str.upper() == "Y",
        })
        return out.drop_duplicates().reset_index(drop=True)

    # -- term mapping --------------------------------------------------------------
    def to_pt(self, terms: Iterable[str]) -> pd.DataFrame:
        """Map PT names, LLT names or verbatim terms to PT names (case-insensitive).

        Returns one row per input term: ``term``, ``pt`` (upper case, null when no match),
        ``matched_as`` (``'PT'``, ``'LLT'`` or null), ``llt_current`` (LLT currency flag;
        null unless matched as LLT). A PT name wins over an equal LLT name. Non-current LLTs
        are mapped too, since older reports were coded with them. Leading/trailing blanks
        and runs of inner blanks are ignored.
        """
        terms = list(terms)
        key = pd.Series(terms, dtype="string").str.strip().str.replace(r"\s+", " ", regex=True).str.upper()
        pt_names = self.pt.assign(key=self.pt["pt_name"].str.strip().str.upper())
        pt_by_code = dict(zip(self.pt["pt_code"], pt_names["key"]))
        llt = self.llt.assign(
            key=self.llt["llt_name"].str.strip().str.replace(r"\s+", " ", regex=True).str.upper(),
            target=self.llt["pt_code"].map(pt_by_code),
            current=self.llt["llt_currency"].str.upper() == "Y",
        ).dropna(subset=["target"])
        # one LLT name could in principle appear twice: prefer the current one
        llt = llt.sort_values("current", ascending=False).drop_duplicates("key")
        pt_set = set(pt_names["key"])
        llt_map = llt.set_index("key")
        is_pt = key.isin(pt_set)
        in_llt = key.isin(llt_map.index) & ~is_pt
        pt_out = key.where(is_pt)
        pt_out = pt_out.fillna(key.map(llt_map["target"]).where(in_llt))
        return pd.DataFrame({
            "term": terms,
            "pt": pt_out.astype(object).where(pt_out.notna(), None),
            "matched_as": pd.Series(["PT" if p else ("LLT" if l else None) for p, l in zip(is_pt, in_llt)], dtype=object),
            "llt_current": [bool(v) if i else None for v, i in zip(key.map(llt_map["current"]), in_llt)],
        })

    # -- SMQs ------------------------------------------------------------------------
    def smq_terms(self, *, scope: str = "narrow") -> pd.DataFrame:
        """Active PT-level terms of every SMQ: columns smq_code, smq_name, pt.

        ``scope='narrow'`` keeps term_scope 2; ``'broad'`` keeps 1 and 2. LLT-level terms
        are mapped to their PT; sub-SMQ references (term_level 0) are expanded (their
        own terms join the parent). Only terms with term_status 'A' count.
        """
        if self.smq_list is None or self.smq_content is None:
            raise InputFileError(
                f"SMQ groups need smq_list.asc and smq_content.asc in {self.folder}; "
                "they are missing from this release folder"
            )
        if scope not in ("narrow", "broad"):
            raise ConfigError(f"SMQ scope must be 'narrow' or 'broad', not {scope!r}")
        scopes = ["2"] if scope == "narrow" else ["1", "2"]
        c = self.smq_content
        active = c[c["term_status"].str.upper() == "A"]
        terms = active[active["term_level"].isin(["4", "5"]) & active["term_scope"].isin(scopes)]
        pt_by_code = self.pt.set_index("pt_code")["pt_name"].str.strip().str.upper()
        llt_to_pt = self.llt.set_index("llt_code")["pt_code"]
        code = terms["term_code"].where(terms["term_level"] == "4", terms["term_code"].map(llt_to_pt))
        direct = pd.DataFrame({"smq_code": terms["smq_code"].to_numpy(), "pt": code.map(pt_by_code).to_numpy()})
        direct = direct.dropna()
        # expand sub-SMQs: (parent, child) edges, closed transitively
        edges = active[active["term_level"] == "0"][["smq_code", "term_code"]]
        edges = edges.rename(columns={"smq_code": "parent", "term_code": "child"})
        anc = edges.copy()
        while True:
            more = anc.merge(edges, left_on="child", right_on="parent", suffixes=("", "_2"))
            more = more[["parent", "child_2"]].rename(columns={"child_2": "child"})
            grown = pd.concat([anc, more]).drop_duplicates()
            if len(grown) == len(anc):
                break
            anc = grown
        inherited = anc.merge(direct, left_on="child", right_on="smq_code")[["parent", "pt"]]
        inherited = inherited.rename(columns={"parent": "smq_code"})
        allrows = pd.concat([direct, inherited]).drop_duplicates()
        names = self.smq_list.set_index("smq_code")["smq_name"]
        allrows["smq_name"] = allrows["smq_code"].map(names)
        return allrows[["smq_code", "smq_name", "pt"]].sort_values(["smq_code", "pt"]).reset_index(drop=True)

    # -- event groups ------------------------------------------------------------------
    def pt_groups(self, levels: Iterable[str] = ("hlt", "hlgt", "soc"), *, primary_only: bool = True) -> pd.DataFrame:
        """Rows ``(pt, group_name, level)`` for the requested MedDRA levels (see module doc)."""
        frames = []
        levels = list(levels)
        bad = [lv for lv in levels if lv not in LEVELS or lv == "group"]
        if bad:
            raise ConfigError(f"unknown MedDRA level(s) {bad}; choose from {[x for x in LEVELS if x != 'group']}")
        h = self.hierarchy(primary_only=primary_only)
        for lv in ("hlt", "hlgt", "soc"):
            if lv in levels:
                frames.append(pd.DataFrame({"pt": h["pt"], "group_name": h[lv], "level": lv}))
        for lv, scope in (("smq_narrow", "narrow"), ("smq_broad", "broad")):
            if lv in levels:
                s = self.smq_terms(scope=scope)
                frames.append(pd.DataFrame({"pt": s["pt"], "group_name": s["smq_name"], "level": lv}))
        return _group_frame(frames)


def load_meddra(folder: str | Path) -> MedDRA:
    """Load a MedDRA ASCII release from ``folder`` (the MedAscii folder, or its parent).

    Raises :class:`InputFileError` naming any missing required file and the folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"MedDRA folder {folder} does not exist; point to the MedAscii folder of your release")
    if _find(folder, "mdhier") is None:
        for sub in folder.iterdir():
            if sub.is_dir() and sub.name.lower() == "medascii":
                folder = sub
                break
    tables: dict[str, pd.DataFrame | None] = {}
    missing = [k for k in REQUIRED if _find(folder, k) is None]
    if missing:
        raise InputFileError(
            f"MedDRA release in {folder} lacks {', '.join(m + '.asc' for m in missing)}; "
            "point to the MedAscii folder of your licensed MedDRA release"
        )
    for kind in (*REQUIRED, *OPTIONAL):
        p = _find(folder, kind)
        tables[kind] = read_asc(p, kind) if p is not None else None
    return MedDRA(folder=folder, **tables)  # type: ignore[arg-type]


def read_groups_file(path: str | Path):
    """The parsed YAML of a group file; :class:`InputFileError` when missing, :class:`ConfigError` when not YAML."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"group file {path} does not exist")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML (quote a name holding ' #' or ': '): {exc}") from None


def load_groups_yaml(path: str | Path, meddra: MedDRA | None = None) -> pd.DataFrame:
    """User-defined PT groups from YAML ``groups: {name: [PT, ...]}`` → (pt, group_name, level).

    Terms are upper-cased (like ``case_reactions.pt``). With ``meddra`` given, LLT or
    verbatim terms are first mapped to their PT (:meth:`MedDRA.to_pt`); a term that
    matches nothing is kept as written (upper case).
    """
    path = Path(path)
    doc = read_groups_file(path)
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(groups, dict) or not groups:
        raise ConfigError(f"{path} must hold a mapping 'groups: {{name: [PT, ...]}}' with at least one group")
    rows: list[tuple[str, str]] = []
    for name, terms in groups.items():
        if not isinstance(terms, list) or not terms or not all(isinstance(t, str) and t.strip() for t in terms):
            raise ConfigError(f"{path}: group {name!r} must be a non-empty list of term names (text)")
        rows.extend((t, str(name)) for t in terms)
    df = pd.DataFrame(rows, columns=["term", "group_name"])
    pt = df["term"].str.strip().str.upper()
    if meddra is not None:
        mapped = meddra.to_pt(df["term"])["pt"]
        pt = mapped.where(mapped.notna(), pt)
    return _group_frame([pd.DataFrame({"pt": pt, "group_name": df["group_name"], "level": "group"})])


def _group_frame(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame({"pt": pd.Series(dtype=str), "group_name": pd.Series(dtype=str), "level": pd.Series(dtype=str)})
    df = pd.concat(frames, ignore_index=True).dropna()
    return df.astype(str).drop_duplicates().sort_values(["level", "group_name", "pt"]).reset_index(drop=True)


def register_pt_groups(con: duckdb.DuckDBPyConnection, groups: pd.DataFrame | Iterable[pd.DataFrame]) -> None:
    """Expose event-group rows to ``con`` as the view ``pt_groups(pt, group_name, level)``.

    ``groups`` is one frame or several (e.g. MedDRA levels and YAML groups), each with
    columns pt, group_name, level. Replaces any previous ``pt_groups``.
    """
    frames = [groups] if isinstance(groups, pd.DataFrame) else list(groups)
    df = _group_frame([f[["pt", "group_name", "level"]] for f in frames])
    bad = sorted(set(df["level"]) - set(LEVELS))
    if bad:
        raise ConfigError(f"unknown group level(s) {bad}; levels are {list(LEVELS)}")
    con.register("_pvsignal_pt_groups", df)
    con.execute("CREATE OR REPLACE TEMP VIEW pt_groups AS SELECT pt, group_name, level FROM _pvsignal_pt_groups")


def event_group_frames(meddra: str | Path | None = None, groups: "str | Path | pd.DataFrame | None" = None,
                       levels: Iterable[str] | None = None) -> list[pd.DataFrame]:
    """The ``(pt, group_name, level)`` frames of a MedDRA release and/or a groups YAML (or frame).

    ``levels``: the MedDRA levels to take (default: HLT, HLGT, SOC and, when the release has
    them, the narrow and broad SMQs). YAML terms are mapped to PTs through the release when
    one is given (:func:`load_groups_yaml`).
    """
    frames = []
    release = load_meddra(meddra) if meddra else None
    if release is not None:
        if levels is None:
            levels = ["hlt", "hlgt", "soc"]
            if release.smq_list is not None and release.smq_content is not None:
                levels += ["smq_narrow", "smq_broad"]
        levels = list(levels)
        if levels:
            frames.append(release.pt_groups(levels))
    if isinstance(groups, pd.DataFrame):
        frames.append(groups)
    elif groups:
        frames.append(load_groups_yaml(groups, release))
    return frames


def register_event_groups(con, level: str = "pt", *, meddra: str | Path | None = None,
                          groups: str | Path | None = None) -> None:
    """Register ``pt_groups`` on ``con`` from a MedDRA release (HLT, HLGT, SOC and, when the
    release has them, SMQs) and/or a groups YAML; every event level but ``pt`` needs one."""
    frames = event_group_frames(meddra, groups)
    if frames:
        register_pt_groups(con, frames)
    elif level != "pt":
        raise ConfigError(f"--level {level} needs --meddra (MedDRA levels and SMQs) or --groups (YAML groups)")
