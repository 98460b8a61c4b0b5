"""A small generated lake and one local Spark session shared by the parity tests.

The lake: synthetic AERS/FAERS quarters 2012Q2–2013Q1 (both eras, follow-up versions,
cases spanning the eras), 2019Q1 (deleted-case list, ``prod_ai``) and one hand-made
2023Q2 quarter with probable duplicates (both rules) and a combination product. It is
ingested once; the DuckDB build is copied and rebuilt on Spark.
"""

from __future__ import annotations

import shutil
import zipfile

import pytest

from faers_text import FAERS_B_HEADERS, demo_b, drug_b
from pvsignal import api
from pvsignal.store.engine import java_available

#: few shuffle partitions: the data are tiny and the machine has 2 cores
TEST_SPARK_CONF = {"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2", "spark.driver.memory": "1g"}


def _hand_quarter(path):
    """2023Q2: cases 9004/9005 share event date, age, sex, country, drugs and PTs (9005 flagged,
    9004 has the later fda_dt); 9006/9007 share mfr_num and sender (9006 flagged); 9008 is
    on the deleted list; 9007's product has two ingredients in prod_ai."""
    demo = [
        demo_b(900401, 9004, 1, "20230502", event_dt="20230101", age="61", sex="F"),
        demo_b(900501, 9005, 1, "20230501", event_dt="20230101", age="61", sex="F"),
        demo_b(900601, 9006, 1, "20230501", mfr_num="US-ACME-1", mfr_sndr="ACME"),
        demo_b(900701, 9007, 1, "20230502", mfr_num="US-ACME-1", mfr_sndr="ACME"),
        demo_b(900801, 9008, 1, "20230502"),
    ]
    drug = [
        drug_b(900401, 9004, 1, "PS", "TACROLIMUS", "TACROLIMUS"),
        drug_b(900501, 9005, 1, "PS", "PROGRAF"),
        drug_b(900601, 9006, 1, "PS", "MYSTERYDRUG"),
        drug_b(900701, 9007, 1, "PS", "X", "ACETAMINOPHEN\\HYDROCODONE BITARTRATE"),
        drug_b(900801, 9008, 1, "PS", "LUPKYNIS"),
    ]
    reac = ["900401$9004$Nausea$", "900501$9005$nausea $", "900601$9006$Headache$", "900701$9007$Tremor$", "900801$9008$Tremor$"]
    tables = {"DEMO": demo, "DRUG": drug, "REAC": reac}
    with zipfile.ZipFile(path, "w") as zf:
        for t, header in FAERS_B_HEADERS.items():
            zf.writestr(f"ASCII/{t}23Q2.txt", "\r\n".join([header, *tables.get(t, [])]) + "\r\n")
        zf.writestr("Deleted/DELETE23Q2.txt", "9008\r\n")
    return path


@pytest.fixture(scope="session")
def lakes(tmp_path_factory):
    """``(duckdb_lake, spark_lake)``: the same ingest; prepared tables not yet built on Spark."""
    from pvsignal.synth import synthesize

    base = tmp_path_factory.mktemp("parity")
    a = synthesize(base / "zips-a", quarters="2012Q2:2013Q1", reports_per_quarter=2000, seed=1)
    b = synthesize(base / "zips-b", quarters="2019Q1", reports_per_quarter=1000, seed=2)
    hand = _hand_quarter(base / "faers_ascii_2023q2.zip")
    duck = base / "lake-duckdb"
    api.ingest([*a.paths, *b.paths, hand], lake=duck)
    spark = base / "lake-spark"
    shutil.copytree(duck, spark)
    return duck, spark


@pytest.fixture(scope="session")
def spark_engine():
    """One local Spark session for the test session, stopped at its end."""
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install 'pvsignal[spark]'")
    if not java_available():
        pytest.skip("Java is not on PATH/JAVA_HOME: the Spark parity tests need Java 17 or 21")
    from pvsignal.store.engine import open_engine

    eng = open_engine("spark", spark_master="local[2]", spark_conf=TEST_SPARK_CONF)
    yield eng
    eng.close()
