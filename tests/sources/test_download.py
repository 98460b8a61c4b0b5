"""``pvsignal.api.download`` against a misbehaving file server on loopback (issue 16, items 1 and 4).

Every address points at 127.0.0.1 (``loopback_http``); the zips are small synthetic
quarters from ``pvsignal.synth``. After each run: no file under its final name unless it
is complete and passes its CRC check, and nothing outside DEST.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest

from loopback_http import Fault, server, synth_zips  # noqa: F401
from pvsignal import api
from pvsignal.errors import ConfigError

AERS, FAERS = "aers_ascii_2012q3.zip", "faers_ascii_2012q4.zip"
FAST = {"backoff": 0.0, "timeout": 5.0}


def _publish(server, zips: dict[str, bytes], when: float = 1_700_000_000) -> None:
    for name, data in zips.items():
        server.publish(f"/faers/{name}", data, when)


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_quarters_are_fetched_verified_and_then_skipped(server, synth_zips, tmp_path):
    _publish(server, synth_zips["first"])
    dest = tmp_path / "dest"
    res = api.download("2012Q3:2012Q4", dest=dest, **FAST)
    assert [(f.name, f.status, f.quarter) for f in res.files] == [(AERS, "fetched", "2012Q3"), (FAERS, "fetched", "2012Q4")]
    assert res.bytes == sum(len(b) for b in synth_zips["first"].values())
    assert {p.name: p.read_bytes() for p in res.paths} == synth_zips["first"]
    assert _tree(tmp_path) == ["dest/.pvsignal-downloads", f"dest/{AERS}", f"dest/{FAERS}"]
    server.log.clear()
    again = api.download("2012Q3:2012Q4", dest=dest, **FAST)
    assert [(f.status, f.reason, f.bytes) for f in again.files] == [("skipped", "complete", 0)] * 2
    assert {m for m, *_ in server.log} == {"HEAD"}  # checked, not fetched


def test_a_cut_connection_is_resumed_with_a_range_request(server, synth_zips, tmp_path):
    _publish(server, synth_zips["first"])
    server.faults[f"/faers/{FAERS}"] = Fault(cut_after=10_000)
    res = api.download("2012Q4", dest=tmp_path, **FAST)
    n = len(synth_zips["first"][FAERS])
    assert (res.files[0].status, res.files[0].reason) == (
        "fetched", f"connection cut at 10,000 of {n:,} bytes (RemoteProtocolError): retried")
    assert server.gets(f"/faers/{FAERS}") == [None, "bytes=10000-"]
    assert (tmp_path / FAERS).read_bytes() == synth_zips["first"][FAERS]
    assert res.files[0].bytes == len(synth_zips["first"][FAERS])


def test_a_transfer_cut_for_good_keeps_its_part_file_and_the_next_run_resumes(server, synth_zips, tmp_path):
    _publish(server, synth_zips["first"])
    server.faults[f"/faers/{FAERS}"] = Fault(cut_after=7_000, cuts=2)
    res = api.download("2012Q4", dest=tmp_path, retries=1, **FAST)
    (f,) = res.failed
    assert "gave up after 2 tries" in f.reason and f"14,000 bytes kept in {FAERS}.part" in f.reason
    assert not (tmp_path / FAERS).exists() and (tmp_path / f"{FAERS}.part").stat().st_size == 14_000
    res = api.download("2012Q4", dest=tmp_path, retries=1, **FAST)
    assert res.files[0].status == "fetched" and res.files[0].bytes == len(synth_zips["first"][FAERS]) - 14_000
    assert server.gets(f"/faers/{FAERS}")[-1] == "bytes=14000-"
    assert (tmp_path / FAERS).read_bytes() == synth_zips["first"][FAERS] and not (tmp_path / f"{FAERS}.part").exists()


def test_404_says_a_recent_quarter_is_not_published_yet(server, synth_zips, tmp_path):
    _publish(server, synth_zips["first"])
    res = api.download("2012Q4:2013Q1", dest=tmp_path, today=date(2013, 5, 2), **FAST)
    assert [f.status for f in res.files] == ["fetched", "failed"]
    assert res.files[1].reason.startswith("2013Q1 not published yet (HTTP 404 at http://127.0.0.1:")
    old = api.download("2011Q1", dest=tmp_path, today=date(2013, 5, 2), **FAST).files[0]
    assert old.status == "failed" and old.reason.endswith(
        "the mirror set by --base-url or PVSIGNAL_FAERS_URL does not have it")
    assert _tree(tmp_path) == [".pvsignal-downloads", FAERS]


def test_404_at_fdas_own_address_says_fda_may_have_moved_its_files(server, synth_zips, tmp_path, monkeypatch):
    # a 404 at a mirror the user chose must not tell them to set the mirror they already set
    _publish(server, synth_zips["first"])
    monkeypatch.delenv("PVSIGNAL_FAERS_URL")
    monkeypatch.setattr("pvsignal.sources.download.addresses.FAERS_BASE", server.url + "/faers")
    old = api.download("2011Q1", dest=tmp_path, today=date(2013, 5, 2), **FAST).files[0]
    assert old.status == "failed" and old.reason.endswith(
        "FDA may have moved its files: set PVSIGNAL_FAERS_URL or --base-url")


def test_latest_ends_one_quarter_earlier_while_the_newest_is_not_out(server, synth_zips, tmp_path):
    _publish(server, synth_zips["first"])
    res = api.download(latest=2, dest=tmp_path, today=date(2013, 2, 10), **FAST)  # 2013Q1 now: 2012Q4 is the candidate
    assert [f.quarter for f in res.fetched] == ["2012Q3", "2012Q4"]
    res = api.download(latest=1, dest=tmp_path, today=date(2013, 4, 10), **FAST)  # 2013Q1 ended, not yet out
    assert res.notes == ["2013Q1 not published yet: the latest 1 quarter(s) end at 2012Q4"]
    assert [(f.quarter, f.status) for f in res.files] == [("2012Q4", "skipped")]


def _corrupt(data: bytes) -> bytes:
    """Flip one byte inside the first member's compressed data (its CRC no longer matches)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.infolist()[0]
    at = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 20
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


