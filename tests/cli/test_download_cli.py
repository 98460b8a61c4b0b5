"""``pvsignal download`` end to end on loopback: download → ingest → status (issue 16, items 1 and 4)."""

from __future__ import annotations

import io
import json

from loopback_http import server, synth_zips  # noqa: F401
from openfda_bulk import write_bulk


def test_download_then_ingest_then_status(server, synth_zips, tmp_path, run, width):
    width(80)
    for name, data in synth_zips["first"].items():
        server.publish(f"/faers/{name}", data)
    dest, lake = tmp_path / "zips", tmp_path / "lake"
    code, out, err = run(["download", "--quarters", "2012Q3:2012Q4", "--dest", str(dest)])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["fetched", "aers_ascii_2012q3.zip"] and lines[1].split()[:2] == ["fetched", "faers_ascii_2012q4.zip"]
    kb = sum(len(b) for b in synth_zips["first"].values()) / 1e3
    assert lines[2] == f"2 fetched ({kb:,.1f} kB), 0 complete already, 0 failed, in {dest}"
    assert lines[3] == f"next: pvsignal ingest {dest} --lake LAKE"
    assert run(["ingest", str(dest), "--lake", str(lake)])[0] == 0
    code, out, _ = run(["status", "--lake", str(lake), "--json"])
    st = json.loads(out)
    assert code == 0 and st["quarters"] == ["2012Q3", "2012Q4"] and st["reports"] == 300
    code, out, _ = run(["download", "--quarters", "2012Q3:2012Q4", "--dest", str(dest)])
    assert code == 0 and out.splitlines()[:2] == ["skipped  aers_ascii_2012q3.zip: complete", "skipped  faers_ascii_2012q4.zip: complete"]


def test_a_failed_file_is_one_line_and_exit_status_1(server, tmp_path, run, width):
    width(80)
    code, out, err = run(["download", "--quarters", "2099Q1", "--dest", str(tmp_path / "d")])
    assert code == 1
    (line,) = [x for x in out.splitlines() if x.startswith("failed")]
    assert line.startswith("failed   faers_ascii_2099q1.zip: 2099Q1 not published yet (HTTP 404 at http://127.0.0.1:")
    assert "0 fetched (0.0 kB), 0 complete already, 1 failed" in out
    code, _, err = run(["download", "--dest", str(tmp_path / "d")])
    assert code == 2 and "error: give --quarters (e.g. 2023Q1:2024Q4) or --latest N, not both" in err


def test_openfda_download_then_ingest(server, shared_dir, tmp_path, run):
    sample = shared_dir / "data" / "openfda-samples" / "api-response-100-records.json"
    entries = []
    for i, q in enumerate(("2024Q1", "2024Q2")):
        path = f"/bulk/drug/event/{q.lower()}/drug-event-0001-of-0001.json.zip"
        made = write_bulk(tmp_path / f"{i}.json.zip", 40, quarter=q, first_id=30_000_001 + 100 * i, sample=sample)
        server.publish(path, made.read_bytes())
        entries.append({"file": server.url + path, "records": 40, "size_mb": "0.5", "display_name": f"{q} (part 1 of 1)"})
    server.publish("/openfda/download.json", json.dumps({"results": {"drug": {"event": {"partitions": entries}}}}).encode())
    dest, lake = tmp_path / "of", tmp_path / "lake"
    code, out, err = run(["download", "--openfda", "--dest", str(dest)])
    assert code == 0, err
    assert [x.split()[1] for x in out.splitlines()[:2]] == ["2024q1/drug-event-0001-of-0001.json.zip",
                                                            "2024q2/drug-event-0001-of-0001.json.zip"]
    assert run(["ingest", str(dest), "--lake", str(lake)])[0] == 0
    st = json.loads(run(["status", "--lake", str(lake), "--json"])[1])
    assert st["quarters"] == ["2024Q1", "2024Q2"] and st["cases"] == 80


def test_the_progress_bar_shows_bytes_and_rate(monkeypatch):
    from rich.console import Console

    from pvsignal.cli import render

    screen = io.StringIO()
    for name in ("console", "console_err"):
        monkeypatch.setattr(render, name, Console(file=screen, force_terminal=True, width=80))
    with render.progress("downloading", unit="bytes") as bar:
        bar(250_000, 1_000_000, "faers_ascii_2024q1.zip")
        bar(500_000, 1_000_000, "faers_ascii_2024q1.zip")
    shown = screen.getvalue()
    assert "faers_ascii_2024q1.zip" in shown and "0.5/1.0 MB" in shown and "/s" in shown


def test_ctrl_c_during_a_download_says_what_is_kept(server, synth_zips, tmp_path):
    """Ctrl-C while a file is in transfer: one line about the files (not the lake), exit 130."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from loopback_http import Fault

    name, data = next(iter(synth_zips["first"].items()))
    server.publish(f"/faers/{name}", data)
    server.faults[f"/faers/{name}"] = Fault(stall=30)
    quarter = "2012Q3" if name.startswith("aers") else "2012Q4"
    proc = subprocess.Popen([sys.executable, "-c", "from pvsignal.cli import main; main()", "download",
                             "--quarters", quarter, "--dest", str(tmp_path / "d")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"})
    end = time.monotonic() + 60
    while not server.gets(f"/faers/{name}") and time.monotonic() < end:
        time.sleep(0.05)
    assert server.gets(f"/faers/{name}"), "the download never started"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip() == ("error: interrupted — files already complete are kept; "
                           "a partial one (.part) resumes on the next run")
    assert not (tmp_path / "d" / name).exists()
