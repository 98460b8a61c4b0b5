"""Generated openFDA drug/event bulk files, for tests and for measuring memory.

``write_bulk(path, n)`` writes an openFDA bulk download zip (``{"meta", "results"}`` in
one ``.json`` member, as ``drug-event-0001-of-0001.json.zip``) of ``n`` reports cloned
from FDA's sample page (../shared/data/openfda-samples/api-response-100-records.json,
about 17 kB of JSON a report, as real bulk files): each clone gets its own
``safetyreportid`` (``first_id + i``), version 1 and dates in ``quarter``. Records are
written one at a time, so a file of any size is made in little memory.

From the command line: ``python tests/openfda_bulk.py OUT.json.zip N``.
"""

from __future__ import annotations

import json
import random
import sys
import zipfile
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "openfda-samples" / "api-response-100-records.json"


def clone(rec: dict, report_id: int, quarter: str, day: int) -> dict:
    """A copy of ``rec`` as report ``report_id`` version 1, received on day ``day`` (1–28) of the quarter's first month."""
    month = 3 * (int(quarter[-1]) - 1) + 1
    when = f"{quarter[:4]}{month:02d}{day:02d}"
    return {**rec, "safetyreportid": str(report_id), "safetyreportversion": "1", "receivedate": when, "receiptdate": when}


def write_bulk(path: Path, n: int, *, quarter: str = "2024Q1", first_id: int = 20_000_001, seed: int = 1,
               sample: Path = SAMPLE) -> Path:
    """Write ``n`` cloned reports as an openFDA bulk zip at ``path`` (member: the name less ``.zip``)."""
    records = json.loads(sample.read_text())
    rng = random.Random(seed)
    meta = {"last_updated": "2024-04-30", "results": {"skip": 0, "limit": n, "total": n}}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open(path.name.removesuffix(".zip"), "w", force_zip64=True) as out:
            out.write(b'{"meta": ' + json.dumps(meta).encode() + b', "results": [')
            for i in range(n):
                rec = clone(rng.choice(records), first_id + i, quarter, 1 + i % 28)
                out.write((b",\n" if i else b"\n") + json.dumps(rec).encode())
            out.write(b"\n]}\n")
    return path


if __name__ == "__main__":
    print(write_bulk(Path(sys.argv[1]), int(sys.argv[2])))