def test_a_corrupt_zip_is_fetched_once_more_then_refused(server, synth_zips, tmp_path):
    server.publish(f"/faers/{FAERS}", _corrupt(synth_zips["first"][FAERS]))
    (f,) = api.download("2012Q4", dest=tmp_path, **FAST).files
    assert f.status == "failed" and f.path is None
    assert "(downloaded twice); not saved" in f.reason and ("CRC" in f.reason or "not a readable zip" in f.reason)
    assert len(server.gets(f"/faers/{FAERS}")) == 2
    assert _tree(tmp_path) == [".pvsignal-downloads"]  # no half file, no .part


def test_a_body_shorter_than_announced_is_never_taken_for_the_file(server, synth_zips, tmp_path):
    data = synth_zips["first"][FAERS]
    server.publish(f"/faers/{FAERS}", data)
    # announced 500 bytes more than sent, range ignored: every try ends short
    server.faults[f"/faers/{FAERS}"] = Fault(announce=len(data) + 500, ignore_range=True)
    (f,) = api.download("2012Q4", dest=tmp_path, retries=2, **FAST).files
    assert f.status == "failed"
    assert f.reason.startswith(f"connection cut at {len(data):,} of {len(data) + 500:,} bytes (RemoteProtocolError); "
                               f"gave up after 3 tries; {len(data):,} bytes kept in {FAERS}.part: run again to resume")
    assert not (tmp_path / FAERS).exists()
    # announced fewer than the file holds: the truncated zip fails its check
    server.faults[f"/faers/{FAERS}"] = Fault(announce=len(data) - 500)
    (tmp_path / f"{FAERS}.part").unlink()
    (f,) = api.download("2012Q4", dest=tmp_path, **FAST).files
    assert f.status == "failed" and "not a readable zip" in f.reason and not (tmp_path / FAERS).exists()


