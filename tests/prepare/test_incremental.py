"""``pvsignal update`` equals a full rebuild: every prepared table, the tally and the pair table.

Generated quarters (:func:`pvsignal.synth.synthesize`) carry follow-up versions of earlier
quarters' cases, deleted-case lists (2019Q1 on) and probable duplicates; the last quarter is
added by :func:`pvsignal.api.update` to a lake holding the others, and the result is
compared row by row with a lake that ingested every quarter at once.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pvsignal import api
from pvsignal.prepare.views import PREPARED_FILES, prepared_files
from pvsignal.store.lake import Lake

QUARTERS = "2018Q3:2019Q2"


def _table(path) -> pd.DataFrame:
    df = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").df()
    return df.sort_values(list(df.columns), na_position="first").reset_index(drop=True)


def _pairs(lake) -> pd.DataFrame:
    m = Lake(lake).manifest()
    return pd.read_parquet(lake / m["pair_table"]["file"])


def _shared_mfr_numbers(folder) -> None:
    """Rewrite DEMO so that manufacturer numbers collide often (``CC-COMPANY-k``, k < 40):
    probable duplicates within and across quarters, so a new quarter's cases join groups of
    old cases and change old cases' flags."""
    for demo in folder.glob("ASCII/DEMO*.txt"):
        lines = demo.read_text(encoding="latin-1").split("\n")
        col = lines[0].split("$").index("mfr_num")
        for i, line in enumerate(lines[1:], 1):
            f = line.split("$")
            if len(f) > col and f[col]:
                head, _, num = f[col].rpartition("-")
                f[col] = f"{head}-{int(num) % 40}"
                lines[i] = "$".join(f)
        demo.write_text("\n".join(lines), encoding="latin-1")


@pytest.fixture(scope="module")
def lakes(tmp_path_factory):
    from pvsignal.synth import synthesize

    root = tmp_path_factory.mktemp("incremental")
    paths = synthesize(root / "q", quarters=QUARTERS, reports_per_quarter=1500, seed=11, zipped=False,
                       quirks=False).paths
    for folder in paths:
        _shared_mfr_numbers(folder)
    full, inc = root / "full", root / "inc"
    api.ingest(paths, lake=full)
    api.ingest(paths[:-1], lake=inc)
    before = {name: _table(p) for name, p in prepared_files(inc).items()}
    result = api.update(paths[-1:], lake=inc)
    return full, inc, before, result


def test_update_is_incremental(lakes):
    _, inc, _, result = lakes
    assert result.mode == "incremental" and result.reason is None
    assert [q.quarter for q in result.quarters] == ["2019Q2"]
    # the quarter's 1,500 reports, some of them follow-ups of earlier cases, plus its deleted list
    assert result.touched_cases >= 1500
    assert not (inc / ".update").exists() or not any((inc / ".update").iterdir())


def test_every_prepared_table_equals_a_full_rebuild(lakes):
    full, inc, before, _ = lakes
    a, b = prepared_files(full), prepared_files(inc)
    for name in PREPARED_FILES:
        pd.testing.assert_frame_equal(_table(a[name]), _table(b[name]), obj=name)
    assert Lake(full).manifest()["prepared"]["tally"] == Lake(inc).manifest()["prepared"]["tally"]
    keys_before, keys = before["keys"], _table(b["keys"])
    # the update really changed old cases: superseded or deleted ones left, flags moved
    assert len(keys_before.merge(keys, on=["quarter", "primaryid", "caseid"])) < len(keys_before)
    assert keys["probable_duplicate"].sum() > 0
    # flags of cases the quarter did not touch changed (their group gained or lost a case)
    old = keys_before.merge(keys, on=["quarter", "primaryid", "caseid"], suffixes=("_before", ""))
    moved = old[(old["probable_duplicate_before"] != old["probable_duplicate"])
                | (old["duplicate_of_before"].fillna(-1) != old["duplicate_of"].fillna(-1))]
    assert len(moved) > 0


def test_the_new_quarter_supersedes_and_deletes_earlier_cases(lakes):
    full, _, before, _ = lakes
    keys = _table(prepared_files(full)["keys"])
    old = before["keys"]
    superseded = old.merge(keys[keys["quarter"] == "2019Q2"], on="caseid", suffixes=("", "_new"))
    deleted = old[~old["caseid"].isin(keys["caseid"])]
    assert len(superseded) > 0 and len(deleted) > 0


def test_pair_table_equals_a_full_rebuild(lakes):
    full, inc, _, _ = lakes
    pd.testing.assert_frame_equal(_pairs(full), _pairs(inc))
    mf, mi = Lake(full).manifest()["pair_table"], Lake(inc).manifest()["pair_table"]
    assert mf["mgps_prior"] == mi["mgps_prior"]  # the prior refitted on the new table


def test_scored_pairs_equal_signals(lakes):
    full, inc, _, _ = lakes
    top = _pairs(inc).sort_values("n").iloc[-1]["drug"]
    for lake in (full, inc):
        expected = api.signals(lake, drug=top.lower()).table
        got = api.scored_pairs(lake, drug=top.lower())
        assert len(got) > 0
        pd.testing.assert_frame_equal(got, expected)
    every = api.signals(inc).table
    pd.testing.assert_frame_equal(api.scored_pairs(inc), every)


def test_relabelled_names_and_changed_ingredients():
    from pvsignal.prepare.incremental import _relabelled

    old = pd.DataFrame({"drugname": ["FOO", "BAR", "BAZ"], "prod_ai": [None, None, "BAZ"],
                        "ingredient": ["FOO", "BAR", "BAZ"], "ingredient_source": ["unmapped", "name", "prod_ai"]})
    # a new quarter brings FOO in prod_ai: the old name FOO is now a known ingredient
    new = pd.concat([old, pd.DataFrame({"drugname": ["X"], "prod_ai": ["FOO"], "ingredient": ["FOO"],
                                        "ingredient_source": ["prod_ai"]})], ignore_index=True)
    new.loc[0, "ingredient_source"] = "name"
    r = _relabelled(old, new)
    assert len(r) == 1 and pd.isna(r["prod_ai"].iloc[0])
    assert r[["drugname", "ingredient", "new_source"]].iloc[0].tolist() == ["FOO", "FOO", "name"]
    assert _relabelled(old, old).empty
    changed = new.copy()
    changed.loc[1, "ingredient"] = "BARIUM"  # a synonym table changed an old name's ingredient
    assert _relabelled(old, changed) is None


def test_new_synonym_file_means_a_full_rebuild(tmp_path):
    from pvsignal.synth import synthesize

    paths = synthesize(tmp_path / "zips", quarters="2023Q1:2023Q2", reports_per_quarter=200, seed=2).paths
    api.ingest(paths[:1], lake=tmp_path / "lake")
    syn = tmp_path / "lake" / "synonyms" / "mine.csv"
    syn.parent.mkdir()
    syn.write_text("name,ingredient\nFOOBRAND,FOO\n")
    result = api.update(paths[1:], lake=tmp_path / "lake")
    assert result.mode == "full" and result.reason == "the synonym tables changed"
