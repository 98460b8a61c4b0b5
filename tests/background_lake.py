"""A 13-report hand-made FAERS quarter for the restricted-background, masking and
sensitivity tests; every expected number in those tests is worked by hand from this table.

    case  suspect drugs   PT  indication      event date  therapy start (A / B)
    1     A               X   HYPERTENSION    20240111    20240101 (A: day 10)
    2     A               X   HYPERTENSION    20240121    20240101 (A: day 20)
    3     A               Y   HYPERTENSION    20240131    20240101 (A: day 30)
    4     A, B            X   HYPERTENSION    —
    5     B               X   HYPERTENSION    20240103    20240101 (B: day 2)
    6     B               Y   HYPERTENSION    20240105    20240101 (B: day 4)
    7     B               Y   DIABETES        20240107    20240101 (B: day 6)
    8–10  M               X   DIABETES
    11    A, M            Y   DIABETES        20240210    20240101 (A: day 40)
    12    C               Y   DIABETES
    13    C               X   HYPERTENSION

Case 14 repeats case 13 (same drug, PT, sex, age, country, event date): a probable
duplicate of it. Drugs: the ingredients AAA, BBB, MMM and ZZZ ("CCC" would resolve to chlormequat
chloride through the shipped dictionary); events: the PTs X and Y.
"""

from __future__ import annotations

import zipfile

import pytest

from faers_text import FAERS_B_HEADERS, demo_b, drug_b

CASES = {  # caseid: (drugs, pt, indication, event_dt, {drug: start_dt})
    1: (["AAA"], "X", "HYPERTENSION", "20240111", {"AAA": "20240101"}),
    2: (["AAA"], "X", "HYPERTENSION", "20240121", {"AAA": "20240101"}),
    3: (["AAA"], "Y", "HYPERTENSION", "20240131", {"AAA": "20240101"}),
    4: (["AAA", "BBB"], "X", "HYPERTENSION", "", {}),
    5: (["BBB"], "X", "HYPERTENSION", "20240103", {"BBB": "20240101"}),
    6: (["BBB"], "Y", "HYPERTENSION", "20240105", {"BBB": "20240101"}),
    7: (["BBB"], "Y", "DIABETES", "20240107", {"BBB": "20240101"}),
    8: (["MMM"], "X", "DIABETES", "", {}),
    9: (["MMM"], "X", "DIABETES", "", {}),
    10: (["MMM"], "X", "DIABETES", "", {}),
    11: (["AAA", "MMM"], "Y", "DIABETES", "20240210", {"AAA": "20240101"}),
    12: (["ZZZ"], "Y", "DIABETES", "", {}),
    13: (["ZZZ"], "X", "HYPERTENSION", "20240301", {}),
    14: (["ZZZ"], "X", "HYPERTENSION", "20240301", {}),
}


def tables() -> dict[str, list[str]]:
    """The FAERS-B table lines of :data:`CASES` (primaryid = caseid·10 + 1, version 1)."""
    out: dict[str, list[str]] = {k: [] for k in ("DEMO", "DRUG", "REAC", "INDI", "THER")}
    for cid, (drugs, pt, indi, event_dt, starts) in CASES.items():
        pid = cid * 10 + 1
        out["DEMO"].append(demo_b(pid, cid, 1, "20240301", event_dt=event_dt, age="50", sex="F",
                                  country="US", mfr_num=f"M{cid}"))
        out["REAC"].append(f"{pid}${cid}${pt}$")
        for seq, name in enumerate(drugs, start=1):
            out["DRUG"].append(drug_b(pid, cid, seq, "PS" if seq == 1 else "SS", name, name))
            out["INDI"].append(f"{pid}${cid}${seq}${indi}")
            if name in starts:
                out["THER"].append(f"{pid}${cid}${seq}${starts[name]}$$$")
    return out


@pytest.fixture(scope="session")
def bg_lake(tmp_path_factory):
    """The quarter (2024Q1) of :data:`CASES` written and ingested: the lake folder. Import this
    fixture into a test module (``from background_lake import bg_lake``)."""
    from pvsignal import api

    root = tmp_path_factory.mktemp("background-lake")
    zpath = root / "faers_ascii_2024q1.zip"
    lines = tables()
    with zipfile.ZipFile(zpath, "w") as zf:
        for name, header in FAERS_B_HEADERS.items():
            zf.writestr(f"ASCII/{name}24Q1.txt", "\r\n".join([header, *lines.get(name, [])]) + "\r\n")
    api.ingest([zpath], lake=root / "lake")
    return root / "lake"


@pytest.fixture
def bg_con(bg_lake):
    """Its prepared views on DuckDB."""
    from pvsignal.prepare.build import connect

    con = connect(bg_lake)
    yield con
    con.close()
