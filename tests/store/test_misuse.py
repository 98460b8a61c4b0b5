"""The lake under misuse: corrupted headers, NA values, partial quarters, bad zips.

Header fuzz on the real samples in ../shared/data/faers-samples (AERS 2004Q1, FAERS
2017Q2): a copy of one quarter with one header column dropped, duplicated, renamed, or
reordered (header and lines together) either lands exactly as the untouched quarter, or
is refused with a message naming the file and the column — and nothing of it is ingested.
"""

from __future__ import annotations

import json
import random
import shutil
import zipfile
from pathlib import Path

import pytest

from pvsignal import api
from pvsignal.errors import InputFileError
from pvsignal.sources.faers.layouts import RENAMES
from pvsignal.sources.faers.schema import COLUMNS, TABLES
from pvsignal.sources.faers.source import FAERS, FaersSource
from pvsignal.store.ingest import ingest
from pvsignal.store.lake import Lake, connect_raw

ZIPS = {"2004Q1": "aers_ascii_2004q1.zip", "2017Q2": "faers_ascii_2017q2.zip"}
OPS = ("drop", "duplicate", "rename", "reorder")


def _extract(shared_dir: Path, quarter: str, out: Path) -> dict[str, Path]:
    """The quarter's seven table files, extracted to ``out`` (table → path)."""
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    with zipfile.ZipFile(shared_dir / "data/faers-samples" / ZIPS[quarter]) as zf:
        for name in zf.namelist():
            if name.endswith("/"):
                continue
            p = out / Path(name).name
            p.write_bytes(zf.read(name))
            files[p.name[:4].lower()] = p
    return files


def _names(header: str) -> list[str]:
    """Header names without the legacy trailing filler (``v23``)."""
    names = header.split("$")
    while names and (names[-1] == "" or (names[-1][:1] in "vV" and names[-1][1:].isdigit())):
        names.pop()
    return names