def test_a_slow_server_times_out_and_is_retried(server, synth_zips, tmp_path):
    _publish(server, synth_zips["first"])
    server.faults[f"/faers/{FAERS}"] = Fault(stall=1.0, stalls=1)  # silent for 1 s, once
    (f,) = api.download("2012Q4", dest=tmp_path, retries=2, backoff=0.0, timeout=0.3).files
    assert f.status == "fetched" and (tmp_path / FAERS).read_bytes() == synth_zips["first"][FAERS]
    server.faults[f"/faers/{AERS}"] = Fault(stall=1.0)  # always silent
    (f,) = api.download("2012Q3", dest=tmp_path, retries=1, backoff=0.0, timeout=0.3).files
    assert f.status == "failed" and f.reason == f"timed out at 0 of {len(synth_zips['first'][AERS]):,} bytes; gave up after 2 tries"
    assert not (tmp_path / AERS).exists()


def test_a_quarter_re_published_with_other_content_is_fetched_again(server, synth_zips, tmp_path):
    _publish(server, synth_zips["first"])
    api.download("2012Q4", dest=tmp_path, **FAST)
    new = synth_zips["again"][FAERS]
    server.publish(f"/faers/{FAERS}", new, when=1_800_000_000)
    (f,) = api.download("2012Q4", dest=tmp_path, **FAST).files
    assert f.status == "fetched" and f.reason.startswith("re-published on the server (size ")
    assert "ETag" in f.reason and "Last-Modified" in f.reason and f.reason.endswith("downloaded again")
    assert (tmp_path / FAERS).read_bytes() == new
    assert api.download("2012Q4", dest=tmp_path, **FAST).files[0].status == "skipped"


def test_a_file_changed_while_half_downloaded_restarts_from_zero(server, synth_zips, tmp_path):
    _publish(server, synth_zips["first"])
    server.faults[f"/faers/{FAERS}"] = Fault(cut_after=9_000)
    api.download("2012Q4", dest=tmp_path, retries=0, **FAST)
    assert (tmp_path / f"{FAERS}.part").stat().st_size == 9_000
    server.publish(f"/faers/{FAERS}", synth_zips["again"][FAERS], when=1_800_000_000)
    (f,) = api.download("2012Q4", dest=tmp_path, **FAST).files
    assert f.status == "fetched" and f.reason.startswith("the file changed on the server (")
    assert f.reason.endswith("restarted from 0")  # If-Range did not match: 200, not a spliced file
    assert (tmp_path / FAERS).read_bytes() == synth_zips["again"][FAERS]


def test_a_server_that_ignores_range_is_read_again_from_zero(server, synth_zips, tmp_path):
    _publish(server, synth_zips["first"])
    server.faults[f"/faers/{FAERS}"] = Fault(cut_after=12_000, ignore_range=True)
    (f,) = api.download("2012Q4", dest=tmp_path, **FAST).files
    n = len(synth_zips["first"][FAERS])
    assert f.status == "fetched" and f.reason == (f"connection cut at 12,000 of {n:,} bytes (RemoteProtocolError): retried; "
                                                  "the server ignored the resume request (Range): restarted from 0")
    assert server.gets(f"/faers/{FAERS}") == [None, "bytes=12000-"]
    assert (tmp_path / FAERS).read_bytes() == synth_zips["first"][FAERS]


def _index(server, entries: list[str]) -> None:
    parts = [{"file": f"{server.url}{e}" if e.startswith("/") else e, "size_mb": "0.04", "records": 150,
              "display_name": e} for e in entries]
    server.publish("/openfda/download.json", json.dumps(
        {"meta": {"last_updated": "2024-05-01"}, "results": {"drug": {"event": {"total_records": 300, "partitions": parts}}}}).encode())


