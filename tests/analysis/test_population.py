"""One case definition for every analysis: the vocabulary, the methods text, and filters
that change case series, onset and interaction counts exactly as an independent pandas
computation over the prepared tables says.

The lake: two synthetic quarters (2023Q1, 2023Q2) from :func:`pvsignal.synth.synthesize`.
Expected values are computed here with pandas from the prepared views (plain ``SELECT *``),
never by calling the analysis code under test.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pvsignal.analysis.cases import case_series
from pvsignal.analysis.interactions import co_reported_perpetrators, interaction_counts
from pvsignal.analysis.onset import onset_days, time_to_onset
from pvsignal.analysis.population import (
    AGE_BANDS, AGE_GROUPS, ROLE_SETS, STRATUM_AGE_GROUPS, CaseDefinition, case_population, role_codes,
)
from pvsignal.errors import ConfigError

# --------------------------------------------------------------------------- vocabulary


@pytest.mark.parametrize("spec, codes", [
    ("suspect", ("PS", "SS")), ("SUSPECT", ("PS", "SS")), ("primary", ("PS",)),
    ("interacting", ("PS", "SS", "I")), ("all", ("PS", "SS", "C", "I")),
    ("PS,SS,I", ("PS", "SS", "I")), ("i, ps", ("PS", "I")), (["ss", "PS"], ("PS", "SS")), (None, ("PS", "SS", "C", "I")),
])
def test_roles_by_name_or_codes_any_case(spec, codes):
    assert role_codes(spec) == codes


def test_definition_normalises_roles_and_sex():
    assert CaseDefinition(roles="PS,SS").roles == "suspect"  # a code list that is a named set
    assert CaseDefinition(roles="ps,i").roles == "PS,I"
    assert CaseDefinition(roles="PS,SS,I").role_codes == ROLE_SETS["interacting"]
    for sex, code in (("female", "F"), ("FEMALE", "F"), ("f", "F"), ("Male", "M"), ("M", "M")):
        assert CaseDefinition(sex=sex).sex == code
    assert CaseDefinition(quarters="23q1:2023q4").quarters == "2023Q1:2023Q4"


@pytest.mark.parametrize("kwargs, allowed", [
    ({"roles": "suspects"}, "suspect, primary, interacting, all"),
    ({"roles": "PS,XX"}, "PS, SS, C, I"),
    ({"sex": "unknown"}, "F or M"),
    ({"age_groups": ["65-"]}, "<18, 18-64, 65+, 65-85, >85"),
    ({"quarters": "2023Q5"}, "2024Q1"),
    ({"strata": ["country"]}, "sex, age_group, year"),
])
def test_validation_errors_name_the_allowed_values(kwargs, allowed):
    with pytest.raises(ConfigError) as exc:
        CaseDefinition(**kwargs)
    assert allowed in str(exc.value)


def test_age_groups_are_unions_of_the_table_bands():
    bands = [name for name, *_ in AGE_BANDS]
    assert bands == ["<18", "18-64", "65-85", ">85"]
    assert AGE_GROUPS["65+"] == ("65-85", ">85")
    for g in STRATUM_AGE_GROUPS:  # the stratum groups partition the bands
        assert set(AGE_GROUPS[g]) <= set(bands)
    assert sorted(b for g in STRATUM_AGE_GROUPS for b in AGE_GROUPS[g]) == sorted(bands)


def test_describe_is_generated_from_the_values():
    default = CaseDefinition().describe()
    assert default[0].startswith("Drugs count when reported in the suspect role(s) primary suspect (PS), "
                                 "secondary suspect (SS)")
    assert "every quarter in the lake" in " ".join(default)
    assert "probable duplicates are kept" in " ".join(default)
    text = " ".join(CaseDefinition(roles="PS,I", quarters="2023Q2", sex="female", age_groups=["65+"],
                                   years=[2022, 2023], strata=["age_group"],
                                   drop_probable_duplicates=True).describe())
    for part in ("primary suspect (PS), interacting (I)", "from the quarters 2023Q2 to 2023Q2",
                 "sex female (F)", "aged 65+ years", "in 2022–2023", "probable duplicates are left out",
                 "stratified by age_group (age groups <18, 18-64, 65+)"):
        assert part in text
    assert CaseDefinition(sex="M").to_dict()["role_codes"] == ["PS", "SS"]


# --------------------------------------------------------------------------- the lake


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    """A DuckDB connection with the prepared views of two synthetic quarters."""
    from pvsignal import api
    from pvsignal.prepare.build import connect
    from pvsignal.synth import synthesize

    root = tmp_path_factory.mktemp("definition-lake")
    api.ingest(synthesize(root / "faers", quarters="2023Q1:2023Q2", reports_per_quarter=1500, seed=5).paths,
               lake=root / "lake")
    con = connect(root / "lake")
    yield con
    con.close()


@pytest.fixture(scope="module")
def frames(con):
    """The prepared views as pandas frames (the independent side of every comparison)."""
    return {t: con.execute(f"SELECT * FROM {t}").df() for t in ("cases", "case_drugs", "case_reactions")}


#: years per unit of age_cod (FACTS.md §1.3), written out again for the independent side
YEARS_PER_UNIT = {"DEC": 10, "YR": 1, "YEAR": 1, "MON": 1 / 12, "WK": 1 / 52, "WEEK": 1 / 52,
                  "DY": 1 / 365, "DAY": 1 / 365, "HR": 1 / 8760, "HOUR": 1 / 8760}
FILTERED = CaseDefinition(quarters="2023Q2", sex="female", age_groups=["18-64", "65+"], years=[2023, 2023])


def kept_cases(cases: pd.DataFrame) -> set[int]:
    """Case ids of FILTERED, in pandas: 2023Q2, sex F, age 18–120 years, received in 2023."""
    age = cases["age"] * cases["age_cod"].str.strip().str.upper().map(YEARS_PER_UNIT)
    m = ((cases["quarter"] == "2023Q2") & (cases["sex"] == "F") & (age >= 18) & (age <= 120)
         & (cases["receipt_year"] == 2023))
    return set(cases.loc[m, "caseid"])


def drug_case_ids(drugs: pd.DataFrame, drug: str, roles: tuple[str, ...]) -> set[int]:
    return set(drugs.loc[(drugs["ingredient"] == drug) & drugs["role_cod"].isin(roles), "caseid"])


def test_filtered_case_series_matches_pandas(con, frames):
    cases, drugs = frames["cases"], frames["case_drugs"]
    keep = kept_cases(cases)
    ids = drug_case_ids(drugs, "ADALIMUMAB", ("PS", "SS")) & keep
    cs = case_series(con, "adalimumab", definition=FILTERED)
    assert cs.n_cases == len(ids) > 20
    assert case_series(con, "adalimumab").n_cases > cs.n_cases  # the filter matters
    assert dict(zip(cs.sex.category, cs.sex.n)) == {"Female": len(ids)}
    mine = cases[cases.caseid.isin(ids)]
    got = dict(zip(cs.reporter_country.category, cs.reporter_country.n))
    assert got == mine["reporter_country"].fillna("missing").value_counts().to_dict()
    ages = dict(zip(cs.age_group.category, cs.age_group.n))
    assert ages["<18"] == 0 and ages["18-64"] + ages["65-85"] + ages[">85"] == len(ids)
    assert cs.parameters["case_definition"]["sex"] == "F" and "sex female (F)" in " ".join(cs.parameters["methods"])


def test_filtered_case_series_with_event_and_roles(con, frames):
    cases, drugs, reac = frames["cases"], frames["case_drugs"], frames["case_reactions"]
    d = CaseDefinition(roles="PS,SS,C,I", quarters="2023Q1")
    ids = drug_case_ids(drugs, "ADALIMUMAB", ("PS", "SS", "C", "I"))
    ids &= set(cases.loc[cases.quarter == "2023Q1", "caseid"]) & set(reac.loc[reac.pt == "HEADACHE", "caseid"])
    assert case_series(con, "ADALIMUMAB", "headache", definition=d).n_cases == len(ids) > 0
    # the legacy shortcut and the definition agree
    assert case_series(con, "ADALIMUMAB", "headache", definition=CaseDefinition(quarters="2023Q1"),
                       roles=None).n_cases == len(ids)


def test_filtered_onset_is_the_unfiltered_rows_of_the_kept_cases(con, frames):
    keep = kept_cases(frames["cases"])
    everything = onset_days(con, "ADALIMUMAB").set_index("caseid")
    filtered = onset_days(con, "ADALIMUMAB", definition=FILTERED).set_index("caseid")
    expected = everything[everything.index.isin(keep)]
    assert len(filtered) < len(everything)
    pd.testing.assert_frame_equal(filtered.sort_index(), expected.sort_index())
    r = time_to_onset(con, "ADALIMUMAB", definition=FILTERED)
    assert r.n == int(expected["excluded"].isna().sum()) and r.n_cases == len(expected)
    assert r.parameters["case_definition"]["quarters"] == "2023Q2"


def _omega_cells(frames, keep: set[int] | None, x: set[str], y: set[str], roles: tuple[str, ...]) -> pd.DataFrame:
    """The 2×2×2 counts of every PT, in pandas (universe: kept cases with a reaction row)."""
    drugs, reac = frames["case_drugs"], frames["case_reactions"]
    if keep is not None:
        drugs, reac = drugs[drugs.caseid.isin(keep)], reac[reac.caseid.isin(keep)]
    in_roles = drugs.role_cod.isin(roles)
    xs = set(drugs.loc[drugs.ingredient.isin(x) & in_roles, "caseid"])
    ys = set(drugs.loc[drugs.ingredient.isin(y) & in_roles, "caseid"])
    u = pd.DataFrame({"caseid": sorted(set(reac.caseid))})
    u["g"] = u.caseid.isin(xs).map({True: "1", False: "0"}) + u.caseid.isin(ys).map({True: "1", False: "0"})
    sizes = u.g.value_counts()
    ev = reac.dropna(subset=["pt"]).drop_duplicates(["caseid", "pt"]).merge(u, on="caseid")
    cells = ev.groupby(["pt", "g"]).size().unstack(fill_value=0).reindex(columns=["11", "10", "01", "00"], fill_value=0)
    out = pd.DataFrame({"n111": cells["11"], "n11_": sizes.get("11", 0), "n101": cells["10"], "n10_": sizes.get("10", 0),
                        "n011": cells["01"], "n01_": sizes.get("01", 0), "n001": cells["00"], "n00_": sizes.get("00", 0)})
    return out.rename_axis("event").reset_index().astype({c: "int64" for c in out.columns})


def test_filtered_interaction_counts_match_pandas(con, frames):
    from pvsignal.knowledge import load_knowledge

    kn = load_knowledge()
    members = set(kn.class_members("strong-cyp3a4-inhibitor")["ingredient"]) - {"TACROLIMUS"}
    # store names (brands too: NORVIR, VFEND …) that the knowledge resolves to a member
    strong = {n for n in frames["case_drugs"].ingredient.dropna().unique() if kn.names.resolve(n) in members}
    # the synthetic lake's brand names (NORVIR, VFEND …) are resolved at prepare time by the shipped
    # drug dictionary (issue 15), so every store name of a member is the member's own name now
    assert strong and strong <= members
    d = CaseDefinition(roles="interacting", quarters="2023Q2", sex="F")
    keep = set(frames["cases"].query("quarter == '2023Q2' and sex == 'F'")["caseid"])
    got = interaction_counts(con, "TACROLIMUS", "strong-cyp3a4-inhibitor", definition=d)
    expected = _omega_cells(frames, keep, {"TACROLIMUS"}, strong, ("PS", "SS", "I"))
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_names=False)
    plain = interaction_counts(con, "TACROLIMUS", "strong-cyp3a4-inhibitor")
    pd.testing.assert_frame_equal(plain, _omega_cells(frames, None, {"TACROLIMUS"}, strong, ("PS", "SS", "I")), check_names=False)
    assert got.n00_.iloc[0] < plain.n00_.iloc[0]
    assert got.attrs["case_definition"]["sex"] == "F"


def test_filtered_co_reported_perpetrators(con, frames):
    drugs = frames["case_drugs"]
    keep = set(frames["cases"].query("quarter == '2023Q1'")["caseid"])
    d = CaseDefinition(quarters="2023Q1", roles="suspect")
    co = co_reported_perpetrators(con, "TACROLIMUS", definition=d)
    assert co.n_drug_cases == len(drug_case_ids(drugs, "TACROLIMUS", ("PS", "SS")) & keep)


def test_one_population_on_the_backend(con, frames):
    p = case_population(con, FILTERED)
    assert set(p.cases.caseid.execute()) == kept_cases(frames["cases"])
    assert set(p.drugs.report_id.execute()) <= kept_cases(frames["cases"])


def test_api_passes_the_definition(con, frames):
    from pvsignal import api

    ids = drug_case_ids(frames["case_drugs"], "ADALIMUMAB", ("PS", "SS")) & kept_cases(frames["cases"])
    assert api.cases("ADALIMUMAB", lake=con, definition=FILTERED).n_cases == len(ids)
    assert api.onset("ADALIMUMAB", lake=con, definition=FILTERED).n_cases == len(ids)
    # the roles shortcut changes the definition's roles, its filters stay
    both = drug_case_ids(frames["case_drugs"], "ADALIMUMAB", ("PS", "SS", "C", "I")) & kept_cases(frames["cases"])
    assert api.cases("ADALIMUMAB", lake=con, definition=FILTERED, roles="all").n_cases == len(both) > len(ids)
    sig = api.interaction_signals("TACROLIMUS", "strong-cyp3a4-inhibitor", lake=con,
                                  definition=CaseDefinition(roles="interacting", sex="F"))
    assert sig.attrs["case_definition"]["sex"] == "F"