def _corrupt(path: Path, op: str, j: int, rng: random.Random) -> str:
    """Corrupt column ``j`` of the file's header by ``op``; returns the column's name."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].rstrip("\r")
    names = _names(header)
    filler = header.split("$")[len(names):]
    col = names[j]
    if op == "drop":
        names.pop(j)
    elif op == "duplicate":
        names.insert(j + 1, col)
    elif op == "rename":
        names[j] = col + "_x"
    else:  # reorder: swap columns j and k in the header and in every line alike
        k = rng.choice([i for i in range(len(names)) if i != j])
        order = list(range(len(names)))
        order[j], order[k] = order[k], order[j]
        names = [names[i] for i in order]
        body = []
        for line in lines[1:]:
            cr = "\r" if line.endswith("\r") else ""
            fields = line.rstrip("\r").split("$")
            if len(fields) >= len(order):
                fields = [fields[i] for i in order] + fields[len(order):]
            body.append("$".join(fields) + cr)
        lines[1:] = body
    lines[0] = "$".join([*names, *filler])
    path.write_text("\n".join(lines), encoding="utf-8")
    return col


def _rows(lake: Path, table: str) -> list[tuple]:
    con = connect_raw(lake)
    try:
        return con.execute(f"SELECT * FROM raw_{table} ORDER BY ALL").fetchall()
    finally:
        con.close()


_BASELINES: dict[str, Path] = {}


@pytest.fixture
def baselines(shared_dir, tmp_path_factory):
    """Each sample quarter ingested untouched (store only, once per session): quarter → lake."""
    for q in ZIPS:
        if q not in _BASELINES:
            lake = tmp_path_factory.mktemp(f"base{q}") / "lake"
            ingest([shared_dir / "data/faers-samples" / ZIPS[q]], lake, source=FAERS)
            _BASELINES[q] = lake
    return _BASELINES


def _fuzz_case(shared_dir, baselines, tmp: Path, quarter: str, table: str, op: str, j: int, seed: int) -> str:
    """Run one case; returns 'landed' or 'refused' (and asserts what each must mean)."""
    files = _extract(shared_dir, quarter, tmp / "q")
    col = _corrupt(files[table], op, j, random.Random(seed))
    lake = tmp / "lake"
    try:
        ingest([tmp / "q"], lake, source=FAERS)
    except InputFileError as exc:
        msg = str(exc)
        canonical = RENAMES[table].get(col.lower(), col.lower())
        assert files[table].name in msg, msg
        assert col.lower() in msg.lower() or canonical in msg, msg
        assert not Lake(lake).exists() and not list(lake.rglob("*.parquet"))  # nothing of the quarter landed
        return "refused"
    for t in TABLES:  # lands exactly: every table equals the untouched quarter's
        assert _rows(lake, t) == _rows(baselines[quarter], t), (table, col)
    return "landed"


def _cases(every_column: bool):
    rng = random.Random(14)
    for q in ZIPS:
        for t in TABLES:
            width = sum(1 for c, _ in COLUMNS[t] if not c.endswith("_prec"))  # an upper bound
            for op in OPS:
                yield q, t, op, (None if every_column else rng.randrange(width))


@pytest.mark.parametrize("quarter, table, op, j", list(_cases(False)))
def test_a_corrupted_header_lands_exactly_or_is_refused_naming_file_and_column(
        quarter, table, op, j, shared_dir, baselines, tmp_path):
    files = _extract(shared_dir, quarter, tmp_path / "probe")
    width = len(_names(files[table].read_text(encoding="utf-8").split("\n")[0].rstrip("\r")))
    shutil.rmtree(tmp_path / "probe")
    got = _fuzz_case(shared_dir, baselines, tmp_path, quarter, table, op, j % width, seed=j)
    assert got == ("landed" if op == "reorder" else "refused")


@pytest.mark.slow
def test_header_fuzz_every_column(shared_dir, baselines, tmp_path):
    """Every column of every table of both samples, every operation (numbers in RELIABILITY.md)."""
    tally = {"landed": 0, "refused": 0}
    n = 0
    for quarter in ZIPS:
        files = _extract(shared_dir, quarter, tmp_path / "probe")
        for table in TABLES:
            width = len(_names(files[table].read_text(encoding="utf-8").split("\n")[0].rstrip("\r")))
            for op in OPS:
                for j in range(width):
                    n += 1
                    got = _fuzz_case(shared_dir, baselines, tmp_path / f"c{n}", quarter, table, op, j, seed=n)
                    assert got == ("landed" if op == "reorder" else "refused"), (quarter, table, op, j)
                    tally[got] += 1
    print("header fuzz:", n, "cases", tally)
    assert tally == {"landed": n // 4, "refused": n - n // 4}  # measured: 460 cases, 115 reorders landed


def test_a_refused_file_leaves_an_existing_lake_as_it_was(shared_dir, tmp_path):
    lake = tmp_path / "lake"
    ingest([shared_dir / "data/faers-samples/aers_ascii_2004q1.zip"], lake, source=FAERS)
    before = (lake / "manifest.json").read_text()
    files = _extract(shared_dir, "2017Q2", tmp_path / "q")
    _corrupt(files["demo"], "drop", 14, random.Random(0))  # age_cod
    with pytest.raises(InputFileError, match=r"DEMO17Q2.txt: header lacks age_cod; expected the FAERS DEMO layout primaryid\$"):
        ingest([tmp_path / "q"], lake, source=FAERS)
    assert (lake / "manifest.json").read_text() == before
    assert {p.resolve() for p in lake.rglob("*.parquet")} == {p.resolve() for p in Lake(lake).live_files()}


def test_a_header_that_fits_a_narrower_layout_than_its_lines_is_malformed(shared_dir, tmp_path):
    # REAC17Q2 without drug_rec_act is the FAERS "A" layout by name, but its lines have 4 fields
    files = _extract(shared_dir, "2017Q2", tmp_path / "q")
    _corrupt(files["reac"], "drop", 3, random.Random(0))
    with pytest.raises(InputFileError, match=r"REAC17Q2.txt: malformed — 286 of 286 lines do not have the header's 3 "
                                             r"fields .*the header lacks drug_rec_act"):
        ingest([tmp_path / "q"], tmp_path / "lake", source=FAERS)


def test_one_stray_dollar_is_repaired_but_many_refuse_the_file(shared_dir, tmp_path):
    files = _extract(shared_dir, "2017Q2", tmp_path / "q")
    lines = files["demo"].read_text(encoding="utf-8").split("\n")
    j = lines[0].split("$").index("mfr_num")

    def stray(k: int) -> None:
        f = lines[k].split("$")
        f[j] = f[j][:3] + "$" + f[j][3:]
        lines[k] = "$".join(f)

    for k in (1, 2):  # 2 of 100 lines: one-off quirks, repaired and noted
        stray(k)
    files["demo"].write_text("\n".join(lines), encoding="utf-8")
    rep = ingest([tmp_path / "q"], tmp_path / "lake", source=FAERS).quarters[0]
    assert rep.rows["demo"] == 100 and rep.issues["demo"] == {"repaired": 2}
    for k in range(3, 10):  # 9 of 100 lines (> 1 % and > 5): the file is malformed
        stray(k)
    files["demo"].write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputFileError, match=r"DEMO17Q2.txt: malformed — 9 of 100 lines do not have the header's 25 fields"):
        ingest([tmp_path / "q"], tmp_path / "lake2", source=FAERS)


# --- the real 2020Q3 head: NA values, a missing table ---------------------------------------

def test_a_partial_quarter_is_refused_unless_allowed_and_na_is_one_counted_line(shared_dir, tmp_path):
    head = shared_dir / "data/faers-samples/faers_2020q3_head"
    lake = tmp_path / "lake"
    with pytest.raises(InputFileError, match="lacks the INDI table.*--allow-partial.*nothing was ingested"):
        api.ingest([head], lake=lake)
    res = api.ingest([head], lake=lake, allow_partial=True)
    q = res.quarters[0]
    # line counts: `wc -l` minus the header; INDI absent → 0 rows
    assert q.rows == {"demo": 9999, "drug": 10000, "reac": 10000, "outc": 10000, "rpsr": 10000, "ther": 10000, "indi": 0}
    manifest = json.loads((lake / "manifest.json").read_text())
    assert manifest["quarters"]["2020Q3"]["missing_tables"] == ["indi"]
    assert api.status(lake)["missing_tables"] == {"2020Q3": ["indi"]}
    # NA in THER (counted with awk -F'$' on THER20Q3.txt: start_dt 377, end_dt 5,711, dur 9,990)
    rj = api.rejects(lake)
    assert len(rj) == 3  # one summary row per file and column, not 16,078 rows
    assert sorted(rj["reason"]) == ["THER dur: 9,990 values 'NA' read as missing",
                                    "THER end_dt: 5,711 values 'NA' read as missing",
                                    "THER start_dt: 377 values 'NA' read as missing"]
    assert q.issues["ther"] == {"nulled": 377 + 5711 + 9990}  # countable
    con = connect_raw(lake)
    # awk: 10 THER lines hold a dur value, none is empty
    assert con.execute("SELECT count(dur) FROM raw_ther").fetchone()[0] == 10
    con.close()


def test_partial_needs_demo(write_quarter, tmp_path):
    q = write_quarter("2024Q1", {}, omit=("DEMO",))
    with pytest.raises(InputFileError, match="needs at least its DEMO table"):
        api.ingest([q], lake=tmp_path / "lake", allow_partial=True)


# --- zips ----------------------------------------------------------------------------

def test_a_corrupt_member_is_named_with_advice(shared_dir, tmp_path):
    src = shared_dir / "data/faers-samples/faers_ascii_2017q2.zip"
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo("ascii/DRUG17Q2.txt")
    # flip one byte inside the member's compressed data (past its 30-byte local header and name)
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + 100
    data[at] ^= 0xFF
    bad = tmp_path / "faers_ascii_2017q2.zip"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match=r"corrupt zip: .*faers_ascii_2017q2.zip, member ascii/DRUG17Q2.txt .*\(re-download it\)"):
        api.ingest([bad], lake=tmp_path / "lake")
    assert not (tmp_path / "lake" / "manifest.json").exists()


def test_a_truncated_zip_is_called_corrupt(shared_dir, tmp_path):
    src = (shared_dir / "data/faers-samples/faers_ascii_2017q2.zip").read_bytes()
    bad = tmp_path / "faers_ascii_2017q2.zip"
    bad.write_bytes(src[: len(src) // 2])
    with pytest.raises(InputFileError, match=r"corrupt zip: .* is truncated or damaged .*\(re-download it\)"):
        api.ingest([bad], lake=tmp_path / "lake")


def test_a_zip_named_for_another_quarter_is_refused_unless_trusted(shared_dir, tmp_path):
    renamed = tmp_path / "faers_ascii_2019q1.zip"
    shutil.copy(shared_dir / "data/faers-samples/faers_ascii_2017q2.zip", renamed)
    with pytest.raises(InputFileError, match=r"faers_ascii_2019q1.zip is named for 2019Q1 but holds the tables of 2017Q2.*--trust-contents"):
        FaersSource().discover([renamed])
    assert [u.quarter for u in FaersSource(trust_contents=True).discover([renamed])] == ["2017Q2"]
