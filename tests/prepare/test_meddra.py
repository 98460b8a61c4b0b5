"""MedDRA loader on a small made-up release written in the FACTS-2.md §1.2 layout.

All codes and names here are invented for the test; no MedDRA content is shipped.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from pvsignal.errors import ConfigError, InputFileError
from pvsignal.prepare.meddra import FIELDS, load_groups_yaml, load_meddra, read_asc, register_pt_groups

SOC = [("10000001", "Nervous system disorders", "Nerv"), ("10000002", "Psychiatric disorders", "Psych"),
       ("10000003", "Vascular disorders", "Vasc")]
HLGT = [("10000011", "Headaches hlgt"), ("10000012", "Movement hlgt"), ("10000013", "Sleep hlgt"),
        ("10000014", "Vascular hlgt")]
HLT = [("10000021", "Headaches NEC"), ("10000022", "Tremor NEC"), ("10000023", "Insomnia NEC"),
       ("10000024", "Migraine hlt"), ("10000025", "Vascular headache hlt")]
# pt_code, pt_name, primary soc
PT = [("10000101", "Headache", "10000001"), ("10000102", "Tremor", "10000001"),
      ("10000103", "Insomnia", "10000002"), ("10000104", "Migraine", "10000001"),
      ('10000105', 'Made-up "quoted" # term', "10000002")]
# pt, hlt, hlgt, soc, primary flag — Migraine sits under two SOCs, Nervous being primary
MDHIER = [("10000101", "10000021", "10000011", "10000001", "Y"),
          ("10000102", "10000022", "10000012", "10000001", "Y"),
          ("10000103", "10000023", "10000013", "10000002", "Y"),
          ("10000104", "10000024", "10000011", "10000001", "Y"),
          ("10000104", "10000025", "10000014", "10000003", "N"),
          ("10000105", "10000023", "10000013", "10000002", "Y")]
# llt_code, llt_name, pt_code, currency
LLT = [("10000101", "Headache", "10000101", "Y"), ("10000102", "Tremor", "10000102", "Y"),
       ("10000103", "Insomnia", "10000103", "Y"), ("10000104", "Migraine", "10000104", "Y"),
       ("10000201", "Head ache", "10000101", "Y"), ("10000202", "Shakiness", "10000102", "Y"),
       ("10000203", "Sleeplessness", "10000103", "N")]
SMQ_LIST = [("20000001", "Made-up neuro SMQ", "1", "N"), ("20000002", "Made-up migraine sub-SMQ", "2", "N")]
# smq, term, level (4 PT, 5 LLT, 0 sub-SMQ), scope (2 narrow, 1 broad), status
SMQ_CONTENT = [("20000001", "10000101", "4", "2", "A"), ("20000001", "10000102", "4", "1", "A"),
               ("20000001", "10000203", "5", "1", "A"),   # LLT Sleeplessness → PT Insomnia (broad)
               ("20000001", "10000105", "4", "2", "I"),   # inactive: never counted
               ("20000001", "20000002", "0", "2", "A"),   # sub-SMQ
               ("20000002", "10000104", "4", "2", "A")]


def record(kind: str, values: dict[str, str]) -> str:
    return "$".join(values.get(f, "") for f in FIELDS[kind]) + "$"


def write_release(folder, *, crlf: bool = False, skip: tuple[str, ...] = (), smq: bool = True):
    folder.mkdir(parents=True, exist_ok=True)
    soc = {c: (n, a) for c, n, a in SOC}
    hlgt, hlt, pt = dict(HLGT), dict(HLT), {c: n for c, n, _ in PT}
    files = {
        "soc": [record("soc", {"soc_code": c, "soc_name": n, "soc_abbrev": a}) for c, n, a in SOC],
        "hlgt": [record("hlgt", {"hlgt_code": c, "hlgt_name": n}) for c, n in HLGT],
        "hlt": [record("hlt", {"hlt_code": c, "hlt_name": n}) for c, n in HLT],
        "pt": [record("pt", {"pt_code": c, "pt_name": n, "pt_soc_code": s}) for c, n, s in PT],
        "llt": [record("llt", {"llt_code": c, "llt_name": n, "pt_code": p, "llt_currency": y}) for c, n, p, y in LLT],
        "mdhier": [record("mdhier", {"pt_code": p, "hlt_code": h, "hlgt_code": g, "soc_code": s, "pt_name": pt[p],
                                     "hlt_name": hlt[h], "hlgt_name": hlgt[g], "soc_name": soc[s][0],
                                     "soc_abbrev": soc[s][1], "pt_soc_code": [x for x in PT if x[0] == p][0][2],
                                     "primary_soc_fg": y}) for p, h, g, s, y in MDHIER],
    }
    if smq:
        files["smq_list"] = [record("smq_list", {"smq_code": c, "smq_name": n, "smq_level": lv, "status": "A",
                                                 "smq_algorithm": a}) for c, n, lv, a in SMQ_LIST]
        files["smq_content"] = [record("smq_content", {"smq_code": s, "term_code": t, "term_level": lv,
                                                       "term_scope": sc, "term_category": "A", "term_weight": "0",
                                                       "term_status": st}) for s, t, lv, sc, st in SMQ_CONTENT]
    eol = "\r\n" if crlf else "\n"
    for kind, lines in files.items():
        if kind not in skip:
            (folder / f"{kind}.asc").write_bytes((eol.join(lines) + eol).encode("utf-8"))
    return folder


@pytest.fixture
def release(tmp_path):
    return write_release(tmp_path / "MedAscii")


def test_reads_dollar_delimited_records_with_trailing_dollar_and_quotes(release):
    pt = read_asc(release / "pt.asc", "pt")
    assert list(pt.columns) == FIELDS["pt"]
    assert len(pt) == 5
    assert pt.loc[4, "pt_name"] == 'Made-up "quoted" # term'  # quoting and comments disabled
    assert pt.loc[0, "pt_code"] == "10000101"  # codes stay text


def test_primary_soc_only_counts_a_multiaxial_pt_once(release):
    m = load_meddra(release)
    h = m.hierarchy()
    assert len(h) == 5 and h["pt"].is_unique
    assert h.set_index("pt").loc["MIGRAINE", "soc"] == "Nervous system disorders"
    all_paths = m.hierarchy(primary_only=False)
    assert sorted(all_paths.loc[all_paths["pt"] == "MIGRAINE", "soc"]) == ["Nervous system disorders",
                                                                          "Vascular disorders"]
    soc = m.pt_groups(["soc"])
    counts = soc.groupby("group_name")["pt"].count().to_dict()
    assert counts == {"Nervous system disorders": 3, "Psychiatric disorders": 2}  # no Vascular row
    assert set(soc.loc[soc["group_name"] == "Nervous system disorders", "pt"]) == {"HEADACHE", "TREMOR", "MIGRAINE"}


def test_llt_and_verbatim_terms_map_to_pt_case_insensitively(release):
    m = load_meddra(release)
    out = m.to_pt(["head  ACHE", "Tremor", "sleeplessness", "not a term", " migraine "])
    assert list(out["pt"]) == ["HEADACHE", "TREMOR", "INSOMNIA", None, "MIGRAINE"]
    assert list(out["matched_as"]) == ["LLT", "PT", "LLT", None, "PT"]
    assert out["llt_current"].tolist() == [True, None, False, None, None]  # Sleeplessness is non-current


def test_smq_narrow_and_broad_active_terms_with_sub_smq(release):
    m = load_meddra(release)
    narrow = m.smq_terms(scope="narrow")
    top = narrow[narrow["smq_code"] == "20000001"]
    assert set(top["pt"]) == {"HEADACHE", "MIGRAINE"}  # Migraine via the sub-SMQ; inactive term left out
    broad = m.smq_terms(scope="broad")
    assert set(broad.loc[broad["smq_code"] == "20000001", "pt"]) == {"HEADACHE", "MIGRAINE", "TREMOR", "INSOMNIA"}
    assert set(narrow.loc[narrow["smq_code"] == "20000002", "pt"]) == {"MIGRAINE"}
    groups = m.pt_groups(["smq_narrow", "smq_broad"])
    assert set(groups["level"]) == {"smq_narrow", "smq_broad"}
    assert "Made-up neuro SMQ" in set(groups["group_name"])


def test_crlf_files_and_parent_folder(tmp_path):
    write_release(tmp_path / "rel" / "MedAscii", crlf=True)
    m = load_meddra(tmp_path / "rel")  # the parent of MedAscii works too
    assert m.folder.name == "MedAscii"
    assert m.hierarchy().set_index("pt").loc["TREMOR", "hlt"] == "Tremor NEC"


def test_missing_required_file_names_file_and_folder(tmp_path):
    folder = write_release(tmp_path / "MedAscii", skip=("llt",))
    with pytest.raises(InputFileError) as exc:
        load_meddra(folder)
    assert "llt.asc" in str(exc.value) and str(folder) in str(exc.value)
    with pytest.raises(InputFileError, match="does not exist"):
        load_meddra(tmp_path / "nowhere")


def test_smq_without_smq_files_is_a_clear_error(tmp_path):
    m = load_meddra(write_release(tmp_path / "MedAscii", smq=False))
    assert m.smq_list is None
    with pytest.raises(InputFileError, match="smq_list.asc"):
        m.pt_groups(["smq_narrow"])


def test_wrong_file_is_reported(tmp_path):
    folder = write_release(tmp_path / "MedAscii")
    (folder / "pt.asc").write_text("1$2$3$4$5$6$7$8$9$10$11$12$13$14$\n")
    with pytest.raises(InputFileError, match="pt.asc"):
        load_meddra(folder)


def test_yaml_groups_and_duckdb_view(tmp_path, release):
    y = tmp_path / "groups.yaml"
    y.write_text("groups:\n  Neuro: [Headache, shakiness]\n  Sleep: [Insomnia]\n")
    plain = load_groups_yaml(y)
    assert set(map(tuple, plain[["pt", "group_name"]].to_numpy())) == {
        ("HEADACHE", "Neuro"), ("SHAKINESS", "Neuro"), ("INSOMNIA", "Sleep")}
    mapped = load_groups_yaml(y, load_meddra(release))  # the LLT Shakiness → PT Tremor
    assert set(mapped.loc[mapped["group_name"] == "Neuro", "pt"]) == {"HEADACHE", "TREMOR"}
    con = duckdb.connect(str(tmp_path / "g.duckdb"))
    register_pt_groups(con, [mapped, load_meddra(release).pt_groups(["soc"])])
    rows = con.execute("SELECT level, count(*) FROM pt_groups GROUP BY level ORDER BY level").fetchall()
    assert rows == [("group", 3), ("soc", 5)]
    with pytest.raises(ConfigError):
        register_pt_groups(con, pd.DataFrame({"pt": ["X"], "group_name": ["g"], "level": ["bogus"]}))


@pytest.mark.parametrize("text", ["groups: []\n", "other: 1\n", "groups:\n  A: [1, 2]\n", "groups: {A: [\n"])
def test_malformed_yaml_is_a_config_error(tmp_path, text):
    y = tmp_path / "g.yaml"
    y.write_text(text)
    with pytest.raises(ConfigError):
        load_groups_yaml(y)


def test_cli_meddra_check_and_map(release):
    from typer.testing import CliRunner

    from pvsignal.cli import app

    res = CliRunner().invoke(app, ["meddra", "check", str(release)])
    assert res.exit_code == 0, res.output
    assert "multiaxial PTs" in res.output and "PTs" in res.output
    res = CliRunner().invoke(app, ["meddra", "map", str(release), "Shakiness", "migraine", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [(r["pt"], r["matched_as"], r["soc"]) for r in rows] == [
        ("TREMOR", "LLT", "Nervous system disorders"), ("MIGRAINE", "PT", "Nervous system disorders")]