def test_openfda_index_entries_cannot_write_outside_dest(server, synth_zips, tmp_path):
    good = "/files/drug/event/2012q4/drug-event-0001-of-0001.json.zip"
    server.publish(good, synth_zips["first"][FAERS])
    evil = ["/files/drug/event/../../../../evil.zip", "/files/drug/event/%2e%2e/%2e%2e/evil.zip",
            "/files/drug/event/2012q4/..%2Fevil.zip", "/files/drug/event/2012q4/.hidden.zip",
            "/files/drug/event/2012q4/drug-event.json", "file:///etc/passwd.zip", "/files/a%5Cb/x.zip"]
    _index(server, [good, *evil])
    dest = tmp_path / "dest"
    res = api.download(openfda=True, dest=dest, **FAST)
    assert [(f.name, f.status) for f in res.fetched] == [("2012q4/drug-event-0001-of-0001.json.zip", "fetched")]
    assert len(res.failed) == len(evil) and all("refused" in f.reason or "http(s)" in f.reason for f in res.failed)
    assert _tree(tmp_path) == ["dest/.pvsignal-downloads", "dest/2012q4/drug-event-0001-of-0001.json.zip"]
    assert not any(path.endswith(("evil.zip", "passwd.zip")) for _, path, _ in server.log)  # refused: never asked for


def test_openfda_files_fetched_then_skipped(server, synth_zips, tmp_path):
    names = [f"/dl/drug/event/2012q{q}/drug-event-0001-of-0001.json.zip" for q in (3, 4)]
    for n, data in zip(names, synth_zips["first"].values()):
        server.publish(n, data)
    _index(server, names)
    res = api.download(openfda=True, dest=tmp_path, **FAST)
    assert [f.name for f in res.fetched] == ["2012q3/drug-event-0001-of-0001.json.zip", "2012q4/drug-event-0001-of-0001.json.zip"]
    assert [f.status for f in api.download(openfda=True, dest=tmp_path, **FAST).files] == ["skipped", "skipped"]


def test_openfda_files_are_chosen_by_the_quarter_of_their_folder(server, synth_zips, tmp_path):
    folders = ("2012q3", "2012q4", "2013q1", "all_other")
    for f in folders:
        server.publish(f"/dl/drug/event/{f}/drug-event-0001-of-0001.json.zip", synth_zips["first"][FAERS])
    _index(server, [f"/dl/drug/event/{f}/drug-event-0001-of-0001.json.zip" for f in folders])
    res = api.download("2012Q4:2013Q2", openfda=True, dest=tmp_path / "a", **FAST)
    assert [(f.name.split("/")[0], f.quarter) for f in res.fetched] == [("2012q4", "2012Q4"), ("2013q1", "2013Q1")]
    res = api.download(latest=1, openfda=True, dest=tmp_path / "b", **FAST)
    assert [f.quarter for f in res.fetched] == ["2013Q1"]
    res = api.download(openfda=True, dest=tmp_path / "c", **FAST)
    assert [f.quarter for f in res.fetched] == ["2012Q3", "2012Q4", "2013Q1", None]


