"""``pvsignal update``: adds a quarter incrementally, says so; falls back to a full rebuild with its reason."""

from __future__ import annotations

import pandas as pd
import pytest

from pvsignal import api
from pvsignal.errors import UnknownNameError
from pvsignal.store.lake import Lake

from loopback_http import server  # noqa: F401


@pytest.fixture(scope="module")
def quarters(tmp_path_factory):
    from pvsignal.synth import synthesize

    root = tmp_path_factory.mktemp("cli-update")
    return root, synthesize(root / "zips", quarters="2023Q3:2024Q1", reports_per_quarter=400, seed=3).paths


@pytest.fixture
def narrow(width):
    width(80)


def test_update_adds_a_quarter_incrementally(quarters, narrow, run):
    root, paths = quarters
    lake = root / "lake-cli"
    api.ingest(paths[:2], lake=lake)
    code, out, err = run(["update", str(paths[2]), "--lake", str(lake)])
    assert code == 0, err
    text = " ".join(out.split())
    assert "Added 2024Q1" in text and "incremental:" in text and "cases touched" in text
    assert Lake(lake).quarters() == ["2023Q3", "2023Q4", "2024Q1"]
    pairs = Lake(lake).manifest()["pair_table"]
    assert pairs["prepared_run_id"] == Lake(lake).manifest()["prepared"]["run_id"]


def test_update_replacing_a_quarter_rebuilds_in_full(quarters, tmp_path):
    _, paths = quarters
    lake = tmp_path / "lake"
    api.ingest(paths[:2], lake=lake)
    result = api.update(paths[1:3], lake=lake)
    assert result.mode == "full" and result.reason == "quarter(s) 2023Q4 replaced"
    full = tmp_path / "full"
    api.ingest(paths, lake=full)
    a = pd.read_parquet(lake / Lake(lake).manifest()["pair_table"]["file"])
    b = pd.read_parquet(full / Lake(full).manifest()["pair_table"]["file"])
    pd.testing.assert_frame_equal(a, b)


def test_update_of_a_missing_lake_is_a_user_error(tmp_path, narrow, run):
    code, _, err = run(["update", "--lake", str(tmp_path / "lake")])
    assert code == 2 and "Traceback" not in err
    assert "no lake at" in err


def test_update_without_files_downloads_the_next_quarters(server, quarters, tmp_path, narrow, run):
    # FDA's address points at a loopback server holding 2024Q1 only; later quarters answer 404
    root, paths = quarters
    lake = tmp_path / "lake"
    api.ingest(paths[:2], lake=lake)
    server.publish(f"/faers/{paths[2].name}", paths[2].read_bytes())
    code, out, err = run(["update", "--lake", str(lake), "--dest", str(tmp_path / "zips")])
    assert code == 0, err
    text = " ".join(out.split())
    assert "Added 2024Q1" in text and "incremental:" in text
    assert "note: faers_ascii_2024q2.zip" in text  # not on the server: said, not fatal
    assert Lake(lake).quarters() == ["2023Q3", "2023Q4", "2024Q1"]
    code, out, _ = run(["update", "--lake", str(lake), "--dest", str(tmp_path / "zips")])
    text = " ".join(out.split())
    assert code == 0 and f"Nothing to add to {lake}: no new quarter published." in text
    assert Lake(lake).quarters() == ["2023Q3", "2023Q4", "2024Q1"]


def test_scored_pairs_unknown_drug_says_what_signals_says(quarters, tmp_path):
    _, paths = quarters
    lake = tmp_path / "lake"
    api.ingest(paths[:1], lake=lake)
    with pytest.raises(UnknownNameError) as stored:
        api.scored_pairs(lake, drug="voclosporn")
    with pytest.raises(UnknownNameError) as counted:
        api.signals(lake, drug="voclosporn")
    assert str(stored.value) == str(counted.value) and "VOCLOSPORIN" in str(stored.value)


def test_scored_pairs_writes_a_missing_table_and_reads_one_drug_by_row_group(quarters, tmp_path):
    import pyarrow.parquet as pq

    _, paths = quarters
    lake = tmp_path / "lake"
    api.ingest(paths[:1], lake=lake)
    m = Lake(lake).manifest()
    del m["pair_table"]
    Lake(lake).write_manifest(m)
    got = api.scored_pairs(lake, drug="VOCLOSPORIN")
    pd.testing.assert_frame_equal(got, api.signals(lake, drug="voclosporin").table)
    f = pq.ParquetFile(lake / Lake(lake).manifest()["pair_table"]["file"])
    stats = [f.metadata.row_group(i).column(0).statistics for i in range(f.num_row_groups)]
    assert all(s.min <= s.max for s in stats)
    assert [s.min for s in stats] == sorted(s.min for s in stats)  # sorted by drug


def test_a_reader_keeps_the_pair_table_it_pinned_until_it_is_done(quarters, tmp_path):
    """The pair table is swept by the lake's lease-aware sweep: a rewrite while a reader holds the
    old table leaves that file in place; the next write after the reader is done removes it."""
    from pvsignal.analysis.pair_store import write_pair_table

    _, paths = quarters
    lake = tmp_path / "lake"
    api.ingest(paths[:1], lake=lake)
    old = lake / Lake(lake).manifest()["pair_table"]["file"]
    reader = Lake(lake).snapshot()
    try:
        write_pair_table(lake)
        new = lake / Lake(lake).manifest()["pair_table"]["file"]
        assert new != old and new.is_file()
        assert old.is_file()  # leased by the reader
    finally:
        reader.release()
    write_pair_table(lake)
    listed = Lake(lake).manifest()["pair_table"]
    assert not old.is_file()  # the scored table and the counts by quarter it lists, nothing else
    assert sorted((lake / "pairs").glob("*.parquet")) == sorted(lake / f for f in [listed["file"], *listed["files"].values()])