def test_a_missing_openfda_index_is_an_error(server, tmp_path):
    from pvsignal.errors import InputFileError

    with pytest.raises(InputFileError, match=r"could not fetch the openFDA index .*/openfda/download.json \(HTTP 404\)"):
        api.download(openfda=True, dest=tmp_path / "d", **FAST)
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("kwargs, match", [
    ({}, "give --quarters"),
    ({"quarters": "2012Q4", "latest": 2}, "not both"),
    ({"quarters": "2003Q1:2004Q2"}, "start at 2004Q1"),
    ({"latest": 0}, "≥ 1"),
    ({"quarters": "2012Q4", "latest": 1, "openfda": True}, "not both"),
    ({"latest": -1, "openfda": True}, "≥ 1"),
    ({"quarters": "2012Q4", "base_url": "ftp://mirror"}, "not an http"),
])
def test_request_mistakes_are_user_errors(server, tmp_path, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        api.download(dest=tmp_path / "d", **kwargs)
    assert not (tmp_path / "d").exists()


def test_a_complete_part_file_left_by_a_crash_is_verified_and_renamed(server, synth_zips, tmp_path):
    data = synth_zips["first"][FAERS]
    _publish(server, synth_zips["first"])
    (tmp_path / f"{FAERS}.part").write_bytes(data)  # killed between the last byte and the rename
    (f,) = api.download("2012Q4", dest=tmp_path, **FAST).files
    assert (f.status, f.bytes) == ("fetched", 0)  # the server answered 416 "bytes */N": nothing to move
    assert server.gets(f"/faers/{FAERS}") == [f"bytes={len(data)}-"]
    assert (tmp_path / FAERS).read_bytes() == data and not (tmp_path / f"{FAERS}.part").exists()
    # a .part longer than the file (left from another version): refused range → from 0
    (tmp_path / f"{AERS}.part").write_bytes(synth_zips["first"][AERS] + b"x" * 100)
    (f,) = api.download("2012Q3", dest=tmp_path, **FAST).files
    assert f.status == "fetched" and (tmp_path / AERS).read_bytes() == synth_zips["first"][AERS]
    assert server.gets(f"/faers/{AERS}") == [f"bytes={len(synth_zips['first'][AERS]) + 100}-", None]


def test_complete_files_are_kept_when_the_server_cannot_be_reached(server, synth_zips, tmp_path, monkeypatch):
    import socket

    _publish(server, synth_zips["first"])
    api.download("2012Q4", dest=tmp_path, **FAST)
    with socket.socket() as s:  # a loopback port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (f,) = api.download("2012Q4", dest=tmp_path, base_url=f"http://127.0.0.1:{port}", **FAST).files
    assert f.status == "skipped" and f.reason.startswith("complete; not checked for a re-publication (could not reach")
    assert f.path == tmp_path / FAERS


def test_a_local_copy_cut_short_is_fetched_again(server, synth_zips, tmp_path):
    _publish(server, synth_zips["first"])
    api.download("2012Q4", dest=tmp_path, **FAST)
    data = synth_zips["first"][FAERS]
    (tmp_path / FAERS).write_bytes(data[:1000])  # e.g. a copy interrupted by hand
    (f,) = api.download("2012Q4", dest=tmp_path, **FAST).files
    assert f.status == "fetched" and f.reason == f"the local copy has 1,000 bytes, {len(data):,} were downloaded: downloaded again"
    assert (tmp_path / FAERS).read_bytes() == data


def test_a_file_put_in_dest_by_hand_is_adopted_or_replaced(server, synth_zips, tmp_path):
    _publish(server, synth_zips["first"])
    (tmp_path / FAERS).write_bytes(synth_zips["first"][FAERS])  # the same bytes as FDA's: adopted
    (tmp_path / AERS).write_bytes(b"not the zip")
    got = {f.name: (f.status, f.reason) for f in api.download("2012Q3:2012Q4", dest=tmp_path, **FAST).files}
    assert got[FAERS] == ("skipped", "complete")
    n = len(synth_zips["first"][AERS])
    assert got[AERS] == ("fetched", f"the local copy differs from the server's (size 11 → {n:,} bytes): downloaded again")
    assert (tmp_path / AERS).read_bytes() == synth_zips["first"][AERS]
    # FDA's size but damaged bytes (a zip member no longer matches its CRC): not adopted
    (tmp_path / ".pvsignal-downloads").unlink()
    (tmp_path / FAERS).write_bytes(_corrupt(synth_zips["first"][FAERS]))
    (f,) = api.download("2012Q4", dest=tmp_path, **FAST).files
    assert f.status == "fetched" and f.reason.startswith("the local copy fails its check (")
    assert (tmp_path / FAERS).read_bytes() == synth_zips["first"][FAERS]
